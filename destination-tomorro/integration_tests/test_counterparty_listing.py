"""The counterparties a push matches where Tomorro refuses `status=in:` (counterparty_listing.py, status_moves.py),
over a real socket: a counterparty archived or unarchived between the `active` and `archived` lists (the sandbox
moves it, cued on the lists themselves, so that it is in neither whatever their order) is matched, never created a
second time, whether the index looks its name up or lists every counterparty, and whether a counterparty row or a
contract row names it; where those moves cannot be verified no counterparty is created; where `in:` is taken,
nothing more is asked."""

from __future__ import annotations

import json

import pytest
from airbyte_cdk.models import AirbyteMessageSerializer, ConfiguredAirbyteCatalogSerializer
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro import DestinationTomorro
from destination_tomorro.client import TomorroClient
from destination_tomorro.errors import RowRejected
from destination_tomorro.indexes import LIST_THRESHOLD
from destination_tomorro.keys import name_key
from destination_tomorro.mapping import MappedRow
from destination_tomorro.objects.counterparty import BY_NAME
from destination_tomorro.recovery import find_landed_counterparty

LIST = {"method": "GET", "path": "/v2/counterparties"}
NEW_NAMES = [f"Brand New Account {i}" for i in range(LIST_THRESHOLD + 1)]  # enough names to list every counterparty


@pytest.fixture
def refused(sb):
    sb.set_api_profiles(["status-in-refused"])
    yield sb
    sb.set_api_profiles([])


def push(sb, config, stream: str, obj: str, rows: list[dict]) -> AirbyteTracedException | None:
    catalog = {"streams": [{"stream": {"name": stream, "json_schema": {"type": "object"},
                                       "supported_sync_modes": ["incremental"]},
                            "sync_mode": "incremental", "destination_sync_mode": "append_dedup",
                            "destination_object_name": obj}]}
    messages = [{"type": "RECORD", "record": {"stream": stream, "data": row, "emitted_at": 0}} for row in rows]
    try:
        for _ in DestinationTomorro().write(config, ConfiguredAirbyteCatalogSerializer.load(catalog),
                                            (AirbyteMessageSerializer.load(m) for m in messages)):
            pass
    except AirbyteTracedException as exc:
        return exc
    return None


def moved_out_of_both_lists(sb) -> dict:
    """An active counterparty that has left each status list when it is read, whichever is read first: archived
    as the `active` list is asked for, unarchived as the `archived` one is; active again in the end."""
    cp = next(c for c in sb.records("counterparties") if c["status"] == "active")
    sb.move({**LIST, "query": {"status": "active"}}, counterparties=[{"id": cp["id"], "status": "archived"}])
    sb.move({**LIST, "query": {"status": "archived"}}, counterparties=[{"id": cp["id"], "status": "active"}])
    return cp


def named(sb, name: str) -> list[dict]:
    return [c for c in sb.records("counterparties") if name_key(c["name"]) == name_key(name)]


@pytest.mark.parametrize("look_up", ["by name", "by listing every counterparty"])
def test_a_counterparty_that_moves_status_mid_listing_is_matched_not_created_again(refused, base_config, look_up):
    sb = refused
    cp = moved_out_of_both_lists(sb)
    rows = [{"name": cp["name"], "status": "archived"}, *([{"name": n} for n in NEW_NAMES] if "every" in look_up else [])]
    error = push(sb, base_config, "crm_accounts", "counterparty", rows)
    assert sb.moves() == [], "the moves were not cued on the listing"
    assert error is None, error
    assert [(c["id"], c["status"]) for c in named(sb, cp["name"])] == [(cp["id"], "archived")]  # updated, not twice
    assert all(len(named(sb, r["name"])) == 1 for r in rows[1:])  # the new ones created, once


def test_a_contract_row_naming_a_counterparty_that_moves_mid_listing_is_linked_to_it(refused, base_config):
    sb = refused
    cp = moved_out_of_both_lists(sb)
    error = push(sb, base_config, "deals", "contract", [{"external_id": "CPM-1", "name": "moved counterparty",
                                                         "counterparty": cp["name"]}])
    assert sb.moves() == [] and error is None, error
    assert [c["id"] for c in named(sb, cp["name"])] == [cp["id"]]  # no second counterparty
    contract = next(c for c in sb.records("contracts") if (c.get("integration") or {}).get("externalId") == "CPM-1")
    assert contract["counterparty"]["id"] == cp["id"]


def test_where_moves_cannot_be_verified_no_counterparty_is_created_and_matches_still_update(sb, base_config):
    """`sort=-updatedAt` not kept (here: ignored) on a status list of several pages: the counterparties changed
    meanwhile cannot be found again with certainty, so rows that would create one are rejected naming why; the row
    that finds its counterparty is written."""
    sb.reset(counterparties=150)
    sb.set_api_profiles(["status-in-refused", "sort-ignored"])
    try:
        cp = next(c for c in sb.records("counterparties") if c["status"] == "active")
        error = push(sb, base_config, "crm_accounts", "counterparty",
                     [{"name": cp["name"], "status": "archived"}, *({"name": n} for n in NEW_NAMES)])
    finally:
        sb.set_api_profiles([])
    assert error is not None and f"{len(NEW_NAMES)} of {len(NEW_NAMES) + 1} rows were rejected" in error.message
    rejected = [json.loads(line) for line in open(base_config["rejected_rows_path"]).read().splitlines()]
    assert sorted(r["key"] for r in rejected) == sorted(NEW_NAMES)
    assert all(r["reason"].startswith("name: not creating a counterparty: GET /counterparties refuses `status=in:`")
               and "is not newest-first" in r["reason"] for r in rejected)  # the column first, then why
    assert not any(named(sb, n) for n in NEW_NAMES)
    assert [(c["id"], c["status"]) for c in named(sb, cp["name"])] == [(cp["id"], "archived")]


def test_a_lost_create_whose_look_up_cannot_be_verified_rejects_the_row(sb):
    """Create recovery reads through the same listing: where the moves cannot be verified, it cannot say that
    nothing landed, so the row is rejected rather than created again (a name without a safe term: every
    counterparty listed)."""
    sb.reset(counterparties=150)
    sb.set_api_profiles(["status-in-refused", "sort-ignored"])
    client = TomorroClient(sb.url, sb.api_key, requests_per_minute=6000)
    try:
        with pytest.raises(RowRejected, match="may have landed .* not creating a counterparty: GET /counterparties"):
            find_landed_counterparty(client, MappedRow("counterparty", None, {"name": "株式会社"}, name="株式会社"), BY_NAME)
    finally:
        client.close()
        sb.set_api_profiles([])


@pytest.mark.parametrize("rows", [1, len(NEW_NAMES)], ids=["by name", "by listing every counterparty"])
def test_where_in_is_taken_nothing_more_is_asked(sb, base_config, rows):
    """The default API takes `status=in:`: each counterparty list is one list of every status, no re-read."""
    sb.reset_stats()
    assert push(sb, base_config, "crm_accounts", "counterparty", [{"name": n} for n in NEW_NAMES[:rows]]) is None
    lists = [r["query"] for r in sb.requests("GET", "/v2/counterparties")]
    assert lists and all(q.get("status") == "in:active,archived" and q.get("sort") != "-updatedAt" for q in lists)
    assert len(lists) == (rows if rows <= LIST_THRESHOLD else 1)  # one look-up per name, or one listing
