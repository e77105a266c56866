"""The contract listing a push matches against (contract_listing.py), over a real socket: ranges of createdAt read
side by side give exactly what one chain gives (ids and content), under every way of naming statuses; when the
API does not keep the assumptions the listing reads one chain again; a fault in one range fails the whole push,
and nothing is created on a partial listing."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter

import pytest
from airbyte_cdk.models import AirbyteMessageSerializer, ConfiguredAirbyteCatalogSerializer
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro import DestinationTomorro
from destination_tomorro.client import EVERY_STATUS, TomorroClient
from destination_tomorro.contract_listing import list_every_contract
from destination_tomorro.errors import TomorroTransientError
from destination_tomorro.transport import Transport
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.assumptions import API_PROFILES

API_KEY = "sandbox-key"
STATUS_PROFILES = [(), ("default-lists-hide-closed",), ("status-in-refused",),
                   ("default-lists-hide-closed", "status-in-refused")]


@pytest.fixture(scope="module")
def server():
    with SandboxServer(seed=5, contracts=60, counterparties=30, fields=14, members=3, api_key=API_KEY, port=0) as sb:
        yield sb


def client_with_log(sb) -> tuple[TomorroClient, list[dict]]:
    """A client whose every GET /contracts query is recorded (the requests still go to the sandbox)."""
    client = TomorroClient(sb.url, API_KEY, requests_per_minute=100_000, max_concurrency=4)
    asked: list[dict] = []
    send = client.transport.request

    def request(method, path, **kw):
        if method == "GET" and path == "/contracts":
            asked.append(dict(kw.get("params") or {}))
        return send(method, path, **kw)

    client.transport.request = request
    return client, asked


def one_chain(sb) -> dict[str, dict]:
    client = TomorroClient(sb.url, API_KEY, requests_per_minute=100_000)
    try:
        return {c["id"]: c for c in client.iter_full_contracts(sort="createdAt")}
    finally:
        client.close()


def listed_and_one_chain(server, size: int, profiles) -> tuple[list, dict, list]:
    """(the listing, one chain's contracts by id, the listing's requests) of `size` contracts under `profiles`."""
    server.reset(contracts=size)
    server.set_api_profiles(list(profiles))
    try:
        expected = one_chain(server)
        client, asked = client_with_log(server)
        listed = list_every_contract(client).items
        client.close()
    finally:
        server.set_api_profiles([])
    return listed, expected, asked


@pytest.mark.parametrize("size", [30, 700, 2600])
@pytest.mark.parametrize("profiles", STATUS_PROFILES, ids=lambda p: "+".join(p) or "default")
def test_ranges_give_what_one_chain_gives(server, size, profiles):
    listed, expected, asked = listed_and_one_chain(server, size, profiles)
    assert len(expected) == size  # every status, closed ones included
    assert {c["id"]: c for c in listed} == expected  # same ids, same content
    assert len(listed) == size  # each once
    assert all("status" in q for q in asked)  # every request names the statuses
    ranges = {q["createdAt"] for q in asked if "createdAt" in q}
    per_list = size / (5 if "status-in-refused" in profiles else 1)  # one list per status where `in:` is refused
    if per_list > 50 * 10:  # enough pages to share (PAGES_PER_RANGE)
        assert len(ranges) > 1, "the listing was not read as ranges"
        assert all(re.fullmatch(r"gte:\d{4}-\d{2}-\d{2}", r) for r in ranges)  # the documented date format
    again = [q for q in asked if q.get("sort") == "-updatedAt"]  # contracts changed meanwhile, read again
    if "status-in-refused" in profiles:  # two quiet rounds, each status once in each: nothing moved here
        assert [q["status"] for q in again] == [*EVERY_STATUS["/contracts"], *EVERY_STATUS["/contracts"][::-1]]
    else:
        assert not again  # the `in:` path costs nothing more
    if size <= 50:
        assert not ranges and len(asked) - len(again) <= 1 + ("status-in-refused" in profiles) * 5


@pytest.mark.parametrize("profiles", [*((name,) for name in API_PROFILES),
                                      ("envelope-snake", "no-has-next", "status-in-refused", "default-lists-hide-closed"),
                                      ("slim-contracts", "created-filter-ignored")], ids="+".join)
def test_every_api_profile_lists_what_one_chain_lists(server, profiles):
    """The listing under every alternative the sandbox serves: ranges where they hold, one chain where not;
    either way exactly what one chain lists (ids and content)."""
    listed, expected, _ = listed_and_one_chain(server, 1200, profiles)
    assert {c["id"]: c for c in listed} == expected and len(listed) == len(expected) > 1000


def test_a_growing_account_is_shared_out_by_splitting_the_ranges_still_running(server, caplog):
    """Most contracts recent (85 % in the last 90 days of 3 years): the planned ranges are uneven, so the
    workers that finish early split the rest of the last one; the result is still exactly one chain's."""
    server.reset(contracts=4000, updated_skew="recent")
    server.set_faults(latency_ms=5)
    try:
        expected = one_chain(server)
        client, asked = client_with_log(server)
        with caplog.at_level("INFO", logger="airbyte"):
            listed = list_every_contract(client).items
        client.close()
    finally:
        server.set_faults(latency_ms=0)
        server.reset(updated_skew="uniform")
    assert {c["id"]: c for c in listed} == expected and len(listed) == 4000
    [done] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Listed ")]
    ranges, splits = map(int, re.search(r"as (\d+) range\(s\) of createdAt \((\d+) split while reading\)", done).groups())
    assert splits >= 2 and len({q["createdAt"] for q in asked if "createdAt" in q}) == ranges - 1  # range 0: none


