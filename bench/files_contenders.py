"""The two signed-file downloaders of `python -m bench.files`, each run in a fresh process:

    python -m bench.files_contenders ours|naive DB DIR BASE_URL API_KEY

Both start from the same DuckDB file (one metadata pull: `contract_signed_files` with fresh URLs) and print one
`BENCH_RESULT {...}` line: files, bytes, seconds of downloading (imports and the DuckDB read excluded), and the
process's RSS once everything is imported (so the report can show what downloading added)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ours(db: Path, root: Path, base_url: str, api_key: str) -> dict:
    """tomorro-sync's archive: side by side (num_workers 4), streamed, hashed, fsynced, renamed, recorded."""
    import duckdb
    import requests  # noqa: F401 - imported before the baseline RSS, as the naive one does
    from tomorro_sync.signed_files import archive
    from tomorro_sync.target import Target

    con = duckdb.connect(str(db))
    target = Target(api_key=api_key, base_url=base_url, source_options={"num_workers": 4})
    start_rss, t = _rss_mb(), time.perf_counter()
    summary = archive(con, target, root)
    seconds = time.perf_counter() - t
    con.close()
    return {"files": summary.downloaded + summary.replaced, "bytes": summary.bytes, "seconds": seconds,
            "start_rss_mb": start_rss, "failed": len(summary.failed)}


def naive(db: Path, root: Path, base_url: str, api_key: str) -> dict:
    """What a first script does: one file after the other, the whole body in memory, written as is."""
    import duckdb
    import requests

    rows = duckdb.connect(str(db), read_only=True).execute(
        "SELECT CAST(id AS VARCHAR), CAST(contractid AS VARCHAR), downloadurl FROM contract_signed_files").fetchall()
    session = requests.Session()
    start_rss, t, total = _rss_mb(), time.perf_counter(), 0
    for fid, cid, url in rows:
        response = session.get(url, timeout=300)
        response.raise_for_status()
        (root / cid).mkdir(parents=True, exist_ok=True)
        (root / cid / f"{fid}.pdf").write_bytes(response.content)
        total += len(response.content)
    return {"files": len(rows), "bytes": total, "seconds": time.perf_counter() - t, "start_rss_mb": start_rss,
            "failed": 0}


def main(argv: list[str]) -> int:
    name, db, root, base_url, api_key = argv
    root_path = Path(root)
    root_path.mkdir(parents=True, exist_ok=True)
    result = {"ours": ours, "naive": naive}[name](Path(db), root_path, base_url, api_key)
    print("BENCH_RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
