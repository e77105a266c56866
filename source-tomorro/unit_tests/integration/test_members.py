"""Mock-server tests for `members`: data-envelope pagination."""

from __future__ import annotations

import freezegun
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .helpers import read_stream, records_of
from .request_builder import TomorroRequestBuilder
from .response_builder import a_member, data_page

_NOW = "2024-03-01T00:00:00Z"


def _config():
    return ConfigBuilder().build()


@freezegun.freeze_time(_NOW)
class TestMembers:
    @HttpMocker()
    def test_given_members_pages_when_read_then_all_members(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.members().with_limit(2).build(),
                        data_page([a_member(id="m1"), a_member(id="m2")], next_cursor="M2"))
        http_mocker.get(TomorroRequestBuilder.members().with_limit(2).with_after("M2").build(), data_page([a_member(id="m3")]))

        assert [r["id"] for r in records_of(read_stream("members", _config()))] == ["m1", "m2", "m3"]
