"""The ideal sequential reader: the reference contender of the latency scenarios (issue 15).

One chain of 50-record pages of `GET /contracts?sort=updatedAt&updatedAt=gte:<start>&limit=50&after=…` on one
kept-alive `http.client` connection, counting records and nothing else: each page is decoded only to count its
records and find the next cursor, nothing is transformed or written. Standard library only, run by its path
(not `-m bench…`), so its start-up is one bare interpreter. What it measures is the floor one chain of pages
costs: latency + the server's time per page; a parallel reader's ratio to it is what parallelism bought.

Prints one `BENCH_RESULT {...}` line (records, pages, sync_s). Fails loudly on any answer it does not expect:
a reference that silently read less would flatter everyone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from urllib.parse import urlencode, urlsplit

PAGE_SIZE = 50


def read_all(base_url: str, api_key: str, start: str) -> tuple[int, int]:
    """-> (records, pages) of the whole chain."""
    url = urlsplit(base_url.rstrip("/"))
    if url.scheme != "http":
        raise SystemExit(f"ideal reader: only plain http (the local sandbox) is supported, got {url.scheme!r}")
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
    headers = {"x-api-key": api_key, "accept": "application/json"}
    params = {"sort": "updatedAt", "updatedAt": f"gte:{start}", "limit": PAGE_SIZE}
    records = pages = 0
    while True:
        conn.request("GET", f"{url.path}/contracts?{urlencode(params)}", headers=headers)
        response = conn.getresponse()
        body = response.read()  # read whole, so the connection can be reused
        if response.status != 200:
            raise SystemExit(f"ideal reader: HTTP {response.status} on page {pages + 1}: {body[:300]!r}")
        page = json.loads(body)
        records += len(page["contracts"])
        pages += 1
        cursor = page.get("nextCursor")
        if not page.get("hasNext") or not cursor:
            return records, pages
        params["after"] = cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--start-date", default="2015-01-01T00:00:00.000Z")
    args = parser.parse_args()
    t0 = time.perf_counter()
    records, pages = read_all(args.base_url, args.api_key, args.start_date)
    print("BENCH_RESULT " + json.dumps({"records": records, "pages": pages,
                                        "sync_s": round(time.perf_counter() - t0, 3)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
