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
    assert "stream 'leads' cannot be routed" in message and "object_mapping" in message
    assert "stream 'contracts': destination sync mode 'overwrite' is refused" in message
    assert "never deletes contracts" in message
    assert "destination_object_name 'invoice' is not a Tomorro object" in message
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("mode", ["update", "soft_delete"])
def test_other_modes_refused(ab, mode):
    with pytest.raises(AirbyteTracedException, match=f"'{mode}' is refused"):
        resolve_routes(ab.catalog(("contracts", mode)), cfg())



def test_unknown_match_field_fails_write_as_config_error(fake, config, ab, w):
    _, error = w.run({**config, "counterparty_match_field": "vat number"}, ab.catalog(("counterparties", "append_dedup")),
                   [ab.record("counterparties", {"name": "A"})])
    assert error.failure_type.value == "config_error" and "counterparty_match_field 'vat number'" in error.message
    assert fake.writes() == 0
