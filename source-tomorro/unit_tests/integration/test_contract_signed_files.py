"""Mock-server tests for `contract_signed_files`: children of the signed contracts (`GET /contracts?status=signed`,
read by the list reader), tagged with `contractId` and `contractUpdatedAt`; a 404 for a deleted contract is
skipped, a 404 on the parent list is not. A later sync visits only the signed contracts updated since."""

from __future__ import annotations

import freezegun
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from .config import ConfigBuilder
from .helpers import read_stream, records_of
from .request_builder import TomorroRequestBuilder
from .response_builder import a_contract, canned, contracts_page, error

_NOW = "2024-03-01T00:00:00Z"


def _config():
    return ConfigBuilder().with_values(num_workers=1).build()


def _signed(gte: str = "1970-01-01T00:00:00.000Z"):
    return (TomorroRequestBuilder.contracts().with_status("signed").with_limit(2).with_sort("updatedAt")
            .with_updated_at_gte(gte).build())


@freezegun.freeze_time(_NOW)
class TestContractSignedFiles:
    @HttpMocker()
    def test_given_signed_contracts_when_read_then_files_with_contract_id_and_deleted_parent_skipped(self, http_mocker):
        http_mocker.get(_signed(), contracts_page([a_contract(id="k1"), a_contract(id="gone")]))
        http_mocker.get(TomorroRequestBuilder.signed_files("k1").build(), canned("signed_files"))
        http_mocker.get(TomorroRequestBuilder.signed_files("gone").build(), error(404))

        output = read_stream("contract_signed_files", _config())

        records = records_of(output)
        assert [(r["contractId"], r["filename"], r["contractUpdatedAt"]) for r in records] == [
            ("k1", "NDA - Acme - signed.pdf", "2024-02-01T10:00:00.000Z")]
        assert not output.errors

    @HttpMocker()
    def test_given_a_parent_page_cut_short_when_retried_then_the_fresh_answer_is_read_not_a_cached_copy(
            self, http_mocker):
        # The CDK caches parent streams' answers unless the requester says `use_cache: false`; a cached answer that
        # is not JSON would be replayed on every retry and fail the sync.
        http_mocker.get(_signed(), [HttpResponse('{"contracts": [{"id": "k1", "upd', 200),
                                    contracts_page([a_contract(id="k1")])])
        http_mocker.get(TomorroRequestBuilder.signed_files("k1").build(), canned("signed_files"))

        output = read_stream("contract_signed_files", _config())

        assert [r["contractId"] for r in records_of(output)] == ["k1"]
        assert not output.errors

    @HttpMocker()
    def test_given_404_on_the_parent_list_when_read_then_the_sync_fails(self, http_mocker):
        http_mocker.get(_signed(), error(404))

        output = read_stream("contract_signed_files", _config(), expecting_exception=True)

        assert output.errors

    @HttpMocker()
    def test_given_state_when_read_then_only_signed_contracts_updated_since_are_visited(self, http_mocker):
        # the state holds the parent's cursor: the parent list starts there (minus the lookback), so a contract
        # unchanged since the last sync is not asked for its files again
        http_mocker.get(_signed(gte="2024-02-01T09:55:00.000Z"),
                        contracts_page([a_contract(id="k2", updatedAt="2024-02-20T00:00:00.000Z")]))
        http_mocker.get(TomorroRequestBuilder.signed_files("k2").build(), canned("signed_files"))
        state = {"use_global_cursor": True, "state": {"contractUpdatedAt": "2024-02-01T10:00:00.000Z"},
                 "parent_state": {"signed_contracts": {"updatedAt": "2024-02-01T10:00:00.000Z"}}}

        output = read_stream("contract_signed_files", _config(), SyncMode.incremental, state=state)

        assert [r["contractId"] for r in records_of(output)] == ["k2"]
        final = dict(output.most_recent_state.stream_state.__dict__)
        assert final["parent_state"] == {"signed_contracts": {"updatedAt": "2024-02-20T00:00:00.000Z"}}
