"""End to end: a record line lost between the source and `tomorro-sync pull` stops the pull before its
checkpoint is saved.

A wrapper stands in for the `source-tomorro` console script: it runs the real one and forwards its stdout,
less the first RECORD line of `members` (as a garbled line would be skipped). The source's STATE carries
the count of records it printed (`sourceStats.recordCount`), so the pull sees that one is missing.
"""

from __future__ import annotations

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sync.errors import SyncError
from tomorro_sync.pull import pull, query
from tomorro_sync.target import Target

DROP_FIRST_MEMBER = '''
import json, subprocess, sys
real = subprocess.Popen([{real!r}, *sys.argv[1:]], stdout=subprocess.PIPE, text=True)
dropped = sys.argv[1] != "read"
for line in real.stdout:
    if not dropped and line.startswith("{{") and '"RECORD"' in line:
        message = json.loads(line)
        if message["record"]["stream"] == "members":
            dropped = True
            continue
    sys.stdout.write(line)
sys.exit(real.wait())
'''


@pytest.fixture
def lossy_source(source_wrapper):
    return source_wrapper(DROP_FIRST_MEMBER)


def test_given_a_record_lost_on_the_way_then_the_pull_fails_and_saves_no_state(tmp_path, e2e_dir, lossy_source):
    db = tmp_path / "w.duckdb"
    with SandboxServer(seed=5, contracts=10, counterparties=5, fields=5, members=4) as sandbox:
        target = Target.of_sandbox(sandbox)
        with pytest.raises(SyncError, match=r"sent 4 records of stream 'members' .* this pull received 3"):
            pull(target, db, streams=["members"], source_executable=lossy_source)
        assert query(db, """SELECT count(*) FROM main._airbyte_state WHERE stream_name = 'members'""") == [(0,)]

        pull(target, db, streams=["members"])  # the real source: everything lands
        assert query(db, "SELECT count(*) FROM main.members") == [(4,)]
