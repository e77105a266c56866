"""Scenario (i): `tomorro-sync pull` after the demo's changes against one bare `source-tomorro read --state` of
the same changes, and the connector's start-up next to a bare `import airbyte_cdk` (issue 15).

On the demo's sandbox (seed 42, 500 contracts, no latency), with the config the demo uses (key and URL only):
1. a first pull into a fresh DuckDB file, and a bare first read of every stream (its STATE messages kept);
2. the DuckDB folder is copied aside, and the sandbox changes what the demo changes;
3. `repeats` pairs, in alternating order: the pull (from the copied folder, so every pull reads the same changes
   from the same state) and the bare read (from the kept state);
4. `source-tomorro spec`, `python -c "import airbyte_cdk"` and `python -c pass`, each a few times.
Every Python process runs under the probe, which logs each start: the connector's starts are counted, not guessed.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from . import accounting
from .contenders.base import Context, console_script, state_list
from .contenders.sources import configured_catalog, discover
from .harness import brief, log, request_stats, row, start_sandbox
from .measure import ProcResult, run_process
from .scenarios import DEMO_CHANGES, Scenario

STARTUP_SAMPLES = 5
_RECORDS_READ = re.compile(r"([\d,]+) records read in")


class _Runner:
    def __init__(self, name: str, label: str, ours: bool):
        self.name, self.label, self.ours = name, label, ours


PULL = _Runner("tomorro-sync-pull", "tomorro-sync pull (every stream -> DuckDB)", True)
BARE = _Runner("bare-read", "source-tomorro read --state (every stream) -> /dev/null", False)
SPEC = _Runner("source-tomorro-spec", "source-tomorro spec", True)
IMPORT_CDK = _Runner("import-airbyte-cdk", 'python -c "import airbyte_cdk"', False)
PYTHON = _Runner("python-bare", 'python -c "pass"', False)


class _Session:
    """One sandbox of the scenario: its work folder, and each measured run as a result row."""

    def __init__(self, sc: Scenario, sb, size: int, work: Path, timeout_s: float):
        self.sc, self.sb, self.size, self.work, self.timeout_s = sc, sb, size, work, timeout_s
        self.ctx = Context(url=sb.url, api_key=sb.api_key, workdir=work, timeout_s=timeout_s)
        self.rows: list[dict[str, Any]] = []

    def measure(self, runner: _Runner, phase: str, cmd: list[str]) -> ProcResult:
        tag = f"{runner.name}-{phase.replace(' ', '-').replace('#', '')}"
        self.ctx.probe_log = self.work / f"probe-{tag}.jsonl"
        self.ctx.probe_log.unlink(missing_ok=True)
        self.sb.reset_stats()
        log(f"scenario {self.sc.key}: {runner.name} ({phase})")
        res = run_process(cmd, env=self.ctx.env(), cwd=self.work, timeout_s=self.timeout_s,
                          stderr_path=self.work / f"{tag}-stderr.log")
        entries = accounting.load(self.ctx.probe_log)
        if runner is PULL:  # its own report: "N records read in S s"
            match = _RECORDS_READ.findall(res.stdout_tail)
            res.result = {"records": int(match[-1].replace(",", ""))} if match else {}
        self.rows.append(row(self.sc, runner, self.size, phase, res, request_stats(self.sb), None,
                             connector_starts=accounting.connector_starts(entries),
                             endpoints=accounting.endpoints(entries),
                             timeline=accounting.timeline(entries, res.spawned_at, res.wall_s, "source-tomorro")))
        log(brief(self.rows[-1]) + f"; connector starts: {self.rows[-1]['connector_starts']}")
        return res


def run_pull(sc: Scenario, sizes: list[int], contenders: list[str], workroot: Path, timeout_s: float,
             quick: bool):
    rows: list[dict[str, Any]] = []
    for size in sizes:
        log(f"scenario {sc.key}: starting the demo's sandbox ({size} contracts)")
        with start_sandbox(sc, size) as sb:
            work = workroot / f"{sc.key}-{size}"
            work.mkdir(parents=True, exist_ok=True)
            session = _Session(sc, sb, size, work, timeout_s)
            _pulls_and_reads(session, 1 if quick else sc.repeats)
            session.ctx.probe_log = None
            rows += session.rows + _startup(sc, size, session.ctx, 1 if quick else STARTUP_SAMPLES, timeout_s)
    return rows


def _pulls_and_reads(session: _Session, repeats: int) -> None:
    ctx, work = session.ctx, session.work
    config = ctx.write_json("config.json", {"api_key": ctx.api_key, "base_url": ctx.url})
    streams = discover([console_script("source-tomorro"), "discover", "--config", str(config)], ctx, "all")
    catalog = ctx.write_json("catalog.json", configured_catalog(*streams))
    db = work / "pull" / "tomorro.duckdb"
    pull_cmd = [console_script("tomorro-sync"), "pull", "--config", str(config), "--db", str(db)]
    read_cmd = [console_script("source-tomorro"), "read", "--config", str(config), "--catalog", str(catalog)]
    session.measure(PULL, "first pull", pull_cmd)
    first = session.measure(BARE, "first read", read_cmd)
    state = ctx.write_json("state.json", state_list(first.states))
    snapshot = work / "pull-after-first"
    shutil.copytree(db.parent, snapshot)
    session.sb.mutate(**DEMO_CHANGES)
    for i in range(repeats):
        pair = [(BARE, [*read_cmd, "--state", str(state)]), (PULL, pull_cmd)]
        for runner, cmd in (pair if i % 2 == 0 else pair[::-1]):  # alternate: the machine's load drifts
            if runner is PULL:  # every pull starts from the state of the first one: the same changes to read
                shutil.rmtree(db.parent)
                shutil.copytree(snapshot, db.parent)
            session.measure(runner, f"after changes #{i + 1}", cmd)


def _startup(sc: Scenario, size: int, ctx: Context, samples: int, timeout_s: float) -> list[dict[str, Any]]:
    """Wall seconds of a process that only starts: the connector's `spec`, the CDK's import, the interpreter."""
    out = []
    for runner, cmd in ((SPEC, [console_script("source-tomorro"), "spec"]),
                        (IMPORT_CDK, [sys.executable, "-c", "import airbyte_cdk"]),
                        (PYTHON, [sys.executable, "-c", "pass"])):
        runs = [run_process(cmd, env=ctx.env(), cwd=ctx.workdir, timeout_s=timeout_s,
                            stderr_path=ctx.workdir / f"{runner.name}-stderr.log") for _ in range(samples)]
        walls = sorted(r.wall_s for r in runs)
        median = min(runs, key=lambda r: abs(r.wall_s - statistics.median(walls)))
        stats = {"requests": 0, "http_429": 0, "failed": 0, "by_path": {}}
        out.append(row(sc, runner, size, "start-up", median, stats, None, samples_s=[round(w, 3) for w in walls]))
        log(f"scenario {sc.key}: {runner.name}: median {statistics.median(walls):.2f} s of {samples} "
            f"({walls[0]:.2f}-{walls[-1]:.2f})")
    return out