def test_contracts_created_during_the_listing_are_listed(server):
    server.reset(contracts=1500)
    client, asked = client_with_log(server)
    created, lock = [], threading.Lock()
    send = client.transport.request

    def request(method, path, **kw):
        with lock:
            if not created and "createdAt" in (kw.get("params") or {}):  # the ranges are being read
                created.append(server.mutate(create=120))  # more than a page after the newest planned on
        return send(method, path, **kw)

    client.transport.request = request
    listed = {c["id"] for c in list_every_contract(client).items}
    client.close()
    assert created
    assert listed == {c["id"] for c in server.records("contracts")} and len(listed) == 1620


@pytest.mark.parametrize("profile, reason", [("created-filter-ignored", "the filter is ignored"),
                                             ("created-filter-refused", "answered HTTP 400"),
                                             ("sort-ignored", "the order is not ascending")])
def test_a_filter_or_order_not_kept_reads_one_chain_again(server, caplog, profile, reason):
    server.reset(contracts=1200)
    server.set_api_profiles([profile, "default-lists-hide-closed"])
    try:
        expected = one_chain(server)
        client, asked = client_with_log(server)
        with caplog.at_level("WARNING", logger="airbyte"):
            listed = list_every_contract(client).items
        client.close()
    finally:
        server.set_api_profiles([])
    assert {c["id"]: c for c in listed} == expected and len(listed) == 1200
    assert any(reason in r.getMessage() and "one chain" in r.getMessage() for r in caplog.records)
    # the one chain again: from the start, every status, no createdAt
    again = [q for q in asked if "createdAt" not in q and "after" not in q and q.get("sort") == "createdAt"]
    assert len(again) >= 2 and all(q["status"].startswith("in:") for q in again)


