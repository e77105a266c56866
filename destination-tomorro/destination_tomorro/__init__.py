"""Airbyte destination writing CRM rows into Tomorro as counterparties and contracts.

`DestinationTomorro` is imported on first use: importing a module of the package (the console script,
`run.py`) must not import the CDK, so that the script can tune the process first."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .destination import DestinationTomorro

__all__ = ["DestinationTomorro"]


def __getattr__(name: str):
    if name == "DestinationTomorro":
        from .destination import DestinationTomorro

        return DestinationTomorro
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
