import re

import pytest
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro import DestinationTomorro
from destination_tomorro.config import DestinationTomorroConfig
from destination_tomorro.routing import resolve_routes


def cfg(**kw):
    return DestinationTomorroConfig.parse({"api_key": "k", **kw})


def test_routing_precedence(ab):
    catalog = ab.catalog(("contracts", "append"), ("Counterparty", "append_dedup"), ("accounts", "append_dedup"),
                         ("opps", "append_dedup", "contracts"), ("contracts_v2", "append", "counterparty"))
    routes = resolve_routes(catalog, cfg(object_mapping={"accounts": "counterparty", "opps": "counterparty"}))
    assert {k[1]: (r.object, r.mode) for k, r in routes.items()} == {
        "contracts": ("contract", "append"), "Counterparty": ("counterparty", "append_dedup"),
        "accounts": ("counterparty", "append_dedup"),
        "opps": ("contract", "append_dedup"),  # destination_object_name wins over object_mapping
        "contracts_v2": ("counterparty", "append")}


def test_unroutable_stream_and_overwrite_fail_before_any_request(ab, requests_mock):
    catalog = ab.catalog(("leads", "append"), ("contracts", "overwrite"), ("x", "append", "invoice"))
    with pytest.raises(AirbyteTracedException) as info:
        list(DestinationTomorro().write({"api_key": "k", "base_url": "https://api.tomorro.test/v2"}, catalog, iter([])))
    message = info.value.message
    assert info.value.failure_type.value == "config_error"
    assert "stream 'leads' cannot be routed" in message and "add it to the stream mapping" in message
    assert "stream 'contracts': destination sync mode 'overwrite' is refused" in message
    assert "never deletes contracts" in message
    assert "destination_object_name 'invoice' is not a Tomorro object" in message
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("mode", ["update", "soft_delete"])
def test_other_modes_refused(ab, mode):
    with pytest.raises(AirbyteTracedException, match=f"'{mode}' is refused"):
        resolve_routes(ab.catalog(("contracts", mode)), cfg())



def test_unknown_match_field_fails_write_as_config_error(sb, config, ab, w):
    _, error = w.run({**config, "counterparty_match_field": "vat number"}, ab.catalog(("counterparties", "append_dedup")),
                   [ab.record("counterparties", {"name": "A"})])
    assert error.failure_type.value == "config_error"
    assert "stream 'counterparties': 'vat number' (counterparty_match_field) is not a column counterparties can be " \
           "matched on" in error.message
    assert w.writes(sb) == []


def test_the_streams_setting_and_the_former_object_mapping_route_alike(ab):
    catalog = ab.catalog(("accounts", "append_dedup"), ("deals", "append_dedup"))
    by_entry = resolve_routes(catalog, cfg(streams=[{"stream": "accounts", "object": "counterparties"},
                                                    {"stream": "deals", "object": "contract", "match_key": "Id"}]))
    by_dict = resolve_routes(catalog, cfg(object_mapping={"accounts": "counterparty", "deals": "contract"}))
    assert {k[1]: r.object for k, r in by_entry.items()} == {k[1]: r.object for k, r in by_dict.items()} == {
        "accounts": "counterparty", "deals": "contract"}


def routes_with_keys(ab, schema, *streams, **overrides):
    from destination_tomorro.routing import build_mappers

    routes = resolve_routes(ab.catalog(*streams), cfg(**overrides))
    build_mappers(routes, schema, cfg(**overrides))
    return {k[1]: (r.match.column, r.match.source) for k, r in routes.items()}


def test_the_users_primary_key_is_the_matching_key(ab, schema):
    keys = routes_with_keys(
        ab, schema,
        ab.stream("deals", "append_dedup", "contract", pk=[["Id"]]),  # picked in the mapping step
        ab.stream("opps", "append_dedup", "contract", pk=[["hs_id"]], source_pk=[["hs_id"]]),  # the source's own
        ab.stream("accounts", "append_dedup", "counterparty", pk=[["SIREN"]]),
        ab.stream("contracts", "append_dedup"),  # no key: the default
        ab.stream("counterparties", "append_dedup"))
    assert keys == {"deals": ("Id", "the primary key of stream 'deals'"),
                    "opps": ("hs_id", "the primary key of stream 'opps'"),
                    "accounts": ("SIREN", "the primary key of stream 'accounts'"),
                    "contracts": ("external_id", "the default"), "counterparties": ("name", "the default")}


