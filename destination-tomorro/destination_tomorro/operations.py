"""The write of one mapped row: find the existing object, then create it, PATCH what differs, or
leave it. `dry_run` runs the same decisions and stops before every POST / PATCH.

    map (mapping.RowMapper) -> find (indexes) -> create (recovery.create_once) | PATCH the diff | nothing
"""

from __future__ import annotations

import logging

from .client import TomorroClient
from .config import DestinationTomorroConfig
from .diff import diff_contract, diff_counterparty
from .errors import RowRejected, TomorroClientError
from .indexes import ContractIndex, CounterpartyIndex
from .keys import MatchKey
from .ledger import Classified
from .mapping import MappedRow
from .objects import CONTRACT, COUNTERPARTY
from .recovery import create_once, find_created_contract, find_landed_counterparty
from .routing import Route

logger = logging.getLogger("airbyte")
BY_NAME = MatchKey(COUNTERPARTY, "name")


class RowOperations:
    def __init__(self, client: TomorroClient, cfg: DestinationTomorroConfig, contracts: ContractIndex,
                 counterparties: CounterpartyIndex):
        self.client = client
        self.dry_run = cfg.dry_run
        self.contracts = contracts
        self.counterparties = counterparties

    def write(self, route: Route, row: MappedRow) -> Classified:
        if route.object == CONTRACT:
            return self._write_contract(route, row)
        return self._write_counterparty(route, row)

    # -- counterparties --------------------------------------------------------------------------
    def _write_counterparty(self, route: Route, row: MappedRow) -> Classified:
        with self.counterparties.name_lock(row.name or ""):
            current = self.counterparties.get(row)
            if current is not None:
                if route.mode == "append":
                    return Classified("unchanged", row.key, "exists (append never updates)")
                patch = diff_counterparty(row, current)
                if not patch:
                    return Classified("unchanged", row.key)
                if not self.dry_run:
                    self.counterparties.remember(self.client.update_counterparty(current["id"], patch))
                return Classified("updated", row.key, ", ".join(sorted(patch)))
            if self.dry_run:
                return Classified("created", row.key)
            created = create_once(self.client, lambda: self.client.create_counterparty(row.create_body),
                                  lambda since: find_landed_counterparty(self.client, row, route.match))
            self.counterparties.remember(created)
            return Classified("created", row.key)

    def _resolve_counterparty(self, name: str) -> tuple[str | None, list[str]]:
        """A contract's counterparty by name: found (exact, case-insensitive) or created once."""
        with self.counterparties.name_lock(name):
            found = self.counterparties.by_exact_name(name)
            if found is not None:
                return found["id"], []
            if self.dry_run:
                self.counterparties.would_create.add(name)
                return None, [f"would create counterparty '{name}'"]
            probe = MappedRow(COUNTERPARTY, None, {"name": name}, name=name)
            created = create_once(self.client, lambda: self.client.create_counterparty({"name": name}),
                                  lambda since: find_landed_counterparty(self.client, probe, BY_NAME))
            self.counterparties.remember(created)
            logger.info(f"Created counterparty '{name}' for a contract row")
            return created["id"], [f"created counterparty '{name}'"]

    # -- contracts -------------------------------------------------------------------------------
    def _write_contract(self, route: Route, row: MappedRow) -> Classified:
        extras: list[str] = []
        if row.key is None and route.mode == "append_dedup":
            raise RowRejected("external_id: append_dedup (upsert) needs an external_id to match contracts on")
        if not row.counterparty_id and row.counterparty_name:
            row.counterparty_id, extras = self._resolve_counterparty(row.counterparty_name)
        current = self.contracts.get(row.key) if row.key else None
        if current is not None:
            if route.mode == "append":
                return Classified("unchanged", row.key, "exists (append never updates)", extras)
            patch = diff_contract(row, current)
            if not patch:
                return Classified("unchanged", row.key, "", extras)
            if not self.dry_run:
                self.contracts.remember(self.client.update_contract(current["id"], patch))
            return Classified("updated", row.key, ", ".join(sorted(patch)), extras)
        if self.dry_run:
            return Classified("created", row.key, "", extras)
        body = dict(row.create_body)
        body["counterparty"] = {"id": row.counterparty_id}
        created = create_once(self.client, lambda: self.client.create_contract(body),
                              lambda since: find_created_contract(self.client, since, row))
        self.contracts.remember(created)
        if row.status and row.status != created.get("status"):
            # new contracts are drafts: the status is a second request
            try:
                self.contracts.remember(self.client.update_contract(created["id"], {"status": row.status}))
            except TomorroClientError as exc:
                raise RowRejected(f"status: contract {created['id']} was created but its status could not be "
                                  f"set to '{row.status}': {exc.message}", exc.status_code) from None
        return Classified("created", row.key, "", extras)