def _push(sb, tmp_path, rows, max_concurrency=4):
    config = {"api_key": API_KEY, "base_url": sb.url, "integration_type": "hubspot", "integration_entity": "deal",
              "default_contract_type": "Non-Disclosure Agreement", "default_template": "Mutual NDA",
              "requests_per_minute": 6000, "max_concurrency": max_concurrency, "max_retries": 1, "request_timeout_seconds": 5,
              "rejected_rows_path": str(tmp_path / "rejected.jsonl")}
    catalog = {"streams": [{"stream": {"name": "deals", "json_schema": {"type": "object"},
                                       "supported_sync_modes": ["incremental"]},
                            "sync_mode": "incremental", "destination_sync_mode": "append_dedup",
                            "destination_object_name": "contract", "primary_key": [["external_id"]]}]}
    messages = [{"type": "RECORD", "record": {"stream": "deals", "data": row, "emitted_at": 0}} for row in rows]
    out = []
    try:
        for message in DestinationTomorro().write(config, ConfiguredAirbyteCatalogSerializer.load(catalog),
                                                  (AirbyteMessageSerializer.load(json.loads(json.dumps(m)))
                                                   for m in messages)):
            out.append(message)
    except AirbyteTracedException as exc:
        return exc
    return None


def test_a_fault_in_one_range_fails_the_push_and_creates_nothing(server, tmp_path, monkeypatch):
    server.reset(contracts=1500)
    before = server.records("contracts")
    counterparty = server.records("counterparties")[0]["name"]
    rows = [{"external_id": f"LST-{i}", "name": f"listing {i}", "counterparty": counterparty} for i in range(3)]
    send = Transport.request
    hits = Counter()

    def request(self, method, path, **kw):  # later pages of one range fail, retries exhausted, every time
        params = kw.get("params") or {}
        if path == "/contracts" and "createdAt" in params and "after" in params:
            hits[params["createdAt"]] += 1
            if params["createdAt"] == next(iter(hits)):
                raise TomorroTransientError("GET /contracts: HTTP 503 after 2 attempts (injected)", 503)
        return send(self, method, path, **kw)

    monkeypatch.setattr(Transport, "request", request)
    error = _push(server, tmp_path, rows)
    assert hits, f"no range was read ({error})"
    assert error is not None and "injected" in str(error.internal_message or error.message)
    after = server.records("contracts")
    assert len(after) == len(before)
    assert not [c for c in after if ((c.get("integration") or {}).get("externalId") or "").startswith("LST-")]


def _linked(server, status: str, external_id: str) -> dict:
    """A contract in `status` linked to the HubSpot deal `external_id` (the push's rows match on it)."""
    contract = next(c for c in server.records("contracts") if c["status"] == status and not c.get("integration"))
    server.edit(records={"contracts": [{"id": contract["id"], "integration": {
        "type": "hubspot", "externalEntity": "deal", "externalId": external_id}}]})
    return contract


@pytest.mark.parametrize("workers", [1, 4])
def test_a_contract_that_moves_status_mid_listing_is_matched_not_created_again(server, tmp_path, workers,
                                                                              airbyte_logs):
    """Where Tomorro refuses `status=in:`, a contract that moves between two per-status lists is in neither
    (the sandbox moves it, cued on the lists themselves, so that it is missed whatever their order): the push
    finds it again among the contracts changed since the listing began and updates it; no second contract."""
    server.reset(contracts=60)
    server.set_api_profiles(["status-in-refused"])
    try:
        contract = _linked(server, "negotiating", "MOVED-1")
        # whichever list comes first, the contract has left it and is back in the other when that one is read
        server.move({"method": "GET", "path": "/v2/contracts", "query": {"status": "negotiating"}},
                    [{"id": contract["id"], "status": "draft"}])
        server.move({"method": "GET", "path": "/v2/contracts", "query": {"status": "draft"}},
                    [{"id": contract["id"], "status": "negotiating"}])
        counterparty = server.records("counterparties")[0]["name"]
        error = _push(server, tmp_path, [{"external_id": "MOVED-1", "name": "moved mid-listing",
                                          "counterparty": counterparty}], max_concurrency=workers)
        assert server.moves() == [], "the moves were not cued on the listing"
        assert error is None, error
        linked = [c for c in server.records("contracts") if (c.get("integration") or {}).get("externalId") == "MOVED-1"]
        assert [c["id"] for c in linked] == [contract["id"]]  # matched, never created beside it
        assert linked[0]["name"] == "moved mid-listing"  # the row was written to it
        refusals = [r.getMessage() for r in airbyte_logs if r.getMessage().startswith("GET /contracts refuses")]
        assert len(refusals) == 1, refusals  # said once per push, whichever reader met it
    finally:
        server.set_api_profiles([])