def test_a_source_defined_key_is_not_a_choice_without_a_mapping_step(ab, schema):
    keys = routes_with_keys(ab, schema, ab.stream("contracts", "append_dedup", pk=[["hs_id"]], source_pk=[["hs_id"]]))
    assert keys == {"contracts": ("external_id", "the default")}


def test_the_stream_setting_wins_then_the_match_field_then_the_primary_key(ab, schema):
    streams = [{"stream": "accounts", "object": "counterparty", "match_key": "name"}]
    keys = routes_with_keys(ab, schema, ab.stream("accounts", "append_dedup", pk=[["SIREN"]]),
                            ab.stream("others", "append_dedup", "counterparty", pk=[["name"]]),
                            streams=streams, counterparty_match_field="siren")
    assert keys == {"accounts": ("name", "the match_key of stream 'accounts'"),
                    "others": ("SIREN", "counterparty_match_field")}


@pytest.mark.parametrize("stream, words", [
    ({"pk": [["a"], ["b"]]}, "its primary key (a, b) is not one top-level column"),
    ({"pk": [["crm", "id"]]}, "its primary key (crm.id) is not one top-level column"),
])
def test_a_key_tomorro_cannot_match_on_fails_before_any_write(ab, schema, stream, words):
    with pytest.raises(AirbyteTracedException, match=re.escape(words)):
        routes_with_keys(ab, schema, ab.stream("deals", "append_dedup", "contract", **stream))
    with pytest.raises(AirbyteTracedException, match="'crm_id' .* is not a column counterparties can be matched on"):
        routes_with_keys(ab, schema, ab.stream("accounts", "append_dedup", "counterparty", pk=[["crm_id"]]))


def test_a_stream_without_its_key_column_fails_naming_its_columns(ab, schema):
    with pytest.raises(AirbyteTracedException) as info:
        routes_with_keys(ab, schema, ab.stream("deals", "append_dedup", "contract", columns=["Id", "Name", "Amount"]))
    assert "stream 'deals' has no column 'external_id' (the default) to match the external id of contracts on; " \
           "its columns: Id, Name, Amount" in info.value.message
    # keyless creates are allowed in append when the key was not chosen
    assert routes_with_keys(ab, schema, ab.stream("deals", "append", "contract", columns=["Name"])) == {
        "deals": ("external_id", "the default")}


@pytest.mark.parametrize("mode", ["append", "append_dedup"])
def test_rows_without_a_chosen_key_are_rejected_never_created_keyless(sb, config, ab, w, mode):
    """Without declared columns the check is per row: a row lacking the chosen key column is rejected
    naming it (in append too: a keyless create could not be found again)."""
    catalog = ab.catalog(ab.stream("deals", mode, "contract", pk=[["Id"]]))
    out, error = w.run(config, catalog, [ab.record("deals", {"name": "x", "counterparty_id": "cp", "amount": 1})] * 3)
    assert "Id: the row has no value in the column contracts are matched on (the primary key of stream 'deals')" \
        in error.message
    assert w.writes(sb) == [] and w.report(out).streams["deals"].rejected == 3


def test_the_key_column_holds_the_external_id_and_external_id_is_then_not_sent(sb, config, ab, w):
    catalog = ab.catalog(ab.stream("deals", "append_dedup", "contract", pk=[["Id"]]))
    row = {"Id": 4521.0, "external_id": "ignored", "name": "N", "counterparty": "Co"}
    out, error = w.run(config, catalog, [ab.record("deals", row)])
    assert error is None, error
    assert [c["integration"]["externalId"] for c in sb.records("contracts")] == ["4521"]
    assert "external_id not sent: the stream matches on 'Id', which is the external id" in w.logs(out)


def test_a_catalog_the_protocol_refuses_for_another_reason_is_a_config_error_naming_it():
    from destination_tomorro.routing import load_catalog

    with pytest.raises(AirbyteTracedException) as info:
        load_catalog({"streams": [{"stream": {"name": "contracts"}, "sync_mode": "sideways",
                                   "destination_sync_mode": "append"}]})
    assert info.value.failure_type.value == "config_error"
    assert info.value.message.startswith("Cannot write: the configured catalog is not valid (")
