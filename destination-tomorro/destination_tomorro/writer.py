"""TomorroWriter: per-stream buffers, batched writes, match indexes, stats and rejected rows.

The writer owns batching and the write pipeline of one row:

    map (mapping.RowMapper) -> find the existing object (match index) -> create / PATCH the diff / nothing

* Buffers are instance state, one list per stream; `flush()` writes them with at most
  `max_concurrency` rows in flight. Rows sharing a matching key within one batch are collapsed:
  **the later row wins**, earlier ones are counted as `superseded` and never sent, so two rows
  with the same key never race.
* Match indexes: contracts are matched on `integration.externalId`; the contracts list cannot be
  filtered on it, so the index is built by listing every contract once per sync (50 per page), on
  first need. Counterparties are matched on name (exact, case-insensitive) or on a smart field:
  per-name lookups (`name=` filter) while a batch needs few of them, one full listing once it
  needs more than `LIST_THRESHOLD` (or when matching on a smart field, which cannot be filtered).
* Creates are not idempotent in Tomorro. When a create's outcome is unknown (timeout, dropped
  connection, 5xx), the writer looks for the object it may have created (contracts created since
  just before the attempt, matched on externalId; counterparties by exact name) before trying again.
* `dry_run` runs the same pipeline and stops before every POST / PATCH.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from . import client as client_module
from .client import TomorroClient
from .errors import AmbiguousWriteError, RowRejected, TomorroAuthError, TomorroClientError, TomorroError
from .mapping import (
    CONTRACT,
    COUNTERPARTY,
    MappedRow,
    RowMapper,
    SmartField,
    contract_key,
    counterparty_key,
    diff_contract,
    diff_counterparty,
)
from .report import RejectedRow, ReportWarning, StreamCounts, WriteReport

logger = logging.getLogger("airbyte")
LIST_THRESHOLD = 20  # distinct counterparty names in one batch above which listing all is cheaper
CREATE_LOOKBACK = dt.timedelta(minutes=5)  # margin for clock skew when looking up an ambiguous create
STATS_LOG_PREFIX = "tomorro-destination stats "
OUTCOMES = ("created", "updated", "unchanged", "rejected", "superseded")


@dataclass
class StreamStats:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    superseded: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class Route:
    """Where one configured stream goes."""

    stream: str
    namespace: str | None
    object: str  # counterparty | contract
    mode: str  # append (create only) | append_dedup (upsert)
    mapper: RowMapper | None = None

    @property
    def label(self) -> str:
        return f"{self.namespace}.{self.stream}" if self.namespace else self.stream


@dataclass
class Rejection:
    stream: str
    key: str | None
    reason: str
    status_code: int | None
    record: dict[str, Any]


@dataclass
class Classified:
    """What happened (or, in a dry run, would happen) to one row."""

    outcome: str
    key: str | None = None
    detail: str = ""
    extras: list[str] = field(default_factory=list)


class ContractIndex:
    """externalId -> current contract, built by listing every contract once per sync."""

    def __init__(self, client: TomorroClient):
        self.client = client
        self.by_key: dict[str, dict[str, Any]] | None = None
        self.lock = threading.Lock()

    def _ensure(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            if self.by_key is None:
                index: dict[str, dict[str, Any]] = {}
                for contract in self.client.iter_contracts(sort="createdAt"):
                    key = contract_key(contract)
                    if key and key not in index:  # pre-existing duplicates: the oldest wins
                        index[key] = contract
                self.by_key = index
                logger.info(f"Indexed {len(index)} contracts by integration.externalId")
            return self.by_key

    def get(self, key: str) -> dict[str, Any] | None:
        return self._ensure().get(key)

    def remember(self, contract: dict[str, Any]) -> None:
        key = contract_key(contract)
        index = self._ensure()
        if key:
            with self.lock:
                index[key] = contract

    def find_created_since(self, since: dt.datetime, row: MappedRow) -> dict[str, Any] | None:
        """The contract an ambiguous create may have made: created since `since`, same externalId
        (rows without one: same name, template and counterparty)."""
        for contract in self.client.iter_contracts(createdAt=f"gte:{_iso(since)}", sort="createdAt"):
            if row.key:
                if contract_key(contract) == row.key:
                    return contract
            elif (contract.get("templateId") == row.create_body.get("templateId")
                  and (not row.name or contract.get("name") == row.name)
                  and (contract.get("counterparty") or {}).get("id") == row.counterparty_id):
                return contract
        return None


class CounterpartyIndex:
    """Counterparties by matching key and by name; per-name lookups or one full listing."""

    def __init__(self, client: TomorroClient, match_field: SmartField | None, dry_run: bool):
        self.client = client
        self.match_field = match_field
        self.dry_run = dry_run
        self.loaded = False
        self.by_key: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, dict[str, Any] | None] = {}  # None: looked up, absent
        self.lock = threading.RLock()
        self.name_locks: dict[str, threading.Lock] = {}
        self.would_create: set[str] = set()

    def _add(self, cp: dict[str, Any]) -> None:
        name = (cp.get("name") or "").strip().lower()
        if name and self.by_name.get(name) is None:
            self.by_name[name] = cp
        key = counterparty_key(cp, self.match_field)
        if key and key not in self.by_key:
            self.by_key[key] = cp

    def load_all(self) -> None:
        with self.lock:
            if not self.loaded:
                for cp in self.client.iter_counterparties(sort="createdAt"):
                    self._add(cp)
                self.loaded = True
                logger.info(f"Indexed {len(self.by_name)} counterparty names")

    def prepare(self, keys: int) -> None:
        """Before a batch: list everything when that is cheaper than `keys` lookups."""
        if not self.loaded and (self.match_field is not None or keys > LIST_THRESHOLD):
            self.load_all()

    def by_exact_name(self, name: str) -> dict[str, Any] | None:
        lowered = name.strip().lower()
        with self.lock:
            if self.loaded or lowered in self.by_name:
                return self.by_name.get(lowered)
        found = None
        for cp in self.client.iter_counterparties(name=name.strip(), sort="createdAt"):
            if (cp.get("name") or "").strip().lower() == lowered:
                found = cp
                break
        with self.lock:
            if found is not None:
                self._add(found)
            else:
                self.by_name.setdefault(lowered, None)
            return self.by_name.get(lowered)

    def get(self, row: MappedRow) -> dict[str, Any] | None:
        if self.match_field is None:
            return self.by_exact_name(row.name or "")
        self.load_all()
        with self.lock:
            return self.by_key.get(row.key or "")

    def remember(self, cp: dict[str, Any]) -> None:
        with self.lock:
            name = (cp.get("name") or "").strip().lower()
            known = self.by_name.get(name)
            if name and (known is None or known["id"] == cp["id"]):
                self.by_name[name] = cp
            key = counterparty_key(cp, self.match_field)
            if key:
                self.by_key[key] = cp

    def name_lock(self, name: str) -> threading.Lock:
        with self.lock:
            return self.name_locks.setdefault(name.strip().lower(), threading.Lock())

    def find_landed(self, row: MappedRow) -> dict[str, Any] | None:
        """After an ambiguous create: the counterparty it may have created (exact name, and the
        same matching key when matching on a smart field)."""
        for cp in self.client.iter_counterparties(name=(row.name or "").strip(), sort="-createdAt"):
            if (cp.get("name") or "").strip().lower() != (row.name or "").strip().lower():
                continue
            if self.match_field is None or counterparty_key(cp, self.match_field) == row.key:
                return cp
        return None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TomorroWriter:
    def __init__(self, client: TomorroClient, routes: dict[tuple[str | None, str], Route], *,
                 counterparties: CounterpartyIndex, batch_size: int = 200, max_concurrency: int = 4,
                 dry_run: bool = False, max_retries: int = 5, backoff_base: float = 0.5,
                 rejected_rows_path: str | None = None, sleep: Callable[[float], None] | None = None):
        self.client = client
        self.routes = routes
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        self.dry_run = dry_run
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.sleep = sleep or (lambda seconds: client_module._sleep(seconds))
        self.buffers: dict[tuple[str | None, str], list[dict[str, Any]]] = {k: [] for k in routes}
        self.stats: dict[str, StreamStats] = {r.label: StreamStats() for r in routes.values()}
        self.rejections: list[Rejection] = []
        self.rejections_by_stream: Counter[str] = Counter()
        self.samples: dict[str, dict[str, list[str]]] = {}
        self.contracts = ContractIndex(client)
        self.counterparties = counterparties
        self.lock = threading.Lock()
        self.rejected_rows_path = rejected_rows_path
        if rejected_rows_path:
            open(rejected_rows_path, "w").close()  # the file describes this sync only

    # -- buffering -------------------------------------------------------------------------------
    def queue(self, stream_key: tuple[str | None, str], data: dict[str, Any]) -> bool:
        """Buffer a row; True when the stream's buffer reached batch_size and must be flushed."""
        self.buffers[stream_key].append(data)
        self.stats[self.routes[stream_key].label].received += 1
        return len(self.buffers[stream_key]) >= self.batch_size

    def reject_unrouted(self, label: str, data: dict[str, Any]) -> None:
        self.stats.setdefault(label, StreamStats()).received += 1
        self._reject(label, None, RowRejected(f"stream '{label}' is not in the configured catalog"), data)

    def flush_all(self) -> None:
        for stream_key in self.buffers:
            self.flush(stream_key)

    def flush(self, stream_key: tuple[str | None, str]) -> None:
        """Write every buffered row of one stream; returns once each one is acknowledged or rejected.

        A row failing with anything but a rejection (auth, retries exhausted) fails the sync, after
        every row in flight has finished, so that no state is emitted past an unwritten row.
        """
        rows, self.buffers[stream_key] = self.buffers[stream_key], []
        if not rows:
            return
        route = self.routes[stream_key]
        groups: dict[Any, list[tuple[dict[str, Any], MappedRow | RowRejected]]] = {}
        for index, data in enumerate(rows):
            try:
                mapped: MappedRow | RowRejected = route.mapper.map(data)
                key = (mapped.key,) if mapped.key else ("row", index)
            except RowRejected as exc:
                raw = route.mapper.raw_key(data)
                exc.key = raw
                mapped, key = exc, ((raw,) if raw else ("row", index))
            groups.setdefault(key, []).append((data, mapped))
        if route.object == COUNTERPARTY:
            self.counterparties.prepare(len(groups))
        else:
            names = {m.counterparty_name for g in groups.values() for _, m in g
                     if isinstance(m, MappedRow) and m.counterparty_name and not m.counterparty_id}
            self.counterparties.prepare(len(names))
        tasks = []
        for group in groups.values():
            for _data, mapped in group[:-1]:
                key = mapped.key if isinstance(mapped, MappedRow) else getattr(mapped, "key", None)
                self._count(route.label, Classified("superseded", key, "a later row in the batch has the same key"))
            tasks.append(group[-1])
        errors: list[BaseException] = []
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="tomorro-writer") as pool:
            futures = [pool.submit(self._process, route, data, mapped) for data, mapped in tasks]
            for future in futures:
                exc = future.exception()
                if exc is not None:
                    errors.append(exc)
        if errors:
            raise errors[0]

    # -- one row ---------------------------------------------------------------------------------
    def _process(self, route: Route, data: dict[str, Any], mapped: MappedRow | RowRejected) -> None:
        key = mapped.key if isinstance(mapped, MappedRow) else getattr(mapped, "key", None)
        try:
            if isinstance(mapped, RowRejected):
                raise mapped
            if route.object == CONTRACT:
                result = self._write_contract(route, mapped)
            else:
                result = self._write_counterparty(route, mapped)
            self._count(route.label, result)
        except RowRejected as exc:
            self._reject(route.label, key, exc, data)
        except TomorroAuthError:
            raise
        except TomorroClientError as exc:
            self._reject(route.label, key, RowRejected(exc.message, exc.status_code), data)

    def _write_counterparty(self, route: Route, row: MappedRow) -> Classified:
        with self.counterparties.name_lock(row.name or ""):
            return self._write_counterparty_locked(route, row)

    def _write_counterparty_locked(self, route: Route, row: MappedRow) -> Classified:
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
        created = self._create(lambda: self.client.create_counterparty(row.create_body),
                               lambda since: self.counterparties.find_landed(row))
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
            created = self._create(lambda: self.client.create_counterparty({"name": name}),
                                   lambda since: self.counterparties.find_landed(probe))
            self.counterparties.remember(created)
            logger.info(f"Created counterparty '{name}' for a contract row")
            return created["id"], [f"created counterparty '{name}'"]

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
        created = self._create(lambda: self.client.create_contract(body),
                               lambda since: self.contracts.find_created_since(since, row))
        self.contracts.remember(created)
        if row.status and row.status != created.get("status"):
            # new contracts are drafts: the status is a second request
            try:
                self.contracts.remember(self.client.update_contract(created["id"], {"status": row.status}))
            except TomorroClientError as exc:
                raise RowRejected(f"status: contract {created['id']} was created but its status could not be "
                                  f"set to '{row.status}': {exc.message}", exc.status_code) from None
        return Classified("created", row.key, "", extras)

    def _create(self, create: Callable[[], dict[str, Any]],
                find_landed: Callable[[dt.datetime], dict[str, Any] | None]) -> dict[str, Any]:
        """POST once; after an ambiguous failure look the object up before trying again."""
        attempt = 0
        while True:
            since = self.client.server_now() - CREATE_LOOKBACK
            try:
                return create()
            except TomorroClientError as exc:
                if exc.status_code != 409:
                    raise
                # a server that deduplicates creates says the object exists: find it
                landed = find_landed(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
                if landed is None:
                    raise
                return landed
            except AmbiguousWriteError as exc:
                landed = find_landed(since)
                if landed is not None:
                    logger.info(f"A create whose answer was lost had landed ({exc.message}); not repeating it")
                    return landed
                if attempt >= self.max_retries:
                    raise
                self.sleep(min(30.0, self.backoff_base * 2**attempt))
                attempt += 1

    # -- bookkeeping -----------------------------------------------------------------------------
    def _count(self, label: str, result: Classified) -> None:
        with self.lock:
            stats = self.stats[label]
            setattr(stats, result.outcome, getattr(stats, result.outcome) + 1)
            samples = self.samples.setdefault(label, {})
            bucket = samples.setdefault(result.outcome, [])
            if len(bucket) < 5:
                bucket.append(f"{result.key or '(no key)'}" + (f": {result.detail}" if result.detail else "")
                              + (f" [{'; '.join(result.extras)}]" if result.extras else ""))

    def _reject(self, label: str, key: str | None, exc: RowRejected, data: dict[str, Any]) -> None:
        rejection = Rejection(label, key, exc.reason, exc.status_code, data)
        with self.lock:
            self.stats.setdefault(label, StreamStats()).rejected += 1
            self.rejections.append(rejection)
            logger.warning(f"Rejected a row of stream '{label}' (key {key!r}): {exc.reason}")
            if self.rejected_rows_path:
                with open(self.rejected_rows_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(asdict(rejection), default=str, ensure_ascii=False) + "\n")

    def summary(self) -> list[tuple[str, bool]]:
        """The end-of-sync report: (text, is_warning) lines, per stream, dry-run samples included."""
        lines: list[tuple[str, bool]] = []
        prefix = "DRY RUN (nothing written): " if self.dry_run else ""
        verb = "would be " if self.dry_run else ""
        for route in self.routes.values():
            stats = self.stats[route.label].as_dict()
            lines.append((f"{prefix}stream '{route.label}' -> {route.object} ({route.mode}): " + ", ".join(
                f"{verb}{k} {v}" if k in ("created", "updated") else f"{k} {v}" for k, v in stats.items()), False))
            if route.mapper and route.mapper.unknown_columns:
                lines.append((f"stream '{route.label}': columns matching no {route.object} attribute or smart field "
                              f"were not sent: {', '.join(sorted(route.mapper.unknown_columns))}", True))
            if self.dry_run:
                for outcome, keys in self.samples.get(route.label, {}).items():
                    lines.append((f"{prefix}stream '{route.label}' {outcome} e.g. {'; '.join(keys)}", False))
        for label in sorted(set(self.stats) - {r.label for r in self.routes.values()}):
            lines.append((f"stream '{label}' is not in the configured catalog: {self.stats[label].rejected} rows rejected", True))
        if self.dry_run and self.counterparties.would_create:
            names = sorted(self.counterparties.would_create)
            lines.append((f"{prefix}contract rows would create {len(names)} counterparties: {', '.join(names[:10])}", False))
        # one machine-readable line for tools driving the console script (tomorro-sync)
        payload = {label: {**stats.as_dict(), "dry_run": self.dry_run} for label, stats in self.stats.items()}
        lines.append((f"{STATS_LOG_PREFIX}{json.dumps(payload, sort_keys=True)}", False))
        return lines

    def report(self, states_emitted: int) -> WriteReport:
        """This sync's account for tools driving the console script (see report.py)."""
        warnings = [ReportWarning(route.label, "unknown_columns",
                                  f"columns matching no {route.object} attribute or smart field were not sent: "
                                  f"{', '.join(sorted(route.mapper.unknown_columns))}")
                    for route in self.routes.values() if route.mapper and route.mapper.unknown_columns]
        return WriteReport(
            streams={label: StreamCounts(**stats.as_dict()) for label, stats in self.stats.items()},
            rejected_rows=[RejectedRow(r.stream, r.key, r.reason, r.status_code) for r in self.rejections],
            rejected_rows_total=len(self.rejections), warnings=warnings, dry_run=self.dry_run,
            states_emitted=states_emitted)

    def raise_if_too_many_rejected(self, max_rejected_ratio: float) -> None:
        """Fail the sync (config_error) when any row was rejected, unless the rejected fraction
        stays within `max_rejected_ratio` (> 0)."""
        received, rejected = self.totals()
        if not rejected or (received and max_rejected_ratio > 0 and rejected / received <= max_rejected_ratio):
            return
        first = "; ".join(f"{r.stream} key {r.key!r}: {r.reason}" for r in self.rejections[:3])
        where = f" Every rejected row is in {self.rejected_rows_path}." if self.rejected_rows_path else ""
        message = (f"{rejected} of {received} rows were rejected (max_rejected_ratio={max_rejected_ratio}); "
                   f"the other rows were written. First reasons: {first}.{where}")
        raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)

    def totals(self) -> tuple[int, int]:
        received = sum(s.received for s in self.stats.values())
        rejected = sum(s.rejected for s in self.stats.values())
        return received, rejected


__all__ = ["TomorroWriter", "Route", "StreamStats", "CounterpartyIndex", "ContractIndex", "OUTCOMES", "TomorroError"]