@pytest.mark.parametrize("workers", [1, 4])
def test_contracts_created_in_a_status_already_listed_are_found_again(server, workers):
    """Where `in:` is refused, contracts created while the last status is listed land in statuses read before
    it: the listing still holds every contract, each once, as it is."""
    server.reset(contracts=600)
    server.set_api_profiles(["status-in-refused"])
    try:
        client, asked = client_with_log(server)
        created, lock = [], threading.Lock()
        send = client.transport.request

        def request(method, path, **kw):
            with lock:
                if not created and (kw.get("params") or {}).get("status") == "canceled":
                    created.append(server.mutate(create=40, contracts=20))  # created, and edited, meanwhile
            return send(method, path, **kw)

        client.transport.request = request
        listing = list_every_contract(client, workers)
        client.close()
    finally:
        server.set_api_profiles([])
    now = {c["id"]: c for c in server.records("contracts")}
    assert created and listing.creates_held is None
    assert {c["id"]: c for c in listing.items} == now and len(listing.items) == 640


def test_where_moves_cannot_be_verified_no_contract_is_created_and_matches_still_update(server, tmp_path):
    """`sort=-updatedAt` not kept (here: ignored) on lists of several pages: the contracts changed meanwhile
    cannot be found again with certainty, so a row that finds no contract is rejected naming why; a row that
    finds its contract is written."""
    server.reset(contracts=700)
    server.set_api_profiles(["status-in-refused", "sort-ignored"])
    try:
        contract = _linked(server, "draft", "HELD-1")
        counterparty = server.records("counterparties")[0]["name"]
        error = _push(server, tmp_path, [{"external_id": "HELD-1", "name": "held but found", "counterparty": counterparty},
                                         {"external_id": "HELD-2", "name": "would be new", "counterparty": counterparty}],
                      max_concurrency=1)
    finally:
        server.set_api_profiles([])
    assert error is not None and "1 of 2 rows were rejected" in error.message
    rejected = [json.loads(line) for line in (tmp_path / "rejected.jsonl").read_text().splitlines()]
    assert [r["key"] for r in rejected] == ["HELD-2"]
    assert "not creating a contract" in json.dumps(rejected) and "is not newest-first" in json.dumps(rejected)
    linked = {(c.get("integration") or {}).get("externalId"): c for c in server.records("contracts")}
    assert "HELD-2" not in linked and linked["HELD-1"]["id"] == contract["id"]
    assert linked["HELD-1"]["name"] == "held but found"


def test_the_in_refusal_is_met_once_per_sync_and_said_once(server, airbyte_logs):
    """The listing and the client's own lists (create recovery, a fallback to one chain) share what Tomorro
    answered: `in:` is asked once and its refusal logged once."""
    server.reset(contracts=60)
    server.set_api_profiles(["status-in-refused"])
    try:
        client, asked = client_with_log(server)
        listed = list_every_contract(client).items
        recovered = list(client.iter_full_contracts(createdAt="gte:2000-01-01", sort="createdAt"))  # as recovery.py
        client.close()
    finally:
        server.set_api_profiles([])
    assert len(listed) == len(recovered) == 60
    assert [q["status"] for q in asked if q["status"].startswith("in:")] == ["in:" + ",".join(EVERY_STATUS["/contracts"])]
    refusals = [r.getMessage() for r in airbyte_logs if "refuses `status=in:`" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].startswith("GET /contracts"), refusals
