"""Our OpenAPI document against the server: every GET route is documented, every response of
every route validates against its schema, and schemathesis fuzzes the read endpoints."""

import re

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from tomorro_sandbox.routes import API_ROUTES
from tomorro_sandbox.spec import load_spec, response_schema


def validate(template: str, method: str, r) -> None:
    schema = response_schema(template, method, r.status_code)
    assert schema is not None, f"{method} {template}: status {r.status_code} is not documented ({r.text[:200]})"
    jsonschema.validate(r.json(), schema)


def test_every_route_is_documented():
    spec = load_spec()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m != "parameters"}
    assert documented == {(m, t) for m, t, _ in API_ROUTES}


@pytest.fixture(scope="module")
def urls(sb):
    """Concrete requests for every GET route: seeded ids, a page, a filtered page, an error."""
    contract = next(c for c in sb.records("contracts") if c["status"] == "signed")
    cc = sb.records("contract-clauses")[0]
    ct = sb.records("contract-types")[0]
    select = next(f for f in sb.records("smart-fields") if f["type"] == "select")
    co = sb.records("custom-objects")[0]
    return {
        "/contracts": [{}, {"limit": 50, "sort": "-updatedAt"}, {"status": "in:draft,signed", "limit": 5},
                       {"limit": 0}],
        "/contracts/{id}": [contract["id"], cc["contractId"], "00000000-0000-4000-8000-000000000000"],
        "/contracts/{id}/signed-files": [contract["id"]],
        "/contracts/{id}/clauses": [cc["contractId"]],
        "/counterparties": [{}, {"limit": 50, "name": "a"}, {"sort": "bad"}],
        "/counterparties/{id}": [sb.records("counterparties")[0]["id"]],
        "/members": [{}, {"role": "ADMIN"}],
        "/members/{id}": [sb.records("members")[0]["id"]],
        "/contract-types": [{}, {"isPublished": "true"}],
        "/contract-types/{id}/templates": [ct["id"]],
        "/contract-types/{id}/creation-form": [ct["id"]],
        "/smart-fields": [{}, {"limit": 50, "lang": "fr"}, {"object": "external_party"}],
        "/smart-fields/{id}/options": [select["id"]],
        "/custom-objects/{id}": [co["id"]],
        "/clauses": [{}, {"name": "term"}],
    }


def test_every_get_response_validates_against_the_spec(api, urls):
    for method, template, _ in API_ROUTES:
        if method != "GET":
            continue
        for case in urls[template]:
            if isinstance(case, dict):
                r = api.get(template, **case)
            else:
                r = api.get(re.sub(r"\{id\}", case, template))
            validate(template, "GET", r)
            if r.status_code == 200 and template in ("/contracts", "/counterparties"):
                body = r.json()
                nxt = body.get("nextCursor") or body.get("pagination", {}).get("next_cursor")
                if nxt:  # a second page too
                    validate(template, "GET", api.get(template, **{**case, "after": nxt}))


def test_write_responses_validate_against_the_spec(api, sb):
    tpl = sb.records("contract-types")[0]["templates"][0]["id"]
    r = api.post("/contracts", {"templateId": tpl, "counterparty": {"name": "Spec Co"}})
    validate("/contracts", "POST", r)
    validate("/contracts", "POST", api.post("/contracts", {}))
    validate("/contracts/{id}", "PATCH", api.patch(f"/contracts/{r.json()['id']}", {"status": "negotiating"}))
    validate("/counterparties", "POST", api.post("/counterparties", {"name": "Spec Co"}))
    cp = sb.records("counterparties")[0]["id"]
    validate("/counterparties/{id}", "PATCH", api.patch(f"/counterparties/{cp}", {"status": "archived"}))
    co = sb.records("custom-objects")[0]
    col = co["smart_fields"][0]
    validate("/custom-objects/{customObjectId}/contract/{contractId}/records", "PUT",
             api.put(f"/custom-objects/{co['id']}/contract/{r.json()['id']}/records",
                     {"records": [{"id": None, "fromCatalogRecordId": None,
                                   "fields": [{"smartFieldId": col["id"], "value": "INV-1"}]}]}))
    sb.reset()


def _hypothesis_jsonschema_compat() -> None:
    """hypothesis-jsonschema 0.23 drives `cu.many` with `while elements.more()`; the pinned
    hypothesis (6.170) replaced that with a context-manager iterator. Give `many` the old method
    on top of the new protocol (only hypothesis-jsonschema calls it)."""
    from hypothesis.internal.conjecture import utils as cu

    if hasattr(cu.many, "more"):
        return

    def more(self) -> bool:
        if self._depth is None:
            self.__enter__()
            self._compat_iter = iter(self)
        try:
            next(self._compat_iter)
            return True
        except StopIteration:
            self.__exit__(None)
            return False

    cu.many.more = more


def test_schemathesis_read_endpoints(sb):
    _hypothesis_jsonschema_compat()
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    sb.reset_stats()
    schema = schemathesis.openapi.from_url(sb.url + "/openapi.json").include(method="GET")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    ran = 0
    for result in schema.get_all_operations():
        op = result.ok()

        @settings(max_examples=12, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=op.as_strategy())
        def run(case):
            case.call_and_validate(base_url=sb.url, headers={"x-api-key": sb.api_key}, checks=checks)

        run()
        ran += 1
    assert ran == 15
    stats = sb.stats()
    statuses = {r["status"] for r in stats["requests"]}
    assert stats["total"] >= 15 * 5 and {200, 400} <= statuses, stats
