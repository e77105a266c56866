"""destination-tomorro against the sandbox over a real socket: upserts, re-runs, rejects, dry run,
refusals, ambiguous creates and the console script.

Ground truth comes from the sandbox (`sb.records`, `sb.stats`), never from the connector's output.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer
from urllib.parse import urlparse

import pytest
import requests
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro import DestinationTomorro
from destination_tomorro.writer import TomorroWriter


def run(config, catalog: dict, messages: list[dict]):
    """Run write() in-process; returns (output messages, AirbyteTracedException or None)."""
    from airbyte_cdk.models import AirbyteMessageSerializer

    parsed = ConfiguredAirbyteCatalogSerializer.load(catalog)
    out = []
    try:
        for message in DestinationTomorro().write(config, parsed, (AirbyteMessageSerializer.load(m) for m in messages)):
            out.append(message)
    except AirbyteTracedException as exc:
        return out, exc
    return out, None


def summary(out) -> str:
    return "\n".join(m.log.message for m in out if m.type == Type.LOG)


def smart_field(sb, obj: str, ftype: str) -> dict:
    response = requests.get(f"{sb.url}/smart-fields", params={"object": obj, "limit": 50},
                            headers={"x-api-key": "sandbox-key"}, timeout=10)
    return next(f for f in response.json()["data"] if f["type"] == ftype)


def option_label(sb, field_id: str) -> str:
    response = requests.get(f"{sb.url}/smart-fields/{field_id}/options", params={"limit": 5},
                            headers={"x-api-key": "sandbox-key"}, timeout=10)
    option = response.json()["data"][0]
    return next(t["value"] for t in option["translations"] if t["language"] == "gb")


def deals(n, *, start=0, number_field=None, run_tag="it"):
    rows = []
    for i in range(start, start + n):
        row = {"external_id": f"{run_tag}-{i}", "name": f"Deal {i}", "counterparty": f"Integration Co {i % 4}",
               "external_url": f"https://app.hubspot.com/deal/{i}", "amount_owner": "ignored"}
        if number_field:
            row[number_field["name"].lower().replace(" ", "_")] = 1000 + i
        rows.append(row)
    return rows


def contracts_with_prefix(sb, prefix: str) -> list[dict]:
    return [c for c in sb.records("contracts")
            if ((c.get("integration") or {}).get("externalId") or "").startswith(prefix)]


def test_create_then_upsert_then_rerun_without_duplicates(sb, base_config, h):
    number = smart_field(sb, "contract", "number")
    catalog = h.catalog(("closed_won", "append_dedup", "contract"))
    counterparties_before = len(sb.records("counterparties"))
    rows = deals(12, number_field=number)
    out, error = run(base_config, catalog, [h.record("closed_won", r) for r in rows] + [h.state("closed_won", 1)])
    assert error is None, error
    assert "created 12, updated 0, unchanged 0, rejected 0" in summary(out)
    assert "1 column matching no contract attribute or smart field was not sent: amount_owner" in summary(out)
    landed = contracts_with_prefix(sb, "it-")
    assert len(landed) == 12
    assert len(sb.records("counterparties")) == counterparties_before + 4
    one = next(c for c in landed if c["integration"]["externalId"] == "it-3")
    assert one["integration"] == {"type": "hubspot", "externalId": "it-3", "externalEntity": "deal",
                                  "externalUrl": "https://app.hubspot.com/deal/3"}
    assert one["counterparty"]["name"] == "Integration Co 3" and one["name"] == "Deal 3"
    assert {f["attributeDefinitionId"]: f["value"] for f in one["fields"]}[number["id"]] == 1003

    # second run: 3 rows changed -> 0 created, 3 updated, the rest untouched and not even sent
    changed = deals(12, number_field=number)
    for i in (0, 5, 7):
        changed[i]["name"] = f"Deal {i} (renewed)"
    sb.reset_stats()
    out, error = run(base_config, catalog, [h.record("closed_won", r) for r in changed])
    assert error is None and "created 0, updated 3, unchanged 9" in summary(out)
    stats = Counter({(r["method"], r["path"].removeprefix("/v2")): r["count"] for r in sb.stats()["requests"]})
    assert stats[("PATCH", "/contracts/{id}")] == 3 and not any(m == "POST" for m, _ in stats)

    # third run, same data: nothing written, no duplicates
    sb.reset_stats()
    out, error = run(base_config, catalog, [h.record("closed_won", r) for r in changed])
    assert error is None and "created 0, updated 0, unchanged 12" in summary(out)
    assert h.writes(sb) == 0
    ids = Counter(c["integration"]["externalId"] for c in contracts_with_prefix(sb, "it-"))
    assert len(ids) == 12 and set(ids.values()) == {1}
    assert len(sb.records("counterparties")) == counterparties_before + 4


def test_counterparties_upsert_on_name(sb, base_config, h):
    existing = sb.records("counterparties")[0]
    catalog = h.catalog(("crm_accounts", "append_dedup"))
    config = {**base_config, "object_mapping": {"crm_accounts": "counterparty"}}
    rows = [{"name": existing["name"].upper(), "status": "archived"}, {"name": "Brand New Account SAS"}]
    out, error = run(config, catalog, [h.record("crm_accounts", r) for r in rows])
    assert error is None and "created 1, updated 1" in summary(out)
    records = sb.records("counterparties")
    updated = next(c for c in records if c["id"] == existing["id"])
    assert updated["status"] == "archived" and updated["name"] == existing["name"].upper()
    assert sum(1 for c in records if c["name"] == "Brand New Account SAS") == 1


def test_bad_select_value_rejected_with_reason_while_the_rest_land(sb, base_config, h):
    select = smart_field(sb, "contract", "select")
    column = select["name"]
    rows = deals(5, run_tag="rej")
    for row in rows:
        row[column] = option_label(sb, select["id"])
    rows[2][column] = "Definitely Not An Option"
    catalog = h.catalog(("contracts", "append_dedup"))
    out, error = run(base_config, catalog, [h.record("contracts", r) for r in rows] + [h.state("contracts", 1)])
    assert [m.state.stream.stream_state.cursor for m in out if m.type == Type.STATE] == []  # withheld
    assert error is not None and error.failure_type.value == "config_error"
    assert "1 of 5 rows were rejected" in error.message and "'Definitely Not An Option' is not an option" in error.message
    assert sorted(c["integration"]["externalId"] for c in contracts_with_prefix(sb, "rej-")) == [
        "rej-0", "rej-1", "rej-3", "rej-4"]
    rejected = [json.loads(line) for line in Path(base_config["rejected_rows_path"]).read_text().splitlines()]
    assert [(r["stream"], r["key"]) for r in rejected] == [("contracts", "rej-2")]
    assert rejected[0]["record"][column] == "Definitely Not An Option"


def test_value_refused_by_the_api_is_rejected_with_its_status(sb, base_config, h):
    rows = deals(3, run_tag="api")
    rows[1]["counterparty_id"] = "00000000-0000-4000-8000-000000000000"  # unknown: the API answers 400
    del rows[1]["counterparty"]
    out, error = run({**base_config, "max_rejected_ratio": 0.5}, h.catalog(("contracts", "append_dedup")),
                     [h.record("contracts", r) for r in rows])
    assert error is None, error
    rejected = [json.loads(line) for line in Path(base_config["rejected_rows_path"]).read_text().splitlines()]
    assert len(rejected) == 1 and rejected[0]["key"] == "api-1" and rejected[0]["status_code"] in (400, 404, 422)
    assert len(contracts_with_prefix(sb, "api-")) == 2


def test_dry_run_writes_nothing(sb, base_config, h):
    catalog = h.catalog(("contracts", "append_dedup"))
    run(base_config, catalog, [h.record("contracts", r) for r in deals(4, run_tag="dry")])
    sb.reset_stats()
    rows = deals(6, run_tag="dry")
    rows[0]["name"] = "changed"
    out, error = run({**base_config, "dry_run": True}, catalog, [h.record("contracts", r) for r in rows])
    assert error is None, error
    assert h.writes(sb) == 0
    assert "would be created 2, would be updated 1, unchanged 3, rejected 0" in summary(out)
    assert len(contracts_with_prefix(sb, "dry-")) == 4


def test_overwrite_and_unroutable_streams_are_refused_before_any_request(sb, base_config, h):
    for catalog, expected in [
        (h.catalog(("contracts", "overwrite")), "'overwrite' is refused because destination-tomorro never deletes"),
        (h.catalog(("contracts", "append"), ("opportunities", "append_dedup")), "stream 'opportunities' cannot be routed"),
    ]:
        out, error = run(base_config, catalog, [h.record("contracts", r) for r in deals(2)])
        assert error is not None and expected in error.message
        assert sb.stats()["total"] == 0


class DropAfterCommitProxy:
    """A loopback HTTP proxy that forwards a request, lets the sandbox commit it, then drops the
    connection without answering, for the first `drops` POSTs: a create that timed out but landed."""

    def __init__(self, upstream: str, drops: int):
        self.upstream = urlparse(upstream)
        self.drops = drops
        self.lock = threading.Lock()
        proxy = self

        class Handler(StreamRequestHandler):
            def handle(self):
                request_line = self.rfile.readline().decode()
                if not request_line:
                    return
                method, path, _ = request_line.split(" ", 2)
                headers = {}
                while (line := self.rfile.readline().decode()) not in ("\r\n", "\n", ""):
                    name, value = line.split(":", 1)
                    headers[name.strip()] = value.strip()
                body = self.rfile.read(int(headers.get("Content-Length", 0) or 0))
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=10)
                headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                with proxy.lock:
                    drop = method == "POST" and proxy.drops > 0
                    proxy.drops -= drop
                if drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(f"HTTP/1.1 {response.status} {response.reason}\r\n".encode())
                for name, value in response.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.wfile.write(f"{name}: {value}\r\n".encode())
                self.wfile.write(f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode())
                self.wfile.write(payload)

        ThreadingTCPServer.allow_reuse_address = True
        self.server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{self.upstream.path}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_create_lost_after_commit_is_looked_up_not_repeated(sb, base_config, h):
    catalog = h.catalog(("contracts", "append_dedup"), ("counterparties", "append_dedup"))
    counterparties_before = len(sb.records("counterparties"))
    with DropAfterCommitProxy(sb.url, drops=4) as proxy:
        config = {**base_config, "base_url": proxy.url, "max_concurrency": 1}
        messages = [h.record("counterparties", {"name": "Lost Answer Ltd"})] + [
            h.record("contracts", r) for r in deals(3, run_tag="amb")]
        out, error = run(config, catalog, messages)
    assert error is None, error
    assert proxy.drops == 0  # four creates lost their answer after landing
    ids = Counter(c["integration"]["externalId"] for c in contracts_with_prefix(sb, "amb-"))
    assert ids == {"amb-0": 1, "amb-1": 1, "amb-2": 1}
    names = Counter(c["name"] for c in sb.records("counterparties"))
    assert names["Lost Answer Ltd"] == 1 and len(sb.records("counterparties")) == counterparties_before + 1 + 3


def test_faults_everything_lands_exactly_once(sb, base_config, h):
    """429 storms with Retry-After, 5xx, resets and truncated bodies while writing (a quick pass)."""
    sb.set_faults(rate_limit="40/1", error_rate=0.1, reset_rate=0.05, malformed_rate=0.05)
    catalog = h.catalog(("contracts", "append_dedup"))
    rows = deals(15, run_tag="flt")
    out, error = run({**base_config, "max_retries": 8}, catalog, [h.record("contracts", r) for r in rows]
                     + [h.state("contracts", 1)])
    sb.set_faults(rate_limit=None, error_rate=0, reset_rate=0, malformed_rate=0)
    assert error is None, error
    ids = Counter(c["integration"]["externalId"] for c in contracts_with_prefix(sb, "flt-"))
    assert len(ids) == 15 and set(ids.values()) == {1}
    counterparty_names = Counter(c["name"] for c in sb.records("counterparties") if c["name"].startswith("Integration Co"))
    assert set(counterparty_names.values()) == {1}


def test_state_after_a_failed_batch_is_not_emitted(sb, base_config, h):
    sb.set_faults(error_rate=1.0)
    out, error = run({**base_config, "max_retries": 0}, h.catalog(("contracts", "append_dedup")),
                     [h.state("contracts", 0), h.record("contracts", deals(1)[0]), h.state("contracts", 1)])
    sb.set_faults(error_rate=0)
    assert error is not None and error.failure_type.value == "transient_error"
    # the first state had nothing before it and goes out; the one after the failed row must not
    assert [m.state.stream.stream_state.cursor for m in out if m.type == Type.STATE] == [0]


def _console_script() -> str:
    script = Path(sys.executable).parent / "destination-tomorro"
    return str(script) if script.exists() else "destination-tomorro"


def test_console_script_check_and_write(sb, base_config, h, tmp_path):
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(base_config))
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(h.catalog(("contracts", "append_dedup"))))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    check = subprocess.run([_console_script(), "check", "--config", str(config_path)], capture_output=True, text=True,
                           timeout=60, env=env)
    statuses = [json.loads(line) for line in check.stdout.splitlines() if line.startswith("{")]
    assert [m["connectionStatus"]["status"] for m in statuses if m["type"] == "CONNECTION_STATUS"] == ["SUCCEEDED"]
    messages = [h.record("contracts", r) for r in deals(3, run_tag="cli")] + [h.state("contracts", "c1")]
    write = subprocess.run([_console_script(), "write", "--config", str(config_path), "--catalog", str(catalog_path)],
                           input=h.jsonl(messages), capture_output=True, text=True, timeout=120, env=env)
    assert write.returncode == 0, write.stderr[-2000:]
    out = [json.loads(line) for line in write.stdout.splitlines() if line.startswith("{")]
    states = [m["state"] for m in out if m["type"] == "STATE"]
    assert len(states) == 1 and states[0]["stream"]["stream_state"] == {"cursor": "c1"}
    assert states[0]["destinationStats"]["recordCount"] == 3
    assert len(contracts_with_prefix(sb, "cli-")) == 3


def test_the_console_script_ends_once_its_output_is_whole_zero_only_when_the_write_succeeded(sb, base_config, h,
                                                                                              tmp_path):
    """`run.main` skips Python's teardown after the last message: every message must still be out (the last state,
    the summary, the report last) and a write that fails must still exit non-zero with its error."""
    config_path, catalog_path = tmp_path / "config.json", tmp_path / "catalog.json"
    config_path.write_text(json.dumps({**base_config, "max_retries": 0}))
    catalog_path.write_text(json.dumps(h.catalog(("contracts", "append_dedup"))))

    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}  # as a pipe is

    def write(messages):
        done = subprocess.run([_console_script(), "write", "--config", str(config_path), "--catalog",
                               str(catalog_path)], input=h.jsonl(messages), capture_output=True, text=True, timeout=120,
                              env=buffered)
        return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]

    code, out = write([h.record("contracts", r) for r in deals(30, run_tag="end")] + [h.state("contracts", "c30")])
    assert code == 0
    assert out[-1]["type"] == "TRACE" and out[-1]["trace"]["type"] == "ANALYTICS", out[-3:]
    assert [m["state"]["destinationStats"]["recordCount"] for m in out if m["type"] == "STATE"] == [30]
    assert json.loads(out[-1]["trace"]["analytics"]["value"])["streams"]["contracts"]["created"] == 30

    sb.set_faults(error_rate=1.0)
    try:
        code, out = write([h.record("contracts", r) for r in deals(2, start=30, run_tag="end")])
    finally:
        sb.set_faults(error_rate=0)
    assert code != 0 and out[-1]["type"] == "TRACE" and out[-1]["trace"]["error"]["failure_type"] == "transient_error"


def test_console_script_failure_never_prints_the_key(sb, base_config, h, tmp_path):
    secret = "sk-live-THIS-IS-SECRET-123"  # noqa: S105 - a fake key the output must never show
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({**base_config, "api_key": secret}))
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(h.catalog(("contracts", "append_dedup"))))
    write = subprocess.run([_console_script(), "write", "--config", str(config_path), "--catalog", str(catalog_path)],
                           input=h.jsonl([h.record("contracts", deals(1)[0])]), capture_output=True, text=True, timeout=120)
    assert write.returncode != 0
    traces = [json.loads(line) for line in write.stdout.splitlines() if line.startswith('{"type":"TRACE"')]
    assert traces and traces[-1]["trace"]["error"]["failure_type"] == "config_error"
    assert "Tomorro rejected the API key" in traces[-1]["trace"]["error"]["message"]
    assert secret not in write.stdout and secret not in write.stderr
    assert secret not in Path(base_config["rejected_rows_path"]).read_text()


def test_writer_buffers_are_per_instance():
    assert "buffers" not in vars(TomorroWriter)


def test_lost_create_is_found_even_when_the_server_clock_is_skewed(sb, base_config, h):
    """The lookup filters on the server's createdAt: it must use the server's clock (Date header)."""
    sb.set_clock(offset_seconds=-7200)
    try:
        with DropAfterCommitProxy(sb.url, drops=2) as proxy:
            out, error = run({**base_config, "base_url": proxy.url, "max_concurrency": 1},
                             h.catalog(("contracts", "append_dedup")),
                             [h.record("contracts", {**r, "counterparty_id": sb.records("counterparties")[0]["id"],
                                                     "counterparty": None}) for r in deals(2, run_tag="skew")])
    finally:
        sb.set_clock(offset_seconds=0)
    assert error is None, error
    assert proxy.drops == 0
    assert Counter(c["integration"]["externalId"] for c in contracts_with_prefix(sb, "skew-")) == {"skew-0": 1, "skew-1": 1}


def test_every_smart_field_type_round_trips_and_a_rerun_sends_nothing(sb, base_config, h):
    """Values given in warehouse shapes (French labels, ISO datetimes, numeric strings, plain text)
    are coerced so that Tomorro's copy compares equal on the next run."""
    headers = {"x-api-key": "sandbox-key"}
    samples = {"text": "hello", "number": "12.5", "date": "2025-02-03T10:00:00Z", "richtext": "line1\nline2",
               "duration": "6 months"}
    rows = {}
    for obj in ("contract", "external_party"):
        fields = requests.get(f"{sb.url}/smart-fields", params={"object": obj, "limit": 50}, headers=headers,
                              timeout=10).json()["data"]
        row = {}
        for ftype in ("text", "number", "date", "select", "multiselect", "richtext", "duration"):
            sf = next(f for f in fields if f["type"] == ftype)
            if ftype in ("select", "multiselect"):
                option = requests.get(f"{sb.url}/smart-fields/{sf['id']}/options", params={"limit": 3},
                                      headers=headers, timeout=10).json()["data"][-1]
                row[sf["name"]] = next(t["value"] for t in option["translations"] if t["language"] == "fr")
            else:
                row[sf["name"]] = samples[ftype]
        rows[obj] = row
    catalog = h.catalog(("counterparties", "append_dedup"), ("contracts", "append_dedup"))
    messages = [h.record("counterparties", {"name": "Typed Co", **rows["external_party"]}),
                h.record("contracts", {"external_id": "typed-1", "counterparty": "Typed Co", **rows["contract"]})]
    out, error = run(base_config, catalog, messages)
    assert error is None, error
    assert summary(out).count("created 1, updated 0, unchanged 0, rejected 0") == 2
    sb.reset_stats()
    out, error = run(base_config, catalog, messages)
    assert error is None and summary(out).count("created 0, updated 0, unchanged 1, rejected 0") == 2
    assert h.writes(sb) == 0
    contract = contracts_with_prefix(sb, "typed-")[0]
    values = {f["name"]: f["value"] for f in contract["fields"]}
    assert 12.5 in values.values() and "2025-02-03" in values.values()
    assert {"value": 6, "unit": "months"} in values.values()


