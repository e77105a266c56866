"""Human-readable tables for the terminal (rich, which PyAirbyte already brings)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]],
          footer: Sequence[object] | None = None) -> None:
    view = Table(title=title, title_justify="left", show_footer=footer is not None)
    for index, name in enumerate(columns):
        view.add_column(name, footer=_cell(footer[index]) if footer else "",
                        justify="left" if index == 0 else "right")
    for row in rows:
        view.add_row(*(_cell(value) for value in row))
    console.print(view)


def step(message: str) -> None:
    console.print(f"[bold cyan]==>[/] {message}")


def note(message: str) -> None:
    console.print(f"    {message}")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
