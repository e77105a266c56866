"""A naive reverse-ETL writer, the peer of destination-tomorro in scenario (e).

For each row, in order and one request at a time on one `requests.Session`: look the counterparty
up by name (`GET /counterparties?name=`, a partial match, so it pages and compares names exactly,
case-insensitively), then `PATCH` it when found or `POST` it when not. It honours `429 Retry-After`
so that it stays correct under a rate limit. Prints one `BENCH_RESULT {...}` line.
"""

from __future__ import annotations

import argparse
import json
import time

import requests


class Api:
    def __init__(self, base_url: str, api_key: str):
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"x-api-key": api_key, "content-type": "application/json"})

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        for _ in range(10):
            resp = self.session.request(method, self.base + path, timeout=30, **kwargs)
            if resp.status_code == 429 or resp.status_code >= 500:
                time.sleep(float(resp.headers.get("Retry-After") or 1))
                continue
            resp.raise_for_status()
            return resp
        resp.raise_for_status()
        return resp

    def find(self, name: str) -> dict | None:
        params = {"name": name, "limit": 50}
        while True:
            body = self.call("GET", "/counterparties", params=params).json()
            for cp in body["data"]:
                if cp["name"].strip().lower() == name.strip().lower():
                    return cp
            cursor = (body.get("pagination") or {}).get("next_cursor")
            if not cursor:
                return None
            params = {"name": name, "limit": 50, "after": cursor}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--rows", required=True)
    args = parser.parse_args()
    api = Api(args.base_url, args.api_key)
    created = updated = 0
    t0 = time.perf_counter()
    with open(args.rows) as rows:
        for line in rows:
            row = json.loads(line)
            body = {k: v for k, v in row.items() if v is not None}
            found = api.find(row["name"])
            if found is None:
                api.call("POST", "/counterparties", json=body)
                created += 1
            else:
                api.call("PATCH", f"/counterparties/{found['id']}", json=body)
                updated += 1
    print("BENCH_RESULT " + json.dumps({"records": created + updated, "created": created, "updated": updated,
                                        "sync_s": round(time.perf_counter() - t0, 3)}), flush=True)


if __name__ == "__main__":
    main()
