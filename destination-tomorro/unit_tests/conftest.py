"""Fixtures of the writer-level unit tests: the session's sandbox (root conftest.py) on a real loopback socket,
reset for each test to an empty workspace (the seeded contract types, templates, smart fields, options and
members; no contracts, no counterparties), and message builders.

A test sets up Tomorro through the API (`api`) or the admin API (`sb`), names reference data through `ref`, and
checks what the destination did against the sandbox's records (`sb.records`) and request log (`sb.requests`);
what a test needs Tomorro to do wrong comes from the sandbox's API profiles (`sb.set_api_profiles`) and its
scripted outcomes (`sb.script`). Tests of one function may answer with requests_mock themselves.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

BASE = "https://api.tomorro.test/v2"  # module-level configs that send nothing
KEY = "unit-test-key-123456"
EMPTY = {"contracts": 0, "counterparties": 0}  # the seed options of the unit tests' workspace
# the seeded counterparty text field the tests match counterparties on, renamed as a CRM's company id
SIREN_FROM = "Governing law"


@pytest.fixture(scope="session")
def ref(sandbox_session):
    """Ids of the workspace's reference data by name (deterministic for the seed): `ref.field["Contract value"]`,
    `ref.cp_field["SIREN"]`, `ref.template["Mutual NDA"]`, `ref.contract_type["Sales Contract"]`."""
    from tomorro_sandbox.testing import fresh

    fresh(sandbox_session, **EMPTY)
    fields = sandbox_session.records("smart-fields")
    by_object = {obj: {f["name"]: f["id"] for f in fields if f["object"] == obj}
                 for obj in ("contract", "external_party")}
    by_object["external_party"]["SIREN"] = by_object["external_party"].pop(SIREN_FROM)
    types = sandbox_session.records("contract-types")
    return SimpleNamespace(field=by_object["contract"], cp_field=by_object["external_party"],
                           contract_type={t["name"]: t["id"] for t in types},
                           template={tp["name"]: tp["id"] for t in types for tp in t["templates"]})


@pytest.fixture
def sb(sandbox_session, ref):
    """The sandbox as an empty workspace, for this test alone: no contracts, counterparties, faults, API
    profiles, scripted outcomes or logged requests."""
    from tomorro_sandbox.testing import fresh

    fresh(sandbox_session, **EMPTY)
    sandbox_session.edit(fields=[{"id": ref.cp_field["SIREN"], "name": "SIREN"}])
    return sandbox_session


@pytest.fixture
def api(sb):
    """Requests to the sandbox's /v2 API with its key, to set a test's Tomorro up as a user would."""
    from tomorro_sandbox.testing import Api

    return Api(sb)


@pytest.fixture
def new_contract(api, ref):
    """Create a contract through the API (the default template) and answer it: `new_contract(counterparty_id,
    integration={...} or None, name=..., fields={smart field id: value})`."""

    def create(counterparty_id, integration=None, name="Contract", fields=None):
        body = {"templateId": ref.template["Mutual NDA"], "counterparty": {"id": counterparty_id}, "name": name,
                **({"integration": integration} if integration else {}),
                **({"fields": [{"fieldId": k, "value": v} for k, v in fields.items()]} if fields else {})}
        answer = api.post("/contracts", body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    return create


def writes(sb) -> list:
    """The write requests the sandbox received (POST, PATCH, PUT, DELETE), as sent."""
    return [r for r in sb.requests() if r["method"] in ("POST", "PATCH", "PUT", "DELETE")]


@pytest.fixture
def config(sb, tmp_path):
    return {"api_key": sb.api_key, "base_url": sb.url, "integration_type": "hubspot", "integration_entity": "deal",
            "default_template": "Mutual NDA", "max_retries": 2, "requests_per_minute": 6000, "rejected_rows_path": str(tmp_path / "rejected.jsonl")}


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
def client(sb):
    from destination_tomorro.client import TomorroClient

    return TomorroClient(sb.url, sb.api_key, requests_per_minute=6000, max_retries=2)


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
    from airbyte_cdk.models import Type

    return SimpleNamespace(
        run=run_write, deals=deals, report=report_of, writes=writes,
        states=lambda out: [m for m in out if m.type == Type.STATE],
        logs=lambda out: "\n".join(m.log.message for m in out if m.type == Type.LOG))
