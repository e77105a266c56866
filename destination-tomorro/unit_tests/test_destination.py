"""destination.py: spec, check and write orchestration."""

import logging

from airbyte_cdk.models import Status
from destination_tomorro import DestinationTomorro


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


def test_bad_api_key_fails_with_config_error(fake, config, ab, w):
    fake.mocker.get(f"{config['base_url']}/contracts", status_code=401, json={"statusCode": 401, "message": "no"})
    _, error = w.run({**config, "api_key": "wrong-key-987"}, ab.catalog(("contracts", "append_dedup")),
                   [ab.record("contracts", w.deals(1)[0])])
    assert error.failure_type.value == "config_error" and "Tomorro rejected the API key" in error.message
    assert "wrong-key-987" not in error.message
