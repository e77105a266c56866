"""What the probe's log (bench/probe/sitecustomize.py) says about a contender run.

- `endpoints`: requests per endpoint of the API, the signed-contracts list apart from the contracts list (the
  sandbox counts both under one path template);
- `timeline`: where a source process's wall time went: start-up before its first request, the read (with the
  mean number of requests in flight), the tail after its last answer;
- `ranges`: how `contracts` was read on a first sync: the ranges of updatedAt the source split it into (every
  request of a range carries the range's `updatedAt=gte:` lower bound, and ranges follow each other, so the
  distinct bounds are the partition), the records each range held (the sandbox's ground truth) and the requests
  each cost.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE_SIZE = 50
_ID = re.compile(r"/[^/]*\d[^/]*")  # a path segment holding a digit is an id (no resource name has one)


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def starts(entries: list[dict[str, Any]]) -> list[list[str]]:
    """argv of every Python process that started under the probe, in order."""
    return [e["argv"] for e in entries if "argv" in e]


def connector_starts(entries: list[dict[str, Any]], name: str = "source-tomorro") -> list[str]:
    """The commands (`discover`, `read`, ...) of each start of the connector's console script."""
    return [(argv[1] if len(argv) > 1 else "?") for argv in starts(entries) if argv and argv[0].endswith(name)]


def requests_of(entries: list[dict[str, Any]], pids: set[int] | None = None) -> list[dict[str, Any]]:
    return [e for e in entries if "url" in e and (pids is None or e["pid"] in pids)]


def pids_of(entries: list[dict[str, Any]], name: str) -> set[int]:
    return {e["pid"] for e in entries if "argv" in e and e["argv"] and e["argv"][0].endswith(name)}


def endpoint(entry: dict[str, Any]) -> str:
    """`GET /contracts`, `GET /contracts?status=signed`, `GET /contracts/{id}/signed-files`, ..."""
    url = urlsplit(entry["url"])
    path = _ID.sub("/{id}", url.path.split("/v2", 1)[-1])
    query = parse_qs(url.query)
    key = f"{entry['method']} {path}"
    if path == "/contracts" and query.get("status"):
        key += f"?status={query['status'][0]}"
    if path == "/contracts" and query.get("limit") == ["1"] and "updatedAt" not in query:
        key += " (newest, limit=1)"
    return key


def endpoints(entries: list[dict[str, Any]]) -> dict[str, int]:
    return dict(sorted(Counter(endpoint(e) for e in requests_of(entries)).items()))


def timeline(entries: list[dict[str, Any]], spawned_at: float, wall_s: float, name: str) -> dict[str, Any] | None:
    """Seconds from spawn to the first start of `name` (0 when the run is `name` itself) and to its first request,
    of its reading (first request to last answer) and of the tail after it; the mean requests in flight."""
    reqs = requests_of(entries, pids_of(entries, name))
    if not reqs:
        return None
    first, last = min(e["t0"] for e in reqs), max(e["t1"] for e in reqs)
    pids = pids_of(entries, name)
    started = min((e["start"] for e in entries if "argv" in e and e["pid"] in pids), default=spawned_at)
    ended = max((e["exit"] for e in entries if "exit" in e and e["pid"] in pids), default=None)
    reading = max(last - first, 1e-6)
    return {"connector_start_s": round(started - spawned_at, 2),
            "connector_exit_s": round(ended - spawned_at, 2) if ended else None,
            "startup_s": round(first - spawned_at, 2), "reading_s": round(reading, 2),
            "tail_s": round(spawned_at + wall_s - last, 2),
            "mean_in_flight": round(sum(e["t1"] - e["t0"] for e in reqs) / reading, 2),
            "mean_request_s": round(sum(e["t1"] - e["t0"] for e in reqs) / len(reqs), 3),
            "in_flight_by_second": _in_flight_by_second(reqs, first, last)}


def _in_flight_by_second(reqs: list[dict[str, Any]], first: float, last: float) -> list[float]:
    """Mean requests in flight in each second of the read: how fast the chains ramp up and how they end."""
    seconds = max(1, math.ceil(last - first))
    busy = [0.0] * seconds
    for e in reqs:
        t0, t1 = e["t0"] - first, e["t1"] - first
        for s in range(int(t0), min(seconds, int(t1) + 1)):
            busy[s] += max(0.0, min(t1, s + 1) - max(t0, s))
    busy[-1] /= max(last - first - (seconds - 1), 1e-6)  # the last second is partial
    return [round(b, 1) for b in busy]


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def ranges(entries: list[dict[str, Any]], updated: list[dt.datetime]) -> dict[str, Any] | None:
    """The ranges of a first sync of `contracts` (ascending, `updatedAt=gte:` bounded chains), with the records
    each held and the requests each cost; `updated` is every contract's updatedAt (the ground truth)."""
    per_bound: Counter = Counter()
    newest_probes = 0
    for e in requests_of(entries):
        if endpoint(e) == "GET /contracts (newest, limit=1)":
            newest_probes += 1
            continue
        if endpoint(e) != "GET /contracts":
            continue
        query = parse_qs(urlsplit(e["url"]).query)
        bound = (query.get("updatedAt") or [""])[0]
        if query.get("sort") != ["updatedAt"] or not bound.startswith("gte:"):
            return None  # not a ranged read: nothing to account for
        per_bound[bound[4:]] += 1
    if not per_bound:
        return None
    bounds = sorted(per_bound, key=_instant)
    los = [_instant(b) for b in bounds]
    held = Counter()
    for at in updated:
        i = _bisect(los, at)
        if i >= 0:
            held[i] += 1
    rows = []
    for i, bound in enumerate(bounds):
        records, requests = held[i], per_bound[bound]
        rows.append({"from": bound, "records": records, "requests": requests,
                     "beyond_pages": requests - math.ceil(records / PAGE_SIZE)})
    empty = [r for r in rows if r["records"] == 0]
    list_requests = sum(per_bound.values())
    return {
        "ranges": len(rows), "empty_ranges": len(empty),
        "max_requests_per_empty_range": max((r["requests"] for r in empty), default=0),
        "requests_beyond_pages": sum(r["beyond_pages"] for r in rows),
        "list_requests": list_requests, "newest_probes": newest_probes,
        "pages_of_data": math.ceil(len(updated) / PAGE_SIZE),
        "records_per_range": sorted((r["records"] for r in rows), reverse=True),
    }


def _bisect(los: list[dt.datetime], at: dt.datetime) -> int:
    """Index of the range [los[i], los[i+1]) holding `at`; -1 before the first."""
    lo, hi = 0, len(los)
    while lo < hi:
        mid = (lo + hi) // 2
        if los[mid] <= at:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1
