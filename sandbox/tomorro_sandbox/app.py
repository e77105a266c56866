"""The sandbox's state as one object: store, faults, request statistics and start options."""

import threading
from collections import Counter, deque
from dataclasses import dataclass, field

import orjson

from .faults import Faults, FaultSettings, Script
from .listing import default_orders
from .moves import Moves
from .profiles import ApiShape
from .seed import SeedOptions
from .store import Store
from .webhooks import Webhooks


class Stats:
    """Request counts by (method, path template, status); a reset connection counts as status 0. Also the
    last LOG_SIZE /v2 requests as sent (method, path, query, body), for tests that check what a client asked."""

    LOG_SIZE = 5000

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._log: deque = deque(maxlen=self.LOG_SIZE)

    def count(self, method: str, template: str, status: int, req=None) -> None:
        with self._lock:
            self._counts[(method, template, status)] += 1
            if req is not None:
                self._log.append((req.method, req.path, template, req.query, req.raw_body, status))

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._log.clear()

    def requests(self, method: str | None = None, template: str | None = None) -> list:
        """The logged requests, oldest first, of one method and / or route template; a JSON body parsed."""
        with self._lock:
            log = list(self._log)
        return [{"method": m, "path": p, "template": t, "query": q, "body": _parsed(b), "status": s}
                for m, p, t, q, b, s in log if method in (None, m) and template in (None, t)]

    def to_dict(self) -> dict:
        with self._lock:
            items = sorted(self._counts.items())
        return {"total": sum(n for _, n in items),
                "requests": [{"method": m, "path": p, "status": s, "count": n} for (m, p, s), n in items]}


def _parsed(body: bytes):
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode(errors="replace")


@dataclass
class AppConfig:
    seed: SeedOptions = field(default_factory=SeedOptions)
    api_key: str = "sandbox-key"  # noqa: S105 - the documented sandbox default, not a secret
    faults: FaultSettings = field(default_factory=FaultSettings)
    api_profiles: tuple = ()  # names in assumptions.API_PROFILES; restored by /_sandbox/reset
    webhook_retry_scale: float = 1.0  # times the documented 5-minute retry delay (tests shorten it)


class App:
    def __init__(self, config: AppConfig):
        self.config = config
        self.api_key = config.api_key
        self.store = Store(config.seed, default_orders())
        self.faults = Faults(config.seed.seed, config.faults)
        self.faults.update()  # validates the start settings
        self.script = Script()  # outcomes queued per route (POST /_sandbox/faults/script); cleared by reset
        self.moves = Moves()  # status moves cued on requests (POST /_sandbox/moves); cleared by reset
        self.stats = Stats()
        self.webhooks = Webhooks(self.store, self.faults, config.webhook_retry_scale)
        self.store.contract_listener = self.webhooks.contract_changed
        # the active API profiles, replaced whole (PUT /_sandbox/api-profiles); a handler reads it once
        self.shape = ApiShape(config.api_profiles)
        self.mutations = 0  # feeds the mutate RNG so successive calls differ, deterministically
