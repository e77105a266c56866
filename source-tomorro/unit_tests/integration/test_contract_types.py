"""Mock-server tests for `contract_types`: camelCase envelope, templates inline."""

from __future__ import annotations

import freezegun
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .helpers import read_stream, records_of
from .request_builder import TomorroRequestBuilder
from .response_builder import canned

_NOW = "2024-03-01T00:00:00Z"


def _config():
    return ConfigBuilder().build()


@freezegun.freeze_time(_NOW)
class TestContractTypes:
    @HttpMocker()
    def test_given_contract_types_when_read_then_templates_inline(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.contract_types().with_limit(2).build(), canned("contract_types"))

        record = records_of(read_stream("contract_types", _config()))[0]

        assert record["templates"][0]["smartFields"][0]["name"] == "Contract value"
