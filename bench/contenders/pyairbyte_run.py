"""Contender process: our source through PyAirbyte into a DuckDB cache (run in a fresh process).

The DuckDB file lives in the contender's work folder, so a second run reads incrementally from the
state PyAirbyte saved there. Prints one `BENCH_RESULT {...}` line.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--executable", required=True)
    parser.add_argument("--stream", default="contracts")
    args = parser.parse_args()
    os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")

    t0 = time.perf_counter()
    import airbyte as ab
    from airbyte.caches import DuckDBCache

    t_import = time.perf_counter() - t0
    config = json.loads(open(args.config).read())
    source = ab.get_source("source-tomorro", config=config, local_executable=args.executable,
                           streams=[args.stream])
    cache = DuckDBCache(db_path=args.db, schema_name="main")
    t1 = time.perf_counter()
    result = source.read(cache=cache)
    sync_s = time.perf_counter() - t1
    rows = cache.get_sql_engine().connect().exec_driver_sql(f"select count(*) from main.{args.stream}").scalar()
    print("BENCH_RESULT " + json.dumps({"records": result.processed_records, "rows_in_cache": rows,
                                        "import_s": round(t_import, 3), "sync_s": round(sync_s, 3)}),
          flush=True)


if __name__ == "__main__":
    main()
