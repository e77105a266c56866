"""A small in-memory Tomorro behind requests-mock, for writer-level unit tests.

It serves only what the destination calls, with the sandbox README's bodies and envelopes; the
sandbox itself is exercised by integration_tests/.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any

import pytest
import requests_mock as rm

BASE = "https://api.tomorro.test/v2"
KEY = "unit-test-key-123456"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeTomorro:
    def __init__(self, mocker: rm.Mocker):
        self.ids = (f"00000000-0000-4000-8000-{i:012d}" for i in itertools.count(1))
        self.contracts: dict[str, dict[str, Any]] = {}
        self.counterparties: dict[str, dict[str, Any]] = {}
        self.fields = {
            "contract": [
                {"id": "f-value", "name": "Contract value", "type": "number"},
                {"id": "f-renewal", "name": "Renewal date", "type": "date"},
                {"id": "f-industry", "name": "Industry", "type": "select"},
                {"id": "f-products", "name": "Products", "type": "multiselect"},
                {"id": "f-notes", "name": "Special conditions", "type": "richtext"},
                {"id": "f-notice", "name": "Notice period", "type": "duration"},
                {"id": "f-code", "name": "Project code", "type": "text"},
            ],
            "external_party": [
                {"id": "cf-siren", "name": "SIREN", "type": "text"},
                {"id": "cf-region", "name": "Region", "type": "select"},
            ],
        }
        opt = lambda gb, fr: {"id": gb, "translations": [{"language": "gb", "value": gb}, {"language": "fr", "value": fr}],  # noqa: E731
                              "integrationMappings": [{"type": "hubspot", "value": "hs_" + gb.lower()}]}
        self.options = {
            "f-industry": [opt("Technology", "Technologie"), opt("Finance", "Finance")],
            "f-products": [opt("Widgets", "Widgets FR"), opt("Gadgets", "Gadgets FR")],
            "cf-region": [opt("Europe", "Europe"), opt("North America", "Amérique du Nord")],
        }
        self.contract_types = [
            {"id": "ct-nda", "name": "Non-Disclosure Agreement", "isPublished": True,
             "templates": [{"id": "tpl-mutual", "name": "Mutual NDA"}, {"id": "tpl-oneway", "name": "One-way NDA"}]},
            {"id": "ct-sales", "name": "Sales Contract", "isPublished": True,
             "templates": [{"id": "tpl-order", "name": "Enterprise Order Form"}]},
        ]
        self.dedup = False  # like the sandbox's --dedup-external-id: 409 on a repeated externalId
        self.fail_next: list[Any] = []  # per-request injected outcomes: int status or "exc"/"landed-exc"
        self.slim: set[str] = set()  # "contracts" / "counterparties": list items are {id, name, status}
        self.echo_integration = True  # False: create / PATCH answers omit `integration` (still stored)
        self.hide_integration = False  # True: `integration` is never returned (list or GET)
        self.refuse_status: list[str] = []
        self.name_queries: list[str] = []  # every `name=` value asked  # statuses the next status PATCHes are refused (422) for
        m = mocker
        m.get(f"{BASE}/members", json=self._members)
        m.get(f"{BASE}/contract-types", json=lambda r, c: {"contractTypes": self.contract_types, "hasNext": False,
                                                            "hasPrevious": False, "nextCursor": None})
        m.get(f"{BASE}/smart-fields", json=lambda r, c: self._data(self.fields[r.qs["object"][0]]))
        m.get(re.compile(rf"{BASE}/smart-fields/([^/]+)/options.*"), json=self._options)
        m.get(re.compile(rf"{BASE}/contracts(\?.*)?$"), json=self._list_contracts)
        m.post(f"{BASE}/contracts", json=self._create_contract)
        m.patch(re.compile(rf"{BASE}/contracts/[^/?]+$"), json=self._patch_contract)
        m.get(re.compile(rf"{BASE}/contracts/[^/?]+$"), json=self._get_contract)
        m.get(re.compile(rf"{BASE}/counterparties/[^/?]+$"), json=self._get_counterparty)
        m.get(re.compile(rf"{BASE}/counterparties(\?.*)?$"), json=self._list_counterparties)
        m.post(f"{BASE}/counterparties", json=self._create_counterparty)
        m.patch(re.compile(rf"{BASE}/counterparties/[^/?]+$"), json=self._patch_counterparty)
        self.mocker = m

    # helpers
    def _data(self, items):
        return {"data": items, "pagination": {"limit": 50, "next_cursor": None, "prev_cursor": None,
                                              "has_next": False, "has_previous": False}, "links": {}}

    def _members(self, request, context):
        if request.headers.get("x-api-key") != KEY:
            context.status_code = 401
            return {"statusCode": 401, "message": "Unauthorized"}
        return self._data([{"id": "m1", "role": "ADMIN"}])

    def _options(self, request, context):
        fid = request.path.split("/")[-2]
        return self._data(self.options.get(fid, []))

    def calls(self, method: str, path_prefix: str) -> int:
        return sum(1 for r in self.mocker.request_history
                   if r.method == method and r.path.removeprefix("/v2").startswith(path_prefix))

    def writes(self) -> int:
        return sum(1 for r in self.mocker.request_history if r.method in ("POST", "PATCH"))

    def _injected(self, context, commit):
        if not self.fail_next:
            return None
        outcome = self.fail_next.pop(0)
        if outcome is None:  # this request goes through
            return None
        if outcome == "landed-exc":
            commit()
            raise __import__("requests").ConnectionError("connection reset after commit")
        if outcome == "exc":
            raise __import__("requests").ConnectionError("connection reset")
        context.status_code = outcome
        return {"statusCode": outcome, "message": "injected"}

    def _shown(self, obj, resource, listed=False, write=False):
        shown = dict(obj)
        if resource == "contracts" and (self.hide_integration or (write and not self.echo_integration)):
            shown.pop("integration", None)
        if listed and resource in self.slim:
            shown = {k: shown[k] for k in ("id", "name", "status")}
        return shown

    def _list_contracts(self, request, context):
        items = sorted(self.contracts.values(), key=lambda c: c["createdAt"])
        created = request.qs.get("createdat")
        if created:
            since = created[0].split(":", 1)[1].upper()
            items = [c for c in items if c["createdAt"] >= since]
        return {"contracts": [self._shown(c, "contracts", listed=True) for c in items], "hasNext": False,
                "hasPrevious": False, "nextCursor": None}

    def _get_contract(self, request, context):
        found = self.contracts.get(request.path.split("/")[-1])
        if found is None:
            context.status_code = 404
            return {"statusCode": 404, "message": "Contract not found"}
        return self._shown(found, "contracts")

    def _get_counterparty(self, request, context):
        found = self.counterparties.get(request.path.split("/")[-1])
        if found is None:
            context.status_code = 404
            return {"statusCode": 404, "message": "Counterparty not found"}
        return found

    def _create_contract(self, request, context):
        body = request.json()
        holder: dict[str, Any] = {}

        def commit():
            cp = self.counterparties.get(body["counterparty"].get("id"))
            if "counterparty" in body and "name" in body["counterparty"]:
                cp = self._new_cp({"name": body["counterparty"]["name"]})
            cid = next(self.ids)
            ct = next(t for t in self.contract_types for tp in t["templates"] if tp["id"] == body["templateId"])
            holder["obj"] = self.contracts[cid] = {
                "id": cid, "name": body.get("name", "Untitled"), "status": "draft",
                "counterparty": {"id": cp["id"], "name": cp["name"]}, "contractType": {"id": ct["id"], "name": ct["name"]},
                "templateId": body["templateId"],
                "fields": [{"attributeDefinitionId": f["fieldId"], "value": f["value"]} for f in body.get("fields", [])],
                "integration": body.get("integration"), "createdAt": _now(), "updatedAt": _now()}

        injected = self._injected(context, commit)
        if injected is not None:
            return injected
        ext = (body.get("integration") or {}).get("externalId")
        if self.dedup and ext and any((c.get("integration") or {}).get("externalId") == ext for c in self.contracts.values()):
            context.status_code = 409
            return {"statusCode": 409, "message": f"integration.externalId {ext} exists"}
        if body.get("fields") and any(f["fieldId"] == "f-value" and f["value"] == 666 for f in body["fields"]):
            context.status_code = 400
            return {"statusCode": 400, "message": ["fields[0].value: 666 is forbidden"], "error": "Bad Request"}
        commit()
        context.status_code = 201
        return self._shown(holder["obj"], "contracts", write=True)

    def _patch_contract(self, request, context):
        cid = request.path.split("/")[-1]
        body = request.json()
        c = self.contracts[cid]
        if "status" in body:
            if body["status"] in self.refuse_status:
                self.refuse_status.remove(body["status"])
                context.status_code = 422
                return {"statusCode": 422, "message": f"status: {body['status']} refused (injected)"}
            if body["status"] == "signed" or c["status"] in ("signed", "canceled"):
                context.status_code = 422
                return {"statusCode": 422, "message": f"status: cannot move from {c['status']} to {body['status']}"}
            c["status"] = body["status"]
        if "name" in body:
            c["name"] = body["name"]
        for f in body.get("fields", []):
            if f["value"] is None and getattr(self, "keep_on_null", False):  # a server where null clears nothing
                continue
            c["fields"] = [x for x in c["fields"] if x["attributeDefinitionId"] != f["fieldId"]]
            c["fields"].append({"attributeDefinitionId": f["fieldId"], "value": f["value"]})
        c["updatedAt"] = _now()
        return self._shown(c, "contracts", write=True)

    def _new_cp(self, body):
        cid = next(self.ids)
        cp = {"id": cid, "name": body["name"], "status": body.get("status", "active"), "logoUrl": None,
              "fields": {a["attributeDefinitionId"]: a["value"] for a in body.get("attributes", [])},
              "createdAt": _now(), "updatedAt": _now()}
        self.counterparties[cid] = cp
        return cp

    def _list_counterparties(self, request, context):
        items = sorted(self.counterparties.values(), key=lambda c: c["createdAt"])
        # requests-mock lower-cases query strings: compare lower-cased
        name = request.qs.get("name")
        if name:
            # like the sandbox: an operator-looking value is parsed as a filter operator
            op = name[0].split(":", 1)[0]
            if ":" in name[0] and op in ("in", "ne", "gte", "lte"):
                context.status_code = 400
                return {"statusCode": 400, "message": [f"name: operator '{op}' is not supported"]}
            items = [c for c in items if name[0].lower() in c["name"].lower()]
        self.name_queries.extend(name or [])
        return self._data([self._shown(c, "counterparties", listed=True) for c in items])

    def _create_counterparty(self, request, context):
        body = request.json()
        holder = {}
        injected = self._injected(context, lambda: holder.setdefault("cp", self._new_cp(body)))
        if injected is not None:
            return injected
        context.status_code = 201
        return self._new_cp(body)

    def _patch_counterparty(self, request, context):
        cp = self.counterparties[request.path.split("/")[-1]]
        body = request.json()
        for k in ("name", "status"):
            if k in body:
                cp[k] = body[k]
        for a in body.get("attributes", []):
            cp["fields"][a["attributeDefinitionId"]] = a["value"]
        return cp


@pytest.fixture
def fake():
    with rm.Mocker() as m:
        yield FakeTomorro(m)


@pytest.fixture
def config(tmp_path):
    return {"api_key": KEY, "base_url": BASE, "integration_type": "hubspot", "integration_entity": "deal",
            "default_template": "Mutual NDA", "max_retries": 2, "requests_per_minute": 6000, "rejected_rows_path": str(tmp_path / "rejected.jsonl")}


def dump(obj) -> str:
    return json.dumps(obj)


class Messages:
    """Builders for catalogs and AirbyteMessages (shared by the writer tests)."""

    @staticmethod
    def catalog(*streams):
        """streams: (name, destination_sync_mode[, destination_object_name]) or `stream(...)` dicts."""
        from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer

        return ConfiguredAirbyteCatalogSerializer.load({"streams": [
            s if isinstance(s, dict) else Messages.stream(s[0], s[1], s[2] if len(s) > 2 else None) for s in streams]})

    @staticmethod
    def stream(name, mode, object_name=None, *, pk=None, source_pk=None, columns=None):
        """One configured stream: primary key, the source's own key and declared columns optional."""
        schema = {"type": "object", **({"properties": {c: {} for c in columns}} if columns else {})}
        return {"stream": {"name": name, "json_schema": schema, "supported_sync_modes": ["full_refresh", "incremental"],
                           **({"source_defined_primary_key": source_pk} if source_pk else {})},
                "sync_mode": "incremental", "destination_sync_mode": mode,
                **({"destination_object_name": object_name} if object_name else {}),
                **({"primary_key": pk} if pk else {})}

    @staticmethod
    def record(stream, data):
        from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type

        return AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data=data, emitted_at=0))

    @staticmethod
    def state(stream=None, value=1):
        from airbyte_cdk.models import AirbyteMessage, AirbyteStateMessageSerializer, Type

        if stream:
            body = {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"v": value}}}
        else:
            body = {"type": "GLOBAL", "global": {"shared_state": {"v": value}, "stream_states": []}}
        return AirbyteMessage(type=Type.STATE, state=AirbyteStateMessageSerializer.load(body))