@pytest.mark.slow
def test_killed_mid_write_under_faults_then_rerun_lands_every_row_exactly_once(sb, base_config, h, tmp_path):
    """The console script SIGKILLed twice mid-write under 429s, 5xx, resets and truncated bodies,
    then re-run to completion: every contract and counterparty exists exactly once."""
    import random
    import signal

    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({**base_config, "max_concurrency": 6, "batch_size": 25, "request_timeout_seconds": 2}))
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(h.catalog(("counterparties", "append_dedup"), ("contracts", "append_dedup"))))
    messages = [h.record("counterparties", {"name": f"Chaos Co {i}"}) for i in range(40)] + [h.state("counterparties", 40)]
    for i in range(200):
        messages.append(h.record("contracts", {"external_id": f"CH-{i}", "name": f"C {i}", "counterparty": f"Chaos Co {i % 50}"}))
        if i % 50 == 49:
            messages.append(h.state("contracts", i))
    sb.set_faults(rate_limit="40/1", error_rate=0.1, reset_rate=0.05, malformed_rate=0.02)
    command = [_console_script(), "write", "--config", str(config_path), "--catalog", str(catalog_path)]
    try:
        for attempt in range(6):
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                process.communicate(h.jsonl(messages), timeout=random.uniform(4, 9) if attempt < 2 else 300)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.communicate()
                continue
            if process.returncode == 0:
                break
    finally:
        sb.set_faults(rate_limit=None, error_rate=0, reset_rate=0, malformed_rate=0)
    assert process.returncode == 0
    ids = Counter(c["integration"]["externalId"] for c in contracts_with_prefix(sb, "CH-"))
    assert len(ids) == 200 and set(ids.values()) == {1}
    names = Counter(c["name"] for c in sb.records("counterparties") if c["name"].startswith("Chaos Co"))
    assert len(names) == 50 and set(names.values()) == {1}


