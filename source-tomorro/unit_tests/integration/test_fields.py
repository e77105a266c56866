"""Mock-server tests for `fields`: one partition per object kind (`object=contract`,
`object=external_party`), each record tagged with its `object`; data-envelope pagination."""

from __future__ import annotations

import freezegun
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .helpers import read_stream, records_of
from .request_builder import TomorroRequestBuilder
from .response_builder import data_page

_NOW = "2024-03-01T00:00:00Z"


def _config():
    return ConfigBuilder().build()


@freezegun.freeze_time(_NOW)
class TestFields:
    @HttpMocker()
    def test_given_both_object_kinds_when_read_then_each_record_says_its_object(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.fields_stream_page("contract"),
                        data_page([{"id": "f1", "name": "Value", "type": "number"},
                                   {"id": "f2", "name": "Region", "type": "select"}], next_cursor="F2"))
        http_mocker.get(TomorroRequestBuilder.fields_stream_page("contract", after="F2"), data_page([{"id": "f3", "name": "Term", "type": "duration"}]))
        http_mocker.get(TomorroRequestBuilder.fields_stream_page("external_party"), data_page([{"id": "g1", "name": "VAT", "type": "text"}]))

        records = records_of(read_stream("fields", _config()))

        assert sorted((r["id"], r["object"]) for r in records) == [
            ("f1", "contract"), ("f2", "contract"), ("f3", "contract"), ("g1", "external_party")]
