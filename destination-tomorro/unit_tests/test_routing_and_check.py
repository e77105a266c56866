import logging

import pytest
from airbyte_cdk.models import Status
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


def test_check_succeeds_and_never_writes(fake, config):
    status = DestinationTomorro().check(logging.getLogger("t"), {**config, "default_contract_type": "Non-Disclosure Agreement",
                                                                 "counterparty_match_field": "siren"})
    assert status.status == Status.SUCCEEDED, status.message
    assert fake.writes() == 0
    assert fake.mocker.request_history[0].path == "/v2/members"


def test_check_reports_each_missing_default(fake, config):
    status = DestinationTomorro().check(logging.getLogger("t"), {
        **config, "default_template": "Lease", "default_contract_type": "Leases", "counterparty_match_field": "vat"})
    assert status.status == Status.FAILED
    assert "default_contract_type: 'Leases'" in status.message
    assert "default_template: 'Lease'" in status.message
    assert "counterparty_match_field: 'vat'" in status.message


def test_check_bad_key_and_bad_config(fake, config):
    status = DestinationTomorro().check(logging.getLogger("t"), {**config, "api_key": "nope-secret"})
    assert status.status == Status.FAILED and "Tomorro rejected the API key" in status.message
    assert "nope-secret" not in status.message
    status = DestinationTomorro().check(logging.getLogger("t"), {**config, "base_url": "http://remote.example"})
    assert status.status == Status.FAILED and "base_url: must use https" in status.message
