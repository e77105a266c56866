"""Mock-server tests for `field_options`: children of select / multiselect smart fields only,
paginated, tagged with `smartFieldId`; a field deleted before its options are read is skipped."""

from __future__ import annotations

import freezegun
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .helpers import read_stream, records_of
from .request_builder import TomorroRequestBuilder
from .response_builder import an_option, data_page, error

_NOW = "2024-03-01T00:00:00Z"


def _config():
    return ConfigBuilder().build()


@freezegun.freeze_time(_NOW)
class TestFieldOptions:
    @HttpMocker()
    def test_given_select_and_other_fields_when_read_options_then_only_select_fields_are_asked(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.fields_stream_page("contract"),
                        data_page([{"id": "f1", "name": "Value", "type": "number"},
                                   {"id": "f2", "name": "Region", "type": "select"}]))
        http_mocker.get(TomorroRequestBuilder.fields_stream_page("external_party"), data_page([{"id": "g1", "name": "Tags", "type": "multiselect"}]))
        http_mocker.get(TomorroRequestBuilder.options("f2").with_limit(2).build(),
                        data_page([an_option(id="o1"), an_option(id="o2")], next_cursor="O2"))
        http_mocker.get(TomorroRequestBuilder.options("f2").with_limit(2).with_after("O2").build(),
                        data_page([an_option(id="o3")]))
        http_mocker.get(TomorroRequestBuilder.options("g1").with_limit(2).build(), data_page([an_option(id="o4")]))

        records = records_of(read_stream("field_options", _config()))

        assert sorted((r["smartFieldId"], r["id"]) for r in records) == [("f2", "o1"), ("f2", "o2"), ("f2", "o3"), ("g1", "o4")]

    @HttpMocker()
    def test_given_field_deleted_before_its_options_are_read_then_skipped(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.fields_stream_page("contract"), data_page([{"id": "f2", "name": "Region", "type": "select"}]))
        http_mocker.get(TomorroRequestBuilder.fields_stream_page("external_party"), data_page([{"id": "g1", "name": "Tags", "type": "multiselect"}]))
        http_mocker.get(TomorroRequestBuilder.options("f2").with_limit(2).build(), error(404))
        http_mocker.get(TomorroRequestBuilder.options("g1").with_limit(2).build(), data_page([an_option(id="o4")]))

        output = read_stream("field_options", _config())

        assert [(r["smartFieldId"], r["id"]) for r in records_of(output)] == [("g1", "o4")]
        assert not output.errors
