"""Every counterparty a match or a create-recovery reads, in every status: all of them (indexes.CounterpartyIndex
lists everything once), the candidates of one name look-up (`name=`), or those an ambiguous create may have made
(recovery.py). One reader, so that each is as sure as the others.

Why: a list asked without `status` may hide archived counterparties, so each names every status (client.py).
Where Tomorro refuses `status=in:`, `active` and `archived` are listed one after the other: a counterparty archived
or unarchived between the two lists, or created (or renamed to the name looked up) while they are read, is in
neither, and a push would create it a second time. Those changed since the listing began are read again
(status_moves.py, as contracts are); when that cannot be verified, the listing says why no counterparty may be
created on it (`Listing.creates_held`): rows that would create one are rejected, rows that find theirs are
written. Where `in:` is taken, one list holds every status and nothing more is asked.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from .client import TomorroClient
from .status_moves import Listing, settled

PATH = "/counterparties"


def list_counterparties(client: TomorroClient, *, whole: bool, cap: int | None = None,
                        **filters: Any) -> Listing | None:
    """Every counterparty matching `filters`, in every status, each once (slim items fetched whole when `whole`);
    None when there are more than `cap` (the caller reads another way, nothing re-read)."""
    began = time.monotonic()
    read = client.iter_full_counterparties if whole else client.iter_counterparties
    items = list(itertools.islice(read(**filters), None if cap is None else cap + 1))
    if cap is not None and len(items) > cap:
        return None
    return settled(client, PATH, items, began, filters)
