"""When seeded records were created and updated: instants on a coarse time grid, so that many
records share one `updatedAt` (clients must survive ties across page boundaries), all of them
before GRID_END, i.e. in the past of the server clock."""

import random

from ..formats import iso

GRID_START = 1672531200  # 2023-01-01T00:00:00Z
GRID_END = 1735689600  # 2025-01-01T00:00:00Z


class TimeGrid:
    """`slots` instants spread over the seeding period, formatted once."""

    def __init__(self, n_records: int):
        self.slots = max(24, n_records // 8)
        step = (GRID_END - GRID_START) // self.slots
        self.step = step - step % 60  # whole minutes
        self._iso = [iso(GRID_START + i * self.step) for i in range(self.slots)]

    def pair(self, rng: random.Random) -> tuple[str, str]:
        """-> (createdAt, updatedAt), updatedAt never before createdAt."""
        r = rng.random
        created = int(r() * self.slots)
        updated = created + int(r() * (self.slots // 6 + 1))
        # a record "updated" past the grid was simply never updated (no pile-up on the last slot)
        return self._iso[created], self._iso[updated if updated < self.slots else created]