@pytest.fixture
def ab():
    return Messages()


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """Every wait of the destination goes through transport._sleep: recorded, never slept."""
    from destination_tomorro import transport

    waits = []
    monkeypatch.setattr(transport, "_sleep", waits.append)
    return waits


def make_cfg(**overrides):
    from destination_tomorro.config import DestinationTomorroConfig

    return DestinationTomorroConfig.parse({"api_key": KEY, "base_url": BASE, "integration_type": "hubspot",
                                           "integration_entity": "deal", "default_template": "Mutual NDA",
                                           "requests_per_minute": 6000, **overrides})


@pytest.fixture
def cfg():
    """A parsed config for module-level tests; `cfg(**overrides)` for variants."""
    return make_cfg


@pytest.fixture
def client(fake):
    from destination_tomorro.client import TomorroClient

    return TomorroClient(BASE, KEY, requests_per_minute=6000, max_retries=2)


@pytest.fixture
def schema(client):
    from destination_tomorro.schema import TomorroSchema

    return TomorroSchema(client, integration_type="hubspot")


def run_write(config, catalog, messages):
    """Collect everything DestinationTomorro.write() yields; returns (messages, exception or None)."""
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException
    from destination_tomorro import DestinationTomorro

    out = []
    try:
        for message in DestinationTomorro().write(config, catalog, iter(messages)):
            out.append(message)
    except AirbyteTracedException as exc:
        return out, exc
    return out, None


def deals(n, start=0, **extra):
    return [{"external_id": f"D-{i}", "name": f"Deal {i}", "counterparty": f"Company {i % 3}",
             "contract_value": 100 + i, **extra} for i in range(start, start + n)]


def report_of(out):
    """The write report carried by the output, as a tool reading stdout would parse it."""
    from airbyte_cdk.models import Type
    from destination_tomorro.report import WriteReport

    reports = [WriteReport.from_message({"type": "TRACE", "trace": {"type": "ANALYTICS", "analytics": {
        "type": m.trace.analytics.type, "value": m.trace.analytics.value}}})
        for m in out if m.type == Type.TRACE and m.trace.analytics is not None]
    assert len(reports) == 1, reports
    return reports[0]


@pytest.fixture
def w():
    """Write helpers (importlib import mode: test modules cannot import conftest)."""
    from types import SimpleNamespace

    from airbyte_cdk.models import Type

    return SimpleNamespace(
        run=run_write, deals=deals, report=report_of,
        states=lambda out: [m for m in out if m.type == Type.STATE],
        logs=lambda out: "\n".join(m.log.message for m in out if m.type == Type.LOG))
