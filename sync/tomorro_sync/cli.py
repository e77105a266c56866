"""tomorro-sync: the command line for the main job.

    tomorro-sync pull [--config FILE] [--db FILE] [--streams a,b] [--full-refresh] [--reconcile] [--refresh-catalog]
                      [--files DIR]
    tomorro-sync push (--csv FILE | --table NAME [--db FILE]) --object counterparty|contract [--dry-run]
    tomorro-sync demo [--db FILE]
    tomorro-sync doctor [--config FILE]
    tomorro-sync listen --config FILE [--db FILE] --port PORT [--host HOST] [--airbyte-connection-id ID]

Without --config, each command but `listen` starts a seeded sandbox on a free port and stops it afterwards.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import redaction, report
from .errors import SyncError

DEFAULT_DB = Path("tomorro.duckdb")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    redaction.guard_logging()
    try:
        with redaction.guard_output():
            return args.run(args)
    except SyncError as err:
        report.error(str(err))
        return err.exit_code
    except KeyboardInterrupt:
        report.console.print("[bold red]interrupted[/]")
        return 130


def _pull(args: argparse.Namespace) -> int:
    from . import signed_files
    from .pull import pull, show
    from .target import open_target

    with open_target(args.config, sandbox_port=args.sandbox_port) as target:
        files_dir = signed_files.files_dir_of(target, args.files, args.config)
        where = "the bundled sandbox at " + target.base_url if target.sandbox else target.base_url
        target.preflight()
        report.step(f"Pulling from {where} into {args.db}"
                    + (f", signed files into {files_dir}" if files_dir else ""))
        streams = args.streams.split(",") if args.streams else None
        summary = pull(target, args.db, streams=streams, full_refresh=args.full_refresh,
                       refresh_catalog=args.refresh_catalog, reconcile=args.reconcile,
                       files_dir=files_dir)
        show(summary, "pull")
        if summary.files is not None:
            signed_files.show(summary.files)
            failure = signed_files.failure(summary.files)
            if failure:
                raise failure
    return 0


def _push(args: argparse.Namespace) -> int:
    from .push import PLURALS, push, show
    from .rows import from_csv, from_duckdb
    from .target import open_target

    if bool(args.csv) == bool(args.table):
        raise SyncError("give exactly one of --csv FILE or --table NAME", exit_code=2)
    rows = from_csv(args.csv) if args.csv else from_duckdb(args.db, args.table)
    stream = args.stream or (args.csv.stem if args.csv else args.table.split(".")[-1])
    with open_target(args.config, sandbox_port=args.sandbox_port) as target:
        target.preflight()
        report.step(f"Pushing {stream} into {'the bundled sandbox' if target.sandbox else target.base_url}"
                    f" as {PLURALS[args.object]}{' (dry run)' if args.dry_run else ''}")
        options = {key: value for key, value in (("integration_type", args.crm),
                                                 ("integration_entity", args.crm_entity),
                                                 ("default_template", args.template)) if value}
        summary = push(target, rows, stream=stream, object_name=args.object, dry_run=args.dry_run,
                       work_dir=args.db.resolve().parent, max_rejected_ratio=args.max_rejected_ratio,
                       options=options)
        show(summary, object_name=args.object, dry_run=args.dry_run)
    if summary.failure:
        raise SyncError(f"push failed: {summary.failure}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor
    from .target import open_target

    with open_target(args.config, sandbox_port=args.sandbox_port) as target:
        return run_doctor(target)


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.db, sandbox_port=args.sandbox_port)


def _listen(args: argparse.Namespace) -> int:
    from .listen.server import serve

    if args.config is None:
        raise SyncError("listen needs --config FILE (api_key, base_url and webhook_secrets)", exit_code=2)
    return serve(args.config, args.db, host=args.host, port=args.port,
                 streams=args.streams.split(",") if args.streams else None,
                 airbyte_connection_id=args.airbyte_connection_id, quiet=args.debounce)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tomorro-sync", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, run, help_text: str, *, real_api: bool = True,
                bundled_sandbox: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run, config=None)
        if real_api:
            sub.add_argument("--config", type=Path, help="tomorro-sync config JSON (api_key, base_url, ...)" + (
                "; without it a bundled sandbox is started" if bundled_sandbox else "; required (webhook_secrets)"))
        sub.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"DuckDB file (default {DEFAULT_DB})")
        if bundled_sandbox:
            sub.add_argument("--sandbox-port", type=int, default=0, help="port for the bundled sandbox (default: free)")
        return sub

    pull = command("pull", _pull, "sync Tomorro into DuckDB (incremental after the first run)")
    pull.add_argument("--streams", help="comma-separated streams (default: all)")
    pull.add_argument("--full-refresh", action="store_true",
                      help="ignore saved state, re-read the chosen streams and replace their tables: records "
                           "deleted in Tomorro disappear from DuckDB")
    pull.add_argument("--reconcile", action="store_true",
                      help="also list every contract and counterparty id (list pages only): remove the rows Tomorro "
                           "no longer has (recorded in _tomorro_deleted) and re-read the rows whose updatedAt "
                           "differs; done by itself once the last reconcile is older than `reconcile_every` hours "
                           "(config; default 24, 0 = every pull)")
    pull.add_argument("--refresh-catalog", action="store_true",
                      help="ask the source for its catalog again (done by itself when the config, the connector "
                           "or the account's smart fields changed)")
    pull.add_argument("--files", type=Path, metavar="DIR",
                      help="also keep every signed PDF as DIR/<contractId>/<fileId>.pdf: new and re-signed ones "
                           "downloaded, each verified (sha256, local_path in contract_signed_files); the copies of "
                           "files Tomorro no longer lists removed (only those it wrote, unchanged); "
                           "default: `files_dir` of the config, else none")

    push = command("push", _push, "write CRM rows into Tomorro as counterparties or contracts")
    push.add_argument("--csv", type=Path, help="rows from this CSV file")
    push.add_argument("--table", help="rows from this DuckDB table (in --db)")
    push.add_argument("--object", required=True, choices=["counterparty", "contract"])
    push.add_argument("--stream", help="stream name (default: the CSV file's or table's name)")
    push.add_argument("--dry-run", action="store_true", help="classify every row, write nothing")
    push.add_argument("--max-rejected-ratio", type=float, help="succeed if at most this share of rows is rejected")
    push.add_argument("--crm", choices=["salesforce", "hubspot"], help="CRM the rows come from (contract links)")
    push.add_argument("--crm-entity", help="CRM object of the rows, e.g. Opportunity (contract links)")
    push.add_argument("--template", help="template (id or name) for contract rows without a template column")

    command("doctor", _doctor, "read-only probes of a Tomorro account (run it first): how it answers what the "
            "docs leave open, and how each connector will read it; exit 1 if neither can")

    listen = command("listen", _listen, "receive Tomorro's webhooks: each contract change triggers an incremental "
                     "pull (or an Airbyte sync), a deleted contract leaves the tables at once", bundled_sandbox=False)
    listen.add_argument("--port", type=int, required=True, help="port to listen on")
    listen.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: put a TLS proxy in front, see the README)")
    listen.add_argument("--streams", help="comma-separated streams each pull reads (default: all)")
    listen.add_argument("--debounce", type=float, default=0.25, metavar="SECONDS",
                        help="pull once no event came for this long (default 0.25; at most 1 s after the first)")
    listen.add_argument("--airbyte-connection-id", metavar="ID",
                        help="instead of a local pull, sync this Airbyte connection through Airbyte's API "
                             "(AIRBYTE_API_URL and credentials from the environment; needs tomorro-sync[airbyte])")

    demo = command("demo", _demo, "the round trip on a sandbox: pull, change, pull again, push CRM rows, pull",
                   real_api=False)
    demo.set_defaults(db=Path("demo/tomorro.duckdb"))
    return parser


if __name__ == "__main__":
    sys.exit(main())
