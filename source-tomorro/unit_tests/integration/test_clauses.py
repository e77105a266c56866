"""Mock-server tests for `clauses`: a bare array, no pagination parameters."""

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
class TestClauses:
    @HttpMocker()
    def test_given_bare_array_when_read_clauses_then_no_pagination_parameters(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.clauses().build(), canned("clauses"))

        assert [r["name"] for r in records_of(read_stream("clauses", _config()))] == ["Confidentiality"]
