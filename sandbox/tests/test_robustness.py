"""No input makes the sandbox answer 5xx (unless a fault asks for it): junk in every body property,
raw junk bodies, forged cursors and junk query values all get a 4xx."""

import base64
import json

import pytest

JUNK = [None, 1, -1, 1.5, True, "x", "", [], {}, [1], ["x"], [None], [[]], [{}], {"a": 1}, {"id": []},
        {"name": []}, {"type": []}, {"value": {}}, "2024-01-01"]


def _nested(key: str, v, field_id: str):
    return {
        "fields": [{"fieldId": field_id, "value": v}, {"fieldId": v, "value": 1}, v],
        "attributes": [{"attributeDefinitionId": v, "value": 1}, v],
        "signatories": {"internalSignatoryMemberIds": v, "externalSignatoryEmailList": v},
        "integration": {"type": "salesforce", "externalId": v, "externalEntity": v},
        "records": [{"id": v, "fields": v}, {"fields": [{"smartFieldId": v, "value": v}]}, v],
        "contractMembers": [{"memberId": v}, v],
        "counterparty": {"id": v} if v else {"name": v},
    }.get(key)


@pytest.fixture(scope="module")
def targets(sb):
    tpl = sb.records("contract-types")[0]["templates"][0]["id"]
    cid, cpid = sb.records("contracts")[0]["id"], sb.records("counterparties")[0]["id"]
    co = sb.records("custom-objects")[0]["id"]
    return [
        ("POST", "/contracts", {"templateId": tpl, "counterparty": {"name": "X"}},
         ["templateId", "counterparty", "name", "signatories", "fields", "contractMembers", "contractMembersIds",
          "contractTypeId", "folderId", "referentId", "supervisorId", "integration"]),
        ("PATCH", f"/contracts/{cid}", {}, ["name", "status", "folderId", "counterparty", "signatureDate",
                                            "signatories", "fields", "contractMembersIds", "integration"]),
        ("POST", "/counterparties", {"name": "n"}, ["name", "status", "attributes"]),
        ("PATCH", f"/counterparties/{cpid}", {}, ["name", "status", "attributes"]),
        ("PUT", f"/custom-objects/{co}/contract/{cid}/records", {"records": []}, ["records"]),
    ]


def test_junk_bodies_never_cause_5xx(api, sb, targets):
    field_id = next(f["id"] for f in sb.records("smart-fields") if f["object"] == "contract")
    failures = []
    for method, path, base, keys in targets:
        for key in keys:
            for v in JUNK:
                nested = _nested(key, v, field_id)
                for body in ({**base, key: v}, {**base, key: nested}, v):
                    r = api.s.request(method, sb.url + path, json=body, timeout=10)
                    if r.status_code >= 500:
                        failures.append((method, path, body, r.status_code))
        for raw in (b"", b"null", b"[", b"\xff\xfe", b'"str"'):
            r = api.s.request(method, sb.url + path, data=raw, headers={"Content-Type": "application/json"})
            if r.status_code >= 500:
                failures.append((method, path, raw, r.status_code))
    sb.reset()
    assert failures == []


def _cursor(d) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")


def test_forged_cursors_and_junk_queries_get_4xx(api, sb):
    real = api.get("/contracts", limit=2).json()["nextCursor"]
    d = json.loads(base64.urlsafe_b64decode(real + "=="))
    forged = [_cursor({**d, "v": [v]}) for v in (True, None, "garbage", 1, [])] + [
        _cursor({**d, "id": 5}), _cursor([]), _cursor("x"), "%%%", "a" * 5000,
        _cursor({"v": [True], "id": d["id"], "s": "name,id", "f": d["f"]})]
    failures = []
    for path in ("/contracts", "/counterparties", "/members", "/smart-fields", "/contract-types"):
        for c in forged:
            for sort in (None, "name", "-startAt"):
                r = api.get(path, after=c, **({"sort": sort} if sort else {}))
                if r.status_code >= 500:
                    failures.append((path, c, sort))
    junk = ["", " ", "in:", "ne:", "gte:", "in:,", "gte:2024-13-45", "lte:2024-01-01T25:00", ":", "%00", "[]"]
    for path in ("/contracts", "/counterparties", "/members", "/smart-fields", "/contract-types", "/clauses"):
        for param in ("status", "authorId", "startAt", "updatedAt", "name", "role", "isPublished", "object",
                      "lang", "limit", "sort"):
            for v in junk:
                if api.get(path, **{param: v}).status_code >= 500:
                    failures.append((path, param, v))
    assert failures == []
