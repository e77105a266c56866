"""The sandbox's state as one object: store, faults, request statistics and start options."""

import threading
from collections import Counter
from dataclasses import dataclass, field

from .faults import Faults, FaultSettings
from .listing import default_orders
from .profiles import ApiShape
from .seed import SeedOptions
from .store import Store
from .webhooks import Webhooks


class Stats:
    """Request counts by (method, path template, status); a reset connection counts as status 0."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Counter = Counter()

    def count(self, method: str, template: str, status: int) -> None:
        with self._lock:
            self._counts[(method, template, status)] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def to_dict(self) -> dict:
        with self._lock:
            items = sorted(self._counts.items())
        return {"total": sum(n for _, n in items),
                "requests": [{"method": m, "path": p, "status": s, "count": n} for (m, p, s), n in items]}


@dataclass
class AppConfig:
    seed: SeedOptions = field(default_factory=SeedOptions)
    api_key: str = "sandbox-key"  # noqa: S105 - the documented sandbox default, not a secret
    dedup_external_id: bool = False
    faults: FaultSettings = field(default_factory=FaultSettings)
    api_profiles: tuple = ()  # names in assumptions.API_PROFILES; restored by /_sandbox/reset
    webhook_retry_scale: float = 1.0  # times the documented 5-minute retry delay (tests shorten it)


class App:
    def __init__(self, config: AppConfig):
        self.config = config
        self.api_key = config.api_key
        self.dedup_external_id = config.dedup_external_id
        self.store = Store(config.seed, default_orders())
        self.faults = Faults(config.seed.seed, config.faults)
        self.faults.update()  # validates the start settings
        self.stats = Stats()
        self.webhooks = Webhooks(self.store, self.faults, config.webhook_retry_scale)
        self.store.contract_listener = self.webhooks.contract_changed
        # the active API profiles, replaced whole (PUT /_sandbox/api-profiles); a handler reads it once
        self.shape = ApiShape(config.api_profiles)
        self.mutations = 0  # feeds the mutate RNG so successive calls differ, deterministically
