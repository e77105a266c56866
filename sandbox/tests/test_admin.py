"""The admin API under /_sandbox/: stats, faults, mutate, reset, records, delete, clock, warm,
API profiles; runtime ids deterministic after a (re)seed."""

import pytest
import requests
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.assumptions import API_PROFILES
from tomorro_sandbox.testing import Api

COLLECTIONS = ["contracts", "counterparties", "members", "smart-fields", "options", "contract-types", "clauses",
               "signed-files", "contract-clauses"]


@pytest.fixture(autouse=True)
def _fresh(sb):
    yield
    sb.reset()
    sb.set_clock(0)


def test_health(sb):
    assert requests.get(sb.root_url + "/_sandbox/health", timeout=10).json() == {"status": "ok"}


def test_stats_count_by_method_path_template_and_status(api, sb):
    sb.reset_stats()
    c = sb.records("contracts")[0]["id"]
    for _ in range(3):
        api.get(f"/contracts/{c}")
    api.get("/contracts/00000000-0000-4000-8000-000000000000")
    api.get("/contracts", limit=99)
    stats = sb.stats()
    assert stats["total"] == 5
    assert {"method": "GET", "path": "/v2/contracts/{id}", "status": 200, "count": 3} in stats["requests"]
    assert {"method": "GET", "path": "/v2/contracts/{id}", "status": 404, "count": 1} in stats["requests"]
    assert {"method": "GET", "path": "/v2/contracts", "status": 400, "count": 1} in stats["requests"]
    assert sb.reset_stats() == {"total": 0, "requests": []}


def test_admin_requests_are_not_counted(sb):
    sb.reset_stats()
    sb.health()
    sb.records("members")
    assert sb.stats()["total"] == 0


def test_mutate_touches_with_one_shared_instant_and_creates(sb, api):
    out = sb.mutate(contracts=7, counterparties=3, create=2)
    assert len(out["contracts"]["updated"]) == 7 and len(out["counterparties"]["updated"]) == 3
    assert len(out["contracts"]["created"]) == 2
    stamp = out["updatedAt"]
    for cid in out["contracts"]["updated"] + out["contracts"]["created"]:
        assert api.get(f"/contracts/{cid}").json()["updatedAt"] == stamp
    for cpid in out["counterparties"]["updated"]:
        assert api.get(f"/counterparties/{cpid}").json()["updatedAt"] == stamp
    newest = api.get("/contracts", sort="-updatedAt", limit=50).json()["contracts"]
    assert sum(c["updatedAt"] == stamp for c in newest) == 9


def test_mutate_create_counterparties(sb):
    out = sb.mutate(create_counterparties=2)
    assert len(out["counterparties"]["created"]) == 2


def test_reset_restores_the_seeded_data(sb, api):
    before = sb.records("contracts")
    sb.mutate(contracts=5, create=3)
    sb.reset()
    assert sb.records("contracts") == before


def test_reset_with_other_options_reseeds(sb):
    out = sb.reset(seed=3, contracts=12)
    assert out["counts"]["contracts"] == 12
    assert len(sb.records("contracts")) == 12


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_records_returns_api_shapes(sb, collection):
    recs = sb.records(collection)
    assert recs and all("id" in r for r in recs)
    if collection == "smart-fields":
        assert {"id", "name", "type", "object"} == set(recs[0])
    if collection == "options":
        assert "smartFieldId" in recs[0]
    if collection == "signed-files":
        assert "contractId" in recs[0]


def test_reset_with_updated_skew_reseeds_a_young_account(sb):
    assert sb.reset(updated_skew="recent")["options"]["updated_skew"] == "recent"
    contracts = sb.records("contracts")
    assert sum(c["updatedAt"] >= "2024-10-03" for c in contracts) / len(contracts) > 0.8
    assert sb.reset()["options"]["updated_skew"] == "uniform"  # back to the start options
    assert sum(c["updatedAt"] >= "2024-10-03" for c in sb.records("contracts")) / len(contracts) < 0.3


def test_records_of_unknown_collection_is_404(sb):
    with pytest.raises(RuntimeError, match="404"):
        sb.records("folders")


def test_delete_removes_records_from_lists_and_gets(sb, api):
    c = sb.records("contracts")[0]["id"]
    cp = sb.records("counterparties")[0]["id"]
    out = sb.delete(contracts=[c, "nope"], counterparties=[cp])
    assert out == {"contracts": {"deleted": [c]}, "counterparties": {"deleted": [cp]}}
    assert api.get(f"/contracts/{c}").status_code == 404
    assert c not in {x["id"] for x in api.walk("/contracts", "contracts", limit=50)}


def test_clock_offset_skews_updated_at_and_date_header(sb, api):
    sb.set_clock(86400 * 365)
    c = sb.records("contracts")[0]
    r = api.patch(f"/contracts/{c['id']}", {"name": "Later"})
    import datetime as dt

    stamped = dt.datetime.fromisoformat(r.json()["updatedAt"].replace("Z", "+00:00"))
    assert stamped > dt.datetime.now(dt.UTC) + dt.timedelta(days=360)
    assert str(stamped.year) in r.headers["Date"]


