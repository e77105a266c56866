"""`ObjectKind`: everything the destination needs to know about one Tomorro object it writes.

The generic modules (routing, keys, mapping, policy, ownership, operations, writer, discover, check)
never ask "is this a contract?": they ask the route's kind. Each object is one subclass, in one
module (objects/<name>.py), registered in objects/__init__.py. Facts are class attributes; what an
object does differently is a method. Defaults here are what an object without that feature does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # only for annotations: the kinds import these modules, not the other way round
    from ..client import TomorroClient
    from ..config import DestinationTomorroConfig
    from ..keys import MatchKey
    from ..ledger import Classified
    from ..mapping import MappedRow, RowMapper
    from ..operations import RowOperations
    from ..routing import Route
    from ..schema import TomorroSchema

Reserved = dict[str, tuple[str, Any]]  # role -> (the row's column, its value)
BatchRow = tuple[int, "Route", Any, Any]  # (arrival, route, data, MappedRow | RowRejected)


class ObjectKind(ABC):
    # -- facts -------------------------------------------------------------------------------------
    name: ClassVar[str]  # as the config, the catalog and the reports name it ("contract")
    aliases: ClassVar[tuple[str, ...]] = ()  # other names a stream may use ("contracts")
    smart_field_object: ClassVar[str]  # `GET /smart-fields?object=` for this object's smart fields
    statuses: ClassVar[frozenset[str]] = frozenset()  # the values a `status` column may hold
    final_statuses: ClassVar[frozenset[str]] = frozenset()  # an object in one of them is not changed
    is_signed: ClassVar[bool] = False  # whether `after_signature_fields` means anything for it
    reserved_columns: ClassVar[dict[str, str]]  # normalised column name -> role (mapping.py)
    targets: ClassVar[dict[str, str]]  # normalised reserved column -> what it changes (policy.py)
    column_schema: ClassVar[dict[str, dict[str, Any]]]  # reserved columns as DESTINATION_CATALOG shows them
    required_columns: ClassVar[tuple[str, ...]] = ()  # ... and those every row must have
    default_key_column: ClassVar[str]  # the column rows are matched on when nothing says otherwise
    key_role: ClassVar[str]  # the reserved role holding the key when it is not a smart field
    key_always_required: ClassVar[bool] = True  # False: keyless rows may be created in `append`
    key_description: ClassVar[str]  # what the key matches, for messages ("counterparties")
    refers_to: ClassVar[tuple[str, ...]] = ()  # kinds its rows may name (written before it)

    def __repr__(self) -> str:
        return f"<{self.name} kind>"

    # -- matching key (keys.match_key_for asks these) ----------------------------------------------
    def configured_key_column(self, cfg: DestinationTomorroConfig) -> tuple[str, str] | None:
        """(column, source) of a connector-wide matching setting for this object, if one is set."""
        return None

    @abstractmethod
    def resolve_key(self, column: str, source: str, schema: TomorroSchema, where: str,
                    stream: str | None) -> MatchKey:
        """The MatchKey of `column`; ValueError naming `where` when rows cannot be matched on it."""
        ...

    def reference_key(self, routes: list[Route], schema: TomorroSchema,
                      cfg: DestinationTomorroConfig) -> MatchKey | None:
        """What rows of another object that name this one match it on (None: its default)."""
        return None

    # -- rows -> bodies (mapping.RowMapper asks these) ---------------------------------------------
    def key_columns(self, match: MatchKey) -> dict[str, str]:
        """Reserved columns a stream matched on `match` adds or overrides (normalised name -> role)."""
        return {}

    @abstractmethod
    def row_key(self, mapper: RowMapper, value: Any) -> str | None:
        """The canonical key of a raw key value (best effort, for rows that could not be mapped)."""
        ...

    @abstractmethod
    def map_row(self, mapper: RowMapper, reserved: Reserved, fields: dict[str, Any]) -> MappedRow:
        """A row's body and compared values; RowRejected naming the column."""
        ...

    # -- the existing object (ownership.py, operations.py ask these) -------------------------------
    @abstractmethod
    def diff(self, row: MappedRow, current: dict[str, Any]) -> dict[str, Any]:
        """The PATCH body holding only what differs from `current` (empty: unchanged)."""
        ...

    def moves_forward(self, current: str | None, wanted: str) -> bool:
        """Whether a status change may be written (False: held back, the row is `protected`)."""
        return True

    # -- the write (writer.py, operations.py ask these) --------------------------------------------
    @abstractmethod
    def make_index(self, client: TomorroClient, routes: list[Route]) -> Any:
        """The index of the objects already in Tomorro, for the routes of this sync."""
        ...

    def prepare_batch(self, indexes: dict[str, Any], tasks: list[list[BatchRow]]) -> None:
        """Before a batch of this object's rows is written (e.g. list everything once)."""
        return None  # an object whose look-ups cost the same either way needs nothing

    @abstractmethod
    def write(self, ops: RowOperations, route: Route, row: MappedRow) -> Classified:
        """Find the existing object, then create it, PATCH what may change, or leave it."""
        ...

    # -- check -------------------------------------------------------------------------------------
    def settings_problems(self, cfg: DestinationTomorroConfig, schema: TomorroSchema) -> list[str]:
        """What is wrong with the connector settings about this object (check names each)."""
        return []