def test_rejected_rows_over_the_threshold_are_sent_again_and_land_after_the_fix(sb, base_config, h):
    """Issue 14: the state after rows rejected over max_rejected_ratio is not emitted, so the platform
    sends them again; once the configuration is fixed they land, exactly once, and the rows that were
    written the first time are not written twice."""
    catalog = h.catalog(("closed_won", "append_dedup", "contract"))
    first = deals(4, run_tag="fix")
    second = deals(4, start=4, run_tag="fix")
    messages = ([h.record("closed_won", r) for r in first] + [h.state("closed_won", "after-first")]
                + [h.record("closed_won", r) for r in second] + [h.state("closed_won", "after-second")])
    broken = {**base_config, "max_rejected_ratio": 0.25}
    second_batch_tpl = {"template": "No Such Template"}  # a mistake in the data for the second batch
    messages_bad = messages[:5] + [h.record("closed_won", {**r, **second_batch_tpl}) for r in second] + messages[-1:]

    out, error = run(broken, catalog, messages_bad)
    assert error is not None and "the next sync sends these rows again" in error.message
    assert [m.state.stream.stream_state.cursor for m in out if m.type == Type.STATE] == ["after-first"]
    assert sorted(c["integration"]["externalId"] for c in contracts_with_prefix(sb, "fix-")) == [
        f"fix-{i}" for i in range(4)]

    # the platform re-sends everything after the last emitted state; the fixed rows land
    sb.reset_stats()
    out, error = run(broken, catalog, messages[5:])
    assert error is None, error
    assert [m.state.stream.stream_state.cursor for m in out if m.type == Type.STATE] == ["after-second"]
    ids = Counter(c["integration"]["externalId"] for c in contracts_with_prefix(sb, "fix-"))
    assert ids == {f"fix-{i}": 1 for i in range(8)}
    posts = sum(r["count"] for r in sb.stats()["requests"] if r["method"] == "POST" and r["path"] == "/v2/contracts")
    assert posts == 4
