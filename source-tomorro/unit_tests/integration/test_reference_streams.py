"""Mock-server tests for the reference streams: `fields` (one partition per object kind, with an
`object` column), `field_options` (children of select / multiselect fields only), `members`,
`contract_types` (templates inline, camelCase envelope), `clauses` (bare array) and
`contract_signed_files` (children of signed contracts; a 404 for a deleted parent is skipped)."""

from __future__ import annotations

import freezegun
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .helpers import read_stream, records_of
from .request_builder import TomorroRequestBuilder
from .response_builder import a_contract, a_member, an_option, canned, contracts_page, data_page, error

_NOW = "2024-03-01T00:00:00Z"


def _config():
    return ConfigBuilder().build()


def _fields_request(object_kind: str, after: str | None = None):
    builder = TomorroRequestBuilder("smart-fields").with_limit(2).with_param("object", object_kind)
    return (builder.with_after(after) if after else builder).build()


@freezegun.freeze_time(_NOW)
class TestFields:
    @HttpMocker()
    def test_given_both_object_kinds_when_read_then_each_record_says_its_object(self, http_mocker):
        http_mocker.get(_fields_request("contract"),
                        data_page([{"id": "f1", "name": "Value", "type": "number"},
                                   {"id": "f2", "name": "Region", "type": "select"}], next_cursor="F2"))
        http_mocker.get(_fields_request("contract", after="F2"), data_page([{"id": "f3", "name": "Term", "type": "duration"}]))
        http_mocker.get(_fields_request("external_party"), data_page([{"id": "g1", "name": "VAT", "type": "text"}]))

        records = records_of(read_stream("fields", _config()))

        assert sorted((r["id"], r["object"]) for r in records) == [
            ("f1", "contract"), ("f2", "contract"), ("f3", "contract"), ("g1", "external_party")]

    @HttpMocker()
    def test_given_select_and_other_fields_when_read_options_then_only_select_fields_are_asked(self, http_mocker):
        http_mocker.get(_fields_request("contract"),
                        data_page([{"id": "f1", "name": "Value", "type": "number"},
                                   {"id": "f2", "name": "Region", "type": "select"}]))
        http_mocker.get(_fields_request("external_party"), data_page([{"id": "g1", "name": "Tags", "type": "multiselect"}]))
        http_mocker.get(TomorroRequestBuilder.options("f2").with_limit(2).build(),
                        data_page([an_option(id="o1"), an_option(id="o2")], next_cursor="O2"))
        http_mocker.get(TomorroRequestBuilder.options("f2").with_limit(2).with_after("O2").build(),
                        data_page([an_option(id="o3")]))
        http_mocker.get(TomorroRequestBuilder.options("g1").with_limit(2).build(), data_page([an_option(id="o4")]))

        records = records_of(read_stream("field_options", _config()))

        assert sorted((r["smartFieldId"], r["id"]) for r in records) == [("f2", "o1"), ("f2", "o2"), ("f2", "o3"), ("g1", "o4")]


@freezegun.freeze_time(_NOW)
class TestSimpleLists:
    @HttpMocker()
    def test_given_members_pages_when_read_then_all_members(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.members().with_limit(2).build(),
                        data_page([a_member(id="m1"), a_member(id="m2")], next_cursor="M2"))
        http_mocker.get(TomorroRequestBuilder.members().with_limit(2).with_after("M2").build(), data_page([a_member(id="m3")]))

        assert [r["id"] for r in records_of(read_stream("members", _config()))] == ["m1", "m2", "m3"]

    @HttpMocker()
    def test_given_contract_types_when_read_then_templates_inline(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.contract_types().with_limit(2).build(), canned("contract_types"))

        record = records_of(read_stream("contract_types", _config()))[0]

        assert record["templates"][0]["smartFields"][0]["name"] == "Contract value"

    @HttpMocker()
    def test_given_bare_array_when_read_clauses_then_no_pagination_parameters(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.clauses().build(), canned("clauses"))

        assert [r["name"] for r in records_of(read_stream("clauses", _config()))] == ["Confidentiality"]


@freezegun.freeze_time(_NOW)
class TestContractSignedFiles:
    @HttpMocker()
    def test_given_signed_contracts_when_read_then_files_with_contract_id_and_deleted_parent_skipped(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.contracts().with_status("signed").with_limit(2).build(),
                        contracts_page([a_contract(id="k1"), a_contract(id="gone")]))
        http_mocker.get(TomorroRequestBuilder.signed_files("k1").build(), canned("signed_files"))
        http_mocker.get(TomorroRequestBuilder.signed_files("gone").build(), error(404))

        output = read_stream("contract_signed_files", _config())

        records = records_of(output)
        assert [(r["contractId"], r["filename"]) for r in records] == [("k1", "NDA - Acme - signed.pdf")]
        assert not output.errors

    @HttpMocker()
    def test_given_404_on_the_parent_list_when_read_then_the_sync_fails(self, http_mocker):
        http_mocker.get(TomorroRequestBuilder.contracts().with_status("signed").with_limit(2).build(), error(404))

        output = read_stream("contract_signed_files", _config(), expecting_exception=True)

        assert output.errors


@freezegun.freeze_time(_NOW)
class TestFieldOptionsMissingParent:
    @HttpMocker()
    def test_given_field_deleted_before_its_options_are_read_then_skipped(self, http_mocker):
        http_mocker.get(_fields_request("contract"), data_page([{"id": "f2", "name": "Region", "type": "select"}]))
        http_mocker.get(_fields_request("external_party"), data_page([{"id": "g1", "name": "Tags", "type": "multiselect"}]))
        http_mocker.get(TomorroRequestBuilder.options("f2").with_limit(2).build(), error(404))
        http_mocker.get(TomorroRequestBuilder.options("g1").with_limit(2).build(), data_page([an_option(id="o4")]))

        output = read_stream("field_options", _config())

        assert [(r["smartFieldId"], r["id"]) for r in records_of(output)] == [("g1", "o4")]
        assert not output.errors
