"""TomorroWriter: the STATE / RECORD loop and the batches.

* RECORDs are buffered per stream (instance state); a buffer reaching `batch_size` is flushed.
* A STATE flushes every buffer first, then is emitted with `destinationStats.recordCount` (records
  since the previous state of the same stream, or of all streams for a global state): a state is
  only emitted once every record before it was written or rejected.
* A dry run writes nothing, so it emits no state (the platform would otherwise skip those rows).
* Rejected rows are retried, not lost: when the rows rejected so far are over `max_rejected_ratio`
  at a STATE, that state is not emitted and the sync fails there, so the platform sends those rows
  again next time. Below the threshold the state moves on; every rejected row is in the job log.
* A flush (a full buffer, a STATE, the end) writes every buffer: **counterparty rows before contract
  rows**, whatever the catalog order, with at most `max_concurrency` rows in flight. Rows sharing a
  matching key within one stream's batch are collapsed: **the later row wins**, earlier ones are
  counted as `superseded` and never sent, so two rows with the same key never race; rows with one
  key from several streams are written one after the other, **in arrival order**.
* A row failing with anything but a rejection (auth, retries exhausted) fails the sync after every
  row in flight has finished, so no state is emitted past an unwritten row.
* However the sync ends, the write report accounts for every row received (ledger.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateStats,
    AirbyteStateType,
    Level,
    Type,
)

from .client import TomorroClient
from .config import DestinationTomorroConfig
from .errors import RowRejected, TomorroAuthError, TomorroClientError
from .input import UnreadableRecord
from .ledger import Classified, Ledger
from .mapping import MappedRow
from .objects import KINDS
from .objects.kind import ObjectKind
from .operations import RowOperations
from .routing import Route, StreamKey


class TomorroWriter:
    def __init__(self, client: TomorroClient, routes: dict[StreamKey, Route], cfg: DestinationTomorroConfig):
        self.routes = routes
        self.cfg = cfg
        names = Counter(name for _, name in routes)
        # records whose namespace differs from the catalog's: matched on their stream name when unique
        self.by_name = {name: key for key in routes for name in [key[1]] if names[name] == 1}
        self.buffers: dict[StreamKey, list[tuple[int, Any]]] = {k: [] for k in routes}  # (arrival, data)
        self.arrived = 0
        self.indexes = {kind.name: kind.make_index(client, list(routes.values())) for kind in KINDS}
        self.operations = RowOperations(client, cfg, self.indexes)
        self.ledger = Ledger(routes.values(), dry_run=cfg.dry_run, rejected_rows_path=cfg.rejected_rows_path)
        self.states_emitted = self.states_withheld = 0

    # -- the loop --------------------------------------------------------------------------------
    def write(self, input_messages: Iterable[AirbyteMessage | UnreadableRecord]) -> Iterator[AirbyteMessage]:
        try:
            yield from self._loop(input_messages)
        except Exception:
            self._abandon()
            yield from self._closing()
            raise
        yield from self._closing()
        self.ledger.raise_if_too_many_rejected(self.cfg.max_rejected_ratio)

    def _loop(self, input_messages: Iterable[AirbyteMessage | UnreadableRecord]) -> Iterator[AirbyteMessage]:
        since_state: Counter[StreamKey] = Counter()
        for message in input_messages:
            if isinstance(message, UnreadableRecord):
                self._record(message.namespace, message.stream, message, since_state)
            elif message.type == Type.STATE and message.state is not None:
                # Emitting a state message indicates that all records which came before it have been
                # written to the destination. So we flush the queue to ensure writes happen, then
                # output the state message to indicate it's safe to checkpoint state.
                self.flush_all()
                if self.cfg.dry_run:
                    self.states_withheld += 1  # nothing was written: the platform must send it all again
                    continue
                if self.ledger.over_threshold(self.cfg.max_rejected_ratio):
                    self.states_withheld += 1  # the platform will send the rejected rows again
                    raise self.ledger.too_many_rejected(self.cfg.max_rejected_ratio, at_state=True)
                message.state.destinationStats = AirbyteStateStats(recordCount=float(_pop_count(message, since_state)))
                self.states_emitted += 1
                yield message
            elif message.type == Type.RECORD and message.record is not None:
                record = message.record
                self._record(record.namespace, record.stream, record.data, since_state)
        self.flush_all()

    def _record(self, namespace: str | None, stream: str, data: Any, since_state: Counter) -> None:
        key = (namespace, stream)
        if key not in self.routes:
            key = self.by_name.get(stream)
        if key is None:
            self.ledger.received(stream)
            self.ledger.reject(stream, RowRejected(f"stream '{stream}' is not in the configured catalog"), _row(data))
            return
        since_state[key] += 1
        if self.queue(key, data):
            self.flush(key)

    def _closing(self) -> Iterator[AirbyteMessage]:
        for text, warn in self.ledger.summary(self.operations.would_create):
            yield AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.WARN if warn else Level.INFO,
                                                                      message=text))
        yield self.ledger.report(self.states_emitted, self.states_withheld).to_message()

    def _abandon(self) -> None:
        """The sync failed: the rows still buffered are counted as unwritten (no state covers them)."""
        for stream_key, rows in self.buffers.items():
            for _ in rows:
                self.ledger.count(self.routes[stream_key].label, Classified("unwritten"))
            self.buffers[stream_key] = []

    # -- batches ---------------------------------------------------------------------------------
    def queue(self, stream_key: StreamKey, data: Any) -> bool:
        """Buffer a row; True when the stream's buffer reached batch_size and must be flushed."""
        self.arrived += 1
        self.buffers[stream_key].append((self.arrived, data))
        self.ledger.received(self.routes[stream_key].label)
        return len(self.buffers[stream_key]) >= self.cfg.batch_size

    def flush(self, stream_key: StreamKey | None = None) -> None:
        """A full buffer flushes every buffer: rows naming a counterparty must find it written."""
        self.flush_all()

    def flush_all(self) -> None:
        """Kind by kind in the registry's order (counterparty rows, then contract rows), whatever the
        catalog order: a contract row naming its counterparty by a key or a new name finds the
        counterparty its account row wrote."""
        for kind in KINDS:
            self.flush_object(kind)

    def flush_object(self, kind: ObjectKind) -> None:
        """Write every buffered row of every stream writing `kind`; returns once each one is
        acknowledged or rejected. Within a stream the later row with a key wins (earlier ones are
        `superseded`); rows with one key from several streams are written one after the other, in
        the order they arrived; different keys are written in parallel."""
        stream_keys = [k for k, r in self.routes.items() if r.kind is kind and self.buffers[k]]
        if not stream_keys:
            return
        per_key: dict[Any, list[tuple[int, Route, Any, MappedRow | RowRejected]]] = {}
        for stream_key in stream_keys:
            route = self.routes[stream_key]
            rows, self.buffers[stream_key] = self.buffers[stream_key], []
            groups: dict[Any, list[tuple[int, Any, MappedRow | RowRejected]]] = {}
            for index, (seq, data) in enumerate(rows):
                mapped, key = self._map(route, index, data)
                groups.setdefault(key, []).append((seq, data, mapped))
            for key, group in groups.items():
                for _seq, _data, mapped in group[:-1]:
                    self.ledger.count(route.label, Classified("superseded", _label(mapped),
                                                              "a later row in the batch has the same key"))
                seq, data, mapped = group[-1]
                shared = (_match_kind(route), key) if key[0] != "row" else (stream_key, key)
                per_key.setdefault(shared, []).append((seq, route, data, mapped))
        tasks = [sorted(rows, key=lambda r: r[0]) for rows in per_key.values()]
        kind.prepare_batch(self.indexes, tasks)  # e.g. list every counterparty once
        errors: list[BaseException] = []
        with ThreadPoolExecutor(max_workers=self.cfg.max_concurrency, thread_name_prefix="tomorro-writer") as pool:
            futures = [pool.submit(self._in_order, task) for task in tasks]
            for future in futures:
                exc = future.exception()
                if exc is not None:
                    errors.append(exc)
        if errors:
            raise errors[0]

    def _map(self, route: Route, index: int, data: Any) -> tuple[MappedRow | RowRejected, tuple]:
        try:
            if isinstance(data, UnreadableRecord):
                raise RowRejected(data.reason)
            if not isinstance(data, dict):
                raise RowRejected(f"record {index + 1} of the batch: its data is a {type(data).__name__}, "
                                  "not an object")
            mapped = route.mapper.map(data)
            return mapped, ((mapped.key,) if mapped.key else ("row", index))
        except RowRejected as exc:
            canonical, exc.key = route.mapper.raw_key(data)
            return exc, ((canonical,) if canonical else ("row", index))

    def _in_order(self, task: list[tuple[int, Route, Any, MappedRow | RowRejected]]) -> None:
        """Rows sharing one key, from several streams, one after the other in arrival order; after a
        failure the rest are counted unwritten."""
        for position, (_seq, route, data, mapped) in enumerate(task):
            try:
                self._process(route, data, mapped)
            except BaseException:
                for _, later_route, _, later in task[position + 1:]:
                    self.ledger.count(later_route.label, Classified("unwritten", _label(later)))
                raise

    def _process(self, route: Route, data: Any, mapped: MappedRow | RowRejected) -> None:
        try:
            if isinstance(mapped, RowRejected):
                raise mapped
            self.ledger.count(route.label, self.operations.write(route, mapped))
        except RowRejected as exc:
            exc.key = _label(mapped)
            self.ledger.reject(route.label, exc, _row(data))
        except TomorroAuthError:
            self.ledger.count(route.label, Classified("unwritten", _label(mapped)))
            raise
        except TomorroClientError as exc:
            self.ledger.reject(route.label, RowRejected(exc.message, exc.status_code, _label(mapped)), _row(data))
        except Exception:
            self.ledger.count(route.label, Classified("unwritten", _label(mapped)))
            raise


def _row(data: Any) -> dict[str, Any]:
    """A row as the rejected-rows file holds it."""
    if isinstance(data, dict):
        return data
    if isinstance(data, UnreadableRecord):
        return {"_stdin_line": data.line}
    return {"_data": data}


def _label(mapped: MappedRow | RowRejected) -> str | None:
    """The row's key as written in the row, for reports."""
    return mapped.label if isinstance(mapped, MappedRow) else mapped.key


def _match_kind(route: Route) -> tuple[str, str | None]:
    """What a key means, so that rows of two streams share a key only when it means one object: the
    same kind, matched on the same smart field (or both on the kind's own key column)."""
    return route.kind.name, route.match.field.id if route.match.field is not None else None


def _pop_count(message: AirbyteMessage, since_state: Counter) -> int:
    """Records received since the previous state covering the same stream(s)."""
    state = message.state
    if state.type == AirbyteStateType.STREAM and state.stream is not None:
        descriptor = state.stream.stream_descriptor
        key = (descriptor.namespace, descriptor.name)
        if key not in since_state:
            key = next((k for k in since_state if k[1] == descriptor.name), key)
        return since_state.pop(key, 0)
    total = sum(since_state.values())
    since_state.clear()
    return total
