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
