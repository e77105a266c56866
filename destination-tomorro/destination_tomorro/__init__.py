"""Airbyte destination writing CRM rows into Tomorro as counterparties and contracts."""

from .destination import DestinationTomorro

__all__ = ["DestinationTomorro"]
