"""Mock-server tests for `contract_signed_files`: children of `GET /contracts?status=signed`,
tagged with `contractId`; a 404 for a deleted contract is skipped, a 404 on the parent list is not."""

from __future__ import annotations

import freezegun
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .helpers import read_stream, records_of
from .request_builder import TomorroRequestBuilder
from .response_builder import a_contract, canned, contracts_page, error

_NOW = "2024-03-01T00:00:00Z"


def _config():
    return ConfigBuilder().build()


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
