"""TomorroRequestBuilder: one classmethod per endpoint, `with_*` query knobs, `build() -> HttpRequest`.

Query parameters must match exactly (HttpMocker); headers are matched as a subset, so every request
built here also asserts the `x-api-key` and `tomorro-version` headers.
"""

from __future__ import annotations

from typing import Any

from airbyte_cdk.test.mock_http import HttpRequest

from .config import API_KEY, BASE_URL

API_VERSION = "2025-01-29.alpha"
# Every list request of these streams names each status (a list may hide some by default): manifest `statuses`.
ALL_CONTRACT_STATUSES = "in:draft,negotiating,signing,signed,canceled"
ALL_COUNTERPARTY_STATUSES = "in:active,archived"


class TomorroRequestBuilder:
    def __init__(self, path: str, api_key: str = API_KEY) -> None:
        self._path = path
        self._api_key = api_key
        self._params: dict[str, Any] = {}

    # --- endpoints ---
    @classmethod
    def contracts(cls) -> TomorroRequestBuilder:
        return cls("contracts").with_status(ALL_CONTRACT_STATUSES)

    @classmethod
    def contract(cls, contract_id: str) -> TomorroRequestBuilder:
        return cls(f"contracts/{contract_id}")

    @classmethod
    def counterparty(cls, counterparty_id: str) -> TomorroRequestBuilder:
        return cls(f"counterparties/{counterparty_id}")

    @classmethod
    def counterparties(cls) -> TomorroRequestBuilder:
        return cls("counterparties").with_status(ALL_COUNTERPARTY_STATUSES)

    @classmethod
    def smart_fields(cls, object_kind: str) -> TomorroRequestBuilder:
        return cls("smart-fields").with_param("object", object_kind)

    @classmethod
    def fields_stream_page(cls, object_kind: str, after: str | None = None, limit: int = 2) -> HttpRequest:
        """A page of the `fields` stream (and of `field_options`' parent) at the tests' page size."""
        builder = cls.smart_fields(object_kind).with_limit(limit)
        return (builder.with_after(after) if after else builder).build()

    @classmethod
    def options(cls, field_id: str) -> TomorroRequestBuilder:
        return cls(f"smart-fields/{field_id}/options")

    @classmethod
    def members(cls) -> TomorroRequestBuilder:
        return cls("members")

    @classmethod
    def contract_types(cls) -> TomorroRequestBuilder:
        return cls("contract-types")

    @classmethod
    def clauses(cls) -> TomorroRequestBuilder:
        return cls("clauses")

    @classmethod
    def signed_files(cls, contract_id: str) -> TomorroRequestBuilder:
        return cls(f"contracts/{contract_id}/signed-files")

    # --- knobs ---
    def with_param(self, name: str, value: Any) -> TomorroRequestBuilder:
        self._params[name] = str(value)
        return self

    def with_limit(self, limit: int) -> TomorroRequestBuilder:
        return self.with_param("limit", limit)

    def with_after(self, cursor: str) -> TomorroRequestBuilder:
        return self.with_param("after", cursor)

    def with_sort(self, sort: str) -> TomorroRequestBuilder:
        return self.with_param("sort", sort)

    def with_updated_at_gte(self, value: str) -> TomorroRequestBuilder:
        return self.with_param("updatedAt", f"gte:{value}")

    def with_status(self, status: str) -> TomorroRequestBuilder:
        return self.with_param("status", status)

    def build(self) -> HttpRequest:
        return HttpRequest(
            url=f"{BASE_URL}/{self._path}",
            query_params=dict(self._params) or None,
            headers={"x-api-key": self._api_key, "tomorro-version": API_VERSION},
        )
