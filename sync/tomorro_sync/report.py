"""Human-readable tables for the terminal (rich).

Everything printed here goes through `redact`: no message has to remember to mask a secret."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .redaction import redact

# Decided at import, before the command line routes stdout through a redacting pipe (redaction.py):
# a terminal keeps its colours and width; piped output (CI logs, `| tee`) gets a fixed width instead
# of rich's 80-column fallback.
_TERMINAL = sys.stdout.isatty()
console = Console(highlight=False, force_terminal=_TERMINAL or None,
                  width=shutil.get_terminal_size().columns if _TERMINAL else 140)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]],
          footer: Sequence[object] | None = None) -> None:
    rows = [list(row) for row in rows]
    view = Table(title=escape(redact(title)), title_justify="left", show_footer=footer is not None)
    for index, name in enumerate(columns):
        numeric = bool(rows) and all(isinstance(row[index], int | float | type(None)) for row in rows)
        view.add_column(escape(redact(name)), footer=_cell(footer[index]) if footer else "",
                        justify="right" if numeric else "left")
    for row in rows:
        view.add_row(*(_cell(value) for value in row))
    console.print(view)


def step(message: str) -> None:
    """A step; `message` may hold rich markup (ours), never unescaped data."""
    console.print(f"[bold cyan]==>[/] {redact(message)}")


def note(message: str) -> None:
    console.print(f"    {redact(message)}")


def error(message: str) -> None:
    """A failure: `message` is plain text (it quotes connectors and data), printed as is."""
    console.print(f"[bold red]error:[/] {escape(redact(message))}")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(redact(str(value)))
