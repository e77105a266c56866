"""The seed generator (tomorro_sandbox.seed): deterministic, realistic, timestamps on a coarse grid
in the past with ties."""

import collections
import datetime as dt

from tomorro_sandbox import SandboxServer
from tomorro_sandbox.seed import SeedOptions, generate
from tomorro_sandbox.testing import Api


def test_seeded_timestamps_are_all_valid_calendar_instants():
    """Regression: a term starting on 29 February used to end on 29 February of a common year."""
    data = generate(SeedOptions(seed=42, contracts=3000))
    for contract in data.contracts.values():
        for key in ("startAt", "endAt", "signatureDate", "createdAt", "updatedAt"):
            if contract.get(key):
                dt.datetime.fromisoformat(contract[key].replace("Z", "+00:00"))


def test_seeded_timestamps_are_in_the_past_and_tie_often(sb):
    contracts = sb.records("contracts")
    now = dt.datetime.now(dt.UTC).isoformat()
    assert all(c["updatedAt"] < now and c["createdAt"] <= c["updatedAt"] for c in contracts)
    ties = collections.Counter(c["updatedAt"] for c in contracts)
    assert ties.most_common(1)[0][1] >= 3


def test_seed_is_realistic(sb):
    contracts = sb.records("contracts")
    assert {c["status"] for c in contracts} == {"draft", "negotiating", "signing", "signed", "canceled"}
    assert {c["integration"]["type"] for c in contracts if c["integration"]} == {"salesforce", "hubspot"}
    assert all(c["signatureDate"] for c in contracts if c["status"] == "signed")
    types = {(f["object"], f["type"]) for f in sb.records("smart-fields")}
    assert len(types) == 14  # every type for both objects
    assert len(sb.records("smart-fields")) == 60
    assert len(sb.records("contract-types")) == 5
    assert {m["role"] for m in sb.records("members")} >= {"ADMIN"}


def test_same_seed_gives_same_data_and_ids():
    opts = {"seed": 5, "contracts": 40, "counterparties": 10, "fields": 20, "members": 5}
    with SandboxServer(**opts) as a, SandboxServer(**opts) as b, SandboxServer(**{**opts, "seed": 6}) as c:
        for coll in ("contracts", "counterparties", "members", "smart-fields", "options"):
            assert a.records(coll) == b.records(coll)
        assert Api(a).get("/contracts").json() == Api(b).get("/contracts").json()
        assert {x["id"] for x in c.records("contracts")}.isdisjoint({x["id"] for x in a.records("contracts")})


# --- updated_skew -----------------------------------------------------------------------------

RECENT_FROM = "2024-10-03T00:00:00.000Z"  # GRID_END (2025-01-01) minus 90 days
OLDER_FROM = "2021-10-04T00:00:00.000Z"  # three years of 365 days before that


def test_uniform_skew_is_the_default_and_gives_the_same_data_byte_for_byte():
    """Every suite and benchmark was written against this data: the hash pins it."""
    import hashlib

    import orjson

    default = generate(SeedOptions(seed=42, contracts=500))
    assert default == generate(SeedOptions(seed=42, contracts=500, updated_skew="uniform"))
    digest = hashlib.sha256(orjson.dumps(default.__dict__, option=orjson.OPT_NON_STR_KEYS)).hexdigest()
    assert digest.startswith("28cf3a6dedb943ef")


def test_recent_skew_puts_most_records_in_the_last_90_days_and_the_rest_in_the_3_years_before():
    data = generate(SeedOptions(seed=3, contracts=3000, counterparties=600, updated_skew="recent"))
    for records in (data.contracts.values(), data.counterparties.values()):
        recent = [r for r in records if r["createdAt"] >= RECENT_FROM]
        older = [r for r in records if r["createdAt"] < RECENT_FROM]
        assert 0.80 <= len(recent) / (len(recent) + len(older)) <= 0.90
        assert all(RECENT_FROM <= r["updatedAt"] < "2025-01-01" for r in recent)
        assert all(OLDER_FROM <= r["createdAt"] <= r["updatedAt"] < RECENT_FROM for r in older)
        assert min(r["createdAt"] for r in older) < "2022-06-01"  # spread over the three years
        ties = collections.Counter(r["updatedAt"] for r in records)
        assert ties.most_common(1)[0][1] >= 3
    assert min(m["createdAt"] for m in data.members.values()) >= "2023-01-01"  # members stay uniform


def test_recent_skew_is_deterministic_for_a_seed():
    opts = {"contracts": 400, "counterparties": 80, "updated_skew": "recent"}
    assert generate(SeedOptions(seed=8, **opts)) == generate(SeedOptions(seed=8, **opts))
    assert generate(SeedOptions(seed=8, **opts)).contracts != generate(SeedOptions(seed=9, **opts)).contracts


def test_unknown_skew_is_refused():
    import pytest

    with pytest.raises(ValueError, match="updated_skew must be one of uniform, recent, got 'old'"):
        SeedOptions(updated_skew="old")


def test_mutate_on_skewed_data_stamps_after_every_seeded_record():
    """An incremental read from the newest seeded updatedAt sees exactly the mutated records."""
    with SandboxServer(seed=4, contracts=200, counterparties=40, updated_skew="recent") as sb:
        newest = max(c["updatedAt"] for c in sb.records("contracts"))
        out = sb.mutate(contracts=7, create=2)
        assert out["updatedAt"] > newest
        after = dt.datetime.fromisoformat(newest.replace("Z", "+00:00")) + dt.timedelta(milliseconds=1)
        since = after.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        changed = Api(sb).walk("/contracts", "contracts", updatedAt=f"gte:{since}", limit=50)
        assert sorted(c["id"] for c in changed) == sorted(out["contracts"]["updated"] + out["contracts"]["created"])
