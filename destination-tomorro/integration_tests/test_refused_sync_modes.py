"""Every destination sync mode but append and append_dedup is refused by `destination-tomorro write`, as the
process Airbyte starts: the refusal names the stream and the mode and says what to use instead, before any
request, whether the Airbyte protocol lists the mode (`overwrite`, `update`, `soft_delete`) or not
(`overwrite_dedup`, which Airbyte offers as Overwrite + Deduped, or a mode a newer platform may add)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = str(Path(sys.executable).parent / "destination-tomorro")


def _write(config: dict, catalog: dict, tmp_path: Path, h) -> tuple[int, list[dict]]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    done = subprocess.run([SCRIPT, "write", "--config", str(tmp_path / "config.json"),
                           "--catalog", str(tmp_path / "catalog.json")],
                          input=h.jsonl([h.record("contracts", {"id": f"deal-{i}", "name": f"Deal {i}"}) for i in (1, 2)]),
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _errors(messages: list[dict]) -> list[dict]:
    return [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]


@pytest.mark.parametrize("mode", ["overwrite", "overwrite_dedup", "soft_delete", "update", "upsert_v9"])
def test_a_refused_mode_gets_its_refusal_naming_it_and_what_to_use(mode, sb, base_config, h, tmp_path):
    code, messages = _write(base_config, h.catalog(("contracts", mode)), tmp_path, h)

    errors = _errors(messages)
    assert code != 0 and [e["failure_type"] for e in errors] == ["config_error"], messages
    message = errors[0]["message"]
    assert message.startswith(f"Cannot write: stream 'contracts': destination sync mode '{mode}' is refused because ")
    assert "use append_dedup (Append + Deduped" in message and "or append (create only)" in message
    assert "Something went wrong" not in json.dumps(messages)
    assert sb.stats()["total"] == 0


def test_every_refused_stream_is_named_in_one_message(sb, base_config, h, tmp_path):
    catalog = h.catalog(("contracts", "overwrite_dedup"), ("counterparties", "append"), ("leads", "upsert_v9"))
    _, messages = _write(base_config, catalog, tmp_path, h)

    message = _errors(messages)[0]["message"]
    assert "stream 'contracts': destination sync mode 'overwrite_dedup' is refused" in message
    assert "stream 'leads': destination sync mode 'upsert_v9' is refused" in message
    assert "stream 'counterparties'" not in message
    assert sb.stats()["total"] == 0
