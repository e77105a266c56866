"""When seeded records were created and updated: instants on a coarse time grid, so that many
records share one `updatedAt` (clients must survive ties across page boundaries), all of them
before GRID_END (the seed's reference time), i.e. in the past of the server clock.

Two distributions (`SeedOptions.updated_skew`):
- "uniform": spread evenly over 2023-01-01 .. 2025-01-01;
- "recent": a young, growing account: about RECENT_SHARE of the records created and updated in
  the RECENT_DAYS before GRID_END, the rest spread over the OLDER_YEARS before that.
"""

import random

from ..formats import iso

GRID_START = 1672531200  # 2023-01-01T00:00:00Z
GRID_END = 1735689600  # 2025-01-01T00:00:00Z
SKEWS = ("uniform", "recent")
RECENT_SHARE = 0.85
RECENT_DAYS = 90
OLDER_YEARS = 3
_DAY = 86400
RECENT_START = GRID_END - RECENT_DAYS * _DAY
OLDER_START = RECENT_START - OLDER_YEARS * 365 * _DAY


class TimeGrid:
    """`slots` instants (about one per 8 records) spread over [start, end), formatted once."""

    def __init__(self, n_records: int, start: int = GRID_START, end: int = GRID_END):
        self.slots = max(24, n_records // 8)
        step = (end - start) // self.slots
        self.step = step - step % 60  # whole minutes
        self._iso = [iso(start + i * self.step) for i in range(self.slots)]

    def pair(self, rng: random.Random) -> tuple[str, str]:
        """-> (createdAt, updatedAt), updatedAt never before createdAt."""
        r = rng.random
        created = int(r() * self.slots)
        updated = created + int(r() * (self.slots // 6 + 1))
        # a record "updated" past the grid was simply never updated (no pile-up on the last slot)
        return self._iso[created], self._iso[updated if updated < self.slots else created]


class RecentGrid:
    """Each record falls in the recent grid with probability RECENT_SHARE, else in the older one;
    both are coarse, so ties stay."""

    def __init__(self, n_records: int):
        recent = round(n_records * RECENT_SHARE)
        self.recent = TimeGrid(recent, RECENT_START, GRID_END)
        self.older = TimeGrid(n_records - recent, OLDER_START, RECENT_START)

    def pair(self, rng: random.Random) -> tuple[str, str]:
        return (self.recent if rng.random() < RECENT_SHARE else self.older).pair(rng)


def time_grid(n_records: int, skew: str) -> TimeGrid | RecentGrid:
    return RecentGrid(n_records) if skew == "recent" else TimeGrid(n_records)
