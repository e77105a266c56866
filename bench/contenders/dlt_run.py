"""Contender process: dlt's `rest_api` source into DuckDB with the parquet loader (fresh process).

The pipeline folder and the DuckDB file live in the contender's work folder, so a second run is
incremental through `updatedAt` (dlt keeps the last value in its pipeline state). Prints one
`BENCH_RESULT {...}` line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--start-date", default="2015-01-01T00:00:00Z")
    args = parser.parse_args()
    workdir = Path(args.workdir)

    t0 = time.perf_counter()
    import dlt
    from dlt.sources.rest_api import rest_api_source

    t_import = time.perf_counter() - t0
    source = rest_api_source({
        "client": {
            "base_url": args.base_url.rstrip("/") + "/",
            "headers": {"x-api-key": args.api_key},
            "paginator": {"type": "cursor", "cursor_path": "nextCursor", "cursor_param": "after"},
        },
        "resources": [{
            "name": "contracts",
            "primary_key": "id",
            "write_disposition": "append",
            "endpoint": {
                "path": "contracts",
                "data_selector": "contracts",
                "params": {"limit": 50, "sort": "updatedAt"},
                "incremental": {
                    "start_param": "updatedAt",
                    "cursor_path": "updatedAt",
                    "initial_value": args.start_date.replace("Z", ".000Z"),
                    "convert": lambda value: f"gte:{value}",
                },
            },
        }],
    })
    pipeline = dlt.pipeline(
        pipeline_name="bench_tomorro",
        pipelines_dir=str(workdir / "dlt-pipelines"),
        destination=dlt.destinations.duckdb(str(workdir / "dlt.duckdb")),
        dataset_name="tomorro",
    )
    t1 = time.perf_counter()
    pipeline.run(source, loader_file_format="parquet")
    sync_s = time.perf_counter() - t1
    counts = pipeline.last_trace.last_normalize_info.row_counts
    print("BENCH_RESULT " + json.dumps({"records": counts.get("contracts", 0), "row_counts": counts,
                                        "import_s": round(t_import, 3), "sync_s": round(sync_s, 3)}),
          flush=True)


if __name__ == "__main__":
    main()