def test_records_created_at_runtime_get_the_same_ids_for_the_same_requests():
    def run():
        with SandboxServer(seed=9, contracts=10, counterparties=3) as s:
            tpl = s.records("contract-types")[0]["templates"][0]["id"]
            created = Api(s).post("/contracts", {"templateId": tpl, "counterparty": {"name": "N"}}).json()
            return created["id"], created["counterparty"]["id"], s.mutate(create=2)["contracts"]["created"]

    assert run() == run()


@pytest.mark.parametrize(("path", "body", "fragment"), [
    ("/mutate", {"contracts": "x"}, "contracts must be a non-negative integer"),
    ("/mutate", [1], "must be a JSON object"),
    ("/delete", {"contracts": [[]]}, "contracts must be an array of ids"),
    ("/reset", {"seed": "x"}, "seed must be a non-negative integer"),
    ("/reset", {"bogus": 1}, "unknown seed options: bogus"),
    ("/reset", {"updated_skew": "old"}, "updated_skew must be one of uniform, recent, got 'old'"),
    ("/clock", {"offset_seconds": "x"}, "offset_seconds must be a number"),
    ("/faults", {"rate_limit": 5}, "N/SECONDS"),
])
def test_admin_given_bad_body_returns_400(sb, path, body, fragment):
    r = requests.post(sb.root_url + "/_sandbox" + path, json=body, timeout=10)
    assert r.status_code == 400 and fragment in " ".join(r.json()["message"]), r.text


def test_admin_unknown_route_is_404(sb):
    assert requests.get(sb.root_url + "/_sandbox/nope", timeout=10).status_code == 404


def test_warm_serializes_every_record_and_changes_nothing(sb, api):
    before = api.get("/contracts", limit=50).json()
    out = sb.warm()
    assert out["contracts"] == len(sb.records("contracts")) and out["seconds"] >= 0
    assert api.get("/contracts", limit=50).json() == before


def test_api_profiles_lists_none_active_and_every_known_profile_with_its_description(sb):
    out = requests.get(sb.root_url + "/_sandbox/api-profiles", timeout=10).json()
    assert out == {"profiles": [], "known": {n: p.description for n, p in API_PROFILES.items()}}
    assert len(out["known"]) == 13 and sb.api_profiles() == out


def test_put_api_profiles_replaces_the_active_set(sb, api):
    out = sb.set_api_profiles(["slim-contracts", "envelope-snake", "slim-contracts"])
    assert out["profiles"] == ["envelope-snake", "slim-contracts"]  # declaration order, once each
    assert list(api.get("/contracts").json()["data"][0]) == ["id", "name", "status"]
    assert sb.set_api_profiles(["no-has-next"])["profiles"] == ["no-has-next"]
    assert list(api.get("/contracts", limit=1).json()) == ["contracts", "nextCursor", "previousCursor"]
    assert sb.set_api_profiles([])["profiles"] == []
    assert "hasNext" in api.get("/contracts", limit=1).json()


@pytest.mark.parametrize(("body", "fragment"), [
    ({"profiles": ["slim-contracts", "bogus"]}, "unknown API profile 'bogus' (known: envelope-intro, envelope-snake"),
    ({"profiles": ["envelope-intro", "envelope-snake"]},
     "'envelope-intro' and 'envelope-snake' cannot be active together"),
    ({"profiles": ["updated-filter-ignored", "updated-filter-refused"]}, "cannot be active together"),
    ({"profiles": "slim-contracts"}, "profiles must be an array"),
    ({"profiles": [3]}, "must be a list of profile names"),
])
def test_put_api_profiles_given_bad_names_is_400_and_changes_nothing(sb, body, fragment):
    sb.set_api_profiles(["sort-ignored"])
    r = requests.put(sb.root_url + "/_sandbox/api-profiles", json=body, timeout=10)
    assert r.status_code == 400 and fragment in " ".join(r.json()["message"]), r.text
    assert sb.api_profiles()["profiles"] == ["sort-ignored"]


def test_reset_restores_the_profiles_given_at_start():
    with SandboxServer(contracts=10, counterparties=5, api_profiles=("slim-contracts", "no-has-next")) as sb:
        assert sb.api_profiles()["profiles"] == ["no-has-next", "slim-contracts"]
        sb.set_api_profiles(["envelope-intro"])
        sb.reset(seed=3)
        assert sb.api_profiles()["profiles"] == ["no-has-next", "slim-contracts"]
        r = Api(sb).get("/contracts").json()
        assert list(r) == ["contracts", "nextCursor", "previousCursor"] and list(r["contracts"][0]) == [
            "id", "name", "status"]


def test_sandbox_server_given_unknown_profile_raises_naming_it():
    with pytest.raises(ValueError, match="unknown API profile 'slim' "):
        SandboxServer(api_profiles=["slim"])
    with pytest.raises(ValueError, match="must be a list of profile names"):
        SandboxServer(api_profiles="slim-contracts")  # a bare name, not a list
    assert SandboxServer(api_profiles=iter(["no-has-next"])).config.api_profiles == ("no-has-next",)
