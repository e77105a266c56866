"""TomorroClient: one method per Tomorro API endpoint, every request through `Transport.request()`.

Every list goes through `_list()`, the one pagination loop, which reads pages with
`envelopes.read_page` (the one place that knows list envelopes).

Endpoint pages: https://alpha.developer.tomorro.com/api-reference/2025-01-29-alpha/...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from .envelopes import read_page
from .transport import RetryPolicy, Transport

MAX_PAGE = 50


class TomorroClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_concurrency: int = 4,
        requests_per_minute: int = 600,
    ):
        self.transport = Transport(base_url, api_key, timeout=timeout, retry=RetryPolicy(max_retries=max_retries),
                                   max_concurrency=max_concurrency, requests_per_minute=requests_per_minute)

    @property
    def retry(self) -> RetryPolicy:
        return self.transport.retry

    @property
    def request_count(self) -> int:
        return self.transport.request_count

    def server_now(self) -> dt.datetime:
        return self.transport.server_now()

    def close(self) -> None:
        self.transport.close()

    def _list(self, path: str, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, page after page (`limit` 50, `after` = the next cursor)."""
        params: dict[str, Any] = {"limit": MAX_PAGE, **filters}
        while True:
            page = read_page(self.transport.request("GET", path, params=params))
            yield from page.items
            if not page.has_next or not page.next_cursor:
                return
            params = {**params, "after": page.next_cursor}

    # -- members ---------------------------------------------------------------------------------
    def list_members(self, limit: int = 1) -> dict[str, Any]:
        """GET /members: list workspace members (members/list-members). Used by `check`."""
        return self.transport.request("GET", "/members", params={"limit": limit})

    # -- contracts -------------------------------------------------------------------------------
    def iter_contracts(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """GET /contracts, every page (contracts/list-contracts), e.g. createdAt="gte:..."."""
        return self._list("/contracts", filters)

    def get_contract(self, contract_id: str) -> dict[str, Any]:
        """GET /contracts/{id} (contracts/get-contract)."""
        return self.transport.request("GET", f"/contracts/{contract_id}")

    def create_contract(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /contracts (contracts/create-contract). Not idempotent: see AmbiguousWriteError."""
        return self.transport.request("POST", "/contracts", json=body)

    def update_contract(self, contract_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /contracts/{id} (contracts/update-contract)."""
        return self.transport.request("PATCH", f"/contracts/{contract_id}", json=body)

    # -- counterparties --------------------------------------------------------------------------
    def iter_counterparties(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """GET /counterparties, every page (counterparties/list-counterparties). `name` is a
        case-insensitive partial match."""
        return self._list("/counterparties", filters)

    def create_counterparty(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /counterparties (counterparties/create-counterparty). Not idempotent."""
        return self.transport.request("POST", "/counterparties", json=body)

    def update_counterparty(self, counterparty_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /counterparties/{id} (counterparties/update-counterparty)."""
        return self.transport.request("PATCH", f"/counterparties/{counterparty_id}", json=body)

    # -- schema: contract types, templates, smart fields, options ------------------------------
    def iter_contract_types(self) -> Iterator[dict[str, Any]]:
        """GET /contract-types with their templates (contract-types/list-contract-types)."""
        return self._list("/contract-types", {})

    def iter_smart_fields(self, object_kind: str) -> Iterator[dict[str, Any]]:
        """GET /smart-fields?object=contract|external_party (smart-fields/list-smart-fields)."""
        return self._list("/smart-fields", {"object": object_kind})

    def iter_options(self, smart_field_id: str) -> Iterator[dict[str, Any]]:
        """GET /smart-fields/{id}/options: options of a select / multiselect field
        (smart-fields/list-smart-field-options)."""
        return self._list(f"/smart-fields/{smart_field_id}/options", {})
