"""Issue 13 at the console-script level: `destination-tomorro` on hostile input, against the sandbox.
Every finding of the issue that concerns the destination has its regression test here (or names the
unit test that holds it), each run also checked for the key in every printed form.

Principles proven: every row is accounted for exactly once (the report's counts add up), nothing is
written for a row that will be rejected, keys compare in one canonical form, a corrupt stdin stops
the sync naming the line and acknowledges no later state, the key never appears."""

from __future__ import annotations

import json
import subprocess
import unicodedata
from collections import Counter

import pytest
import requests
from destination_tomorro.report import WriteReport
from faults_harness import NO_FAULTS, SECRET, FaultProxy, Run
from tomorro_sandbox import SandboxServer

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(seed=13, contracts=30, counterparties=20, fields=20, members=3, api_key=SECRET, port=0) as server:
        yield server


def config(sb, work, **extra):
    return {"api_key": SECRET, "base_url": sb.url, "default_contract_type": "Non-Disclosure Agreement",
            "default_template": "Mutual NDA", "integration_type": "hubspot", "integration_entity": "deal",
            "max_retries": 2, "requests_per_minute": 6000, "rejected_rows_path": str(work.path / "rejected.jsonl"),
            **extra}


def catalog(*streams, mode="append_dedup"):
    return {"streams": [{"stream": {"name": name, "json_schema": {"type": "object"},
                                    "supported_sync_modes": ["full_refresh", "incremental"]},
                         "sync_mode": "incremental", "destination_sync_mode": mode} for name in streams]}


def record(stream, data):
    return json.dumps({"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 0}}) + "\n"


def state(stream, value):
    return json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": stream}, "stream_state": {"cursor": value}}}}) + "\n"


def run_bytes(work, name, verb, cfg, cat, stdin: bytes) -> Run:
    """work.run with raw bytes on stdin (the harness feeds text): undecodable input must reach the connector."""
    args = work.command(name, verb, cfg, cat)
    done = subprocess.run(args, input=stdin, capture_output=True, timeout=120, cwd=work.path, env=work.env())
    result = Run(args, done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))
    work.runs.append(result)
    return result


def report(run) -> WriteReport:
    reports = [WriteReport.from_message(m) for m in run.messages]
    [found] = [r for r in reports if r is not None]
    for name, counts in found.streams.items():
        assert counts.accounted == counts.received, (name, counts)
    return found


def smart_field(sb, obj, ftype):
    fields = requests.get(f"{sb.url}/smart-fields", params={"object": obj, "limit": 50},
                          headers={"x-api-key": SECRET}, timeout=10).json()["data"]
    return next(f for f in fields if f["type"] == ftype)


def links(sb, prefix):
    return Counter(k for c in sb.records("contracts")
                   if (k := (c.get("integration") or {}).get("externalId") or "").startswith(prefix))


def test_stdin_is_read_strictly(sb, work):
    """A BOM is harmless; NaN / Infinity / 1.5e400 and a non-object record reject their row naming it;
    broken JSON stops the sync naming the line, and the state after it is never acknowledged."""
    sb.reset()
    cfg = config(sb, work, max_rejected_ratio=0.9)
    number = smart_field(sb, "contract", "number")["name"]
    good = {"external_id": "STD-1", "name": "ok", "counterparty": "Strict Co"}
    stdin = ("\ufeff" + record("contracts", good)
             + record("contracts", {**good, "external_id": "STD-2"}).replace('"ok"', "NaN")
             + record("contracts", {**good, "external_id": "STD-3"}).replace('"name": "ok"', f'"{number}": 1.5e400')
             + record("contracts", {**good, "external_id": "STD-4"}).replace('"name": "ok"', '"name": -Infinity')
             + json.dumps({"type": "RECORD", "record": {"stream": "contracts", "data": [1, 2], "emitted_at": 0}}) + "\n"
             + state("contracts", "s1"))
    run = work.run("destination-tomorro", "write", cfg, catalog("contracts"), stdin=stdin)
    assert run.returncode == 0, run.describe()
    assert [s["stream"]["stream_state"]["cursor"] for s in run.states] == ["s1"]
    reasons = {r.key: r.reason for r in report(run).rejected_rows}
    assert reasons["STD-2"] == "name: nan is not a finite number (NaN and infinities are not JSON)"
    assert reasons["STD-3"].startswith(f"{number}: inf is not a finite number")
    assert reasons["STD-4"].startswith("name: -inf is not a finite number")
    assert reasons[None] == "record on stdin line 5: its data is a JSON list, not an object"
    assert links(sb, "STD-") == {"STD-1": 1}

    broken = record("contracts", {**good, "external_id": "STD-5"}) + '{"type": "RECORD", "record": {\n' + state("contracts", "s2")
    run = work.run("destination-tomorro", "write", cfg, catalog("contracts"), stdin=broken)
    assert run.returncode != 0 and run.states == []
    assert run.errors[-1]["message"].startswith("stdin line 2 is not valid JSON")
    assert report(run).streams["contracts"].unwritten == 1  # not written: no state covers it
    for bad, words in [(b'{"hello": "world"}\n', "stdin line 1 is not an Airbyte message"),
                       (b'{"type": "RECORD", "record": {"stream": "contracts", "data": {"a": "\xff"}}}\n',
                        "stdin line 1 is not UTF-8")]:
        run = run_bytes(work, "destination-tomorro", "write", cfg, catalog("contracts"),
                        stdin=bad + state("contracts", "s3").encode())
        assert run.returncode != 0 and run.states == [] and run.errors[-1]["message"].startswith(words), run.describe()
    assert "Something went wrong" not in json.dumps([r.messages for r in work.runs])
    work.assert_no_secret()


def test_keys_compare_in_one_canonical_form(sb, work):
    """98765 then 98765.0; "Café" in NFC then NFD; "İstanbul Ltd" / "istanbul ltd"; a doubled space:
    one object each, whichever run, batch or look-up path sees them."""
    sb.reset()
    cfg = config(sb, work, batch_size=3)
    made_elsewhere = requests.post(f"{sb.url}/counterparties", json={"name": "Double  Space Co"},
                                   headers={"x-api-key": SECRET}, timeout=10)
    assert made_elsewhere.status_code == 201
    names = ["Café Lumière", "İstanbul Ltd", "double space co", "in:Operator Co", "ne:Other Co", "gte:Third Co"]
    variants = [unicodedata.normalize("NFD", "café lumière"), "istanbul ltd", "DOUBLE SPACE  CO", "IN:operator co",
                "NE:OTHER CO", "gte:third  co"]
    before = Counter(c["id"] for c in sb.records("counterparties"))
    first = "".join(record("contracts", {"external_id": 98765 + i, "counterparty": n}) for i, n in enumerate(names))
    run = work.run("destination-tomorro", "write", cfg, catalog("contracts"), stdin=first)
    assert run.returncode == 0, run.describe()
    # the same keys as floats and strings, other spellings, and 25 more names: the whole-list path
    extra = [f"Filler Company {i}" for i in range(25)]
    second = "".join(record("contracts", {"external_id": float(98765 + i), "counterparty": n})
                     for i, n in enumerate(variants + extra))
    run = work.run("destination-tomorro", "write", cfg, catalog("contracts"), stdin=second)
    assert run.returncode == 0, run.describe()
    counts = report(run).streams["contracts"]
    assert (counts.created, counts.rejected) == (25, 0)
    assert links(sb, "98") == {str(98765 + i): 1 for i in range(len(names))} | {str(98765 + i): 1 for i in range(len(names), 31)}
    made = Counter(c["name"] for c in sb.records("counterparties") if c["id"] not in before)
    assert len(made) == len(names) - 1 + len(extra) and set(made.values()) == {1}, made  # Double  Space Co existed
    work.assert_no_secret()


def test_keyless_append_recovery_never_takes_a_siblings_contract(sb, work):
    """Ten rows without a key that differ only by a smart-field value, under 30 % 5xx on creates: ten
    contracts, one per value, and the report says ten created."""
    sb.reset()
    number = smart_field(sb, "contract", "number")["name"]
    counterparty = sb.records("counterparties")[0]["id"]
    rows = "".join(record("contracts", {"name": "Sibling", "counterparty_id": counterparty, number: 1000 + i})
                   for i in range(10)) + state("contracts", "done")
    sb.set_faults(error_rate=0.3)
    try:  # some creates fail unapplied (5xx), others land and lose their answer (the proxy): siblings race
        with FaultProxy(sb.url, lost_after_commit=0.3, seed=5) as proxy:
            run = work.run("destination-tomorro", "write", config(sb, work, base_url=proxy.url, max_retries=8,
                                                                  max_concurrency=4),
                           catalog("contracts", mode="append"), stdin=rows)
    finally:
        sb.set_faults(**NO_FAULTS)
    assert proxy.counts["lost_after_commit"] >= 1
    assert run.returncode == 0, run.describe()
    values = Counter(next(f["value"] for f in c["fields"] if f["name"] == number)
                     for c in sb.records("contracts") if c["name"] == "Sibling")
    assert values == {1000 + i: 1 for i in range(10)}
    assert report(run).streams["contracts"].created == 10
    work.assert_no_secret()


def test_nothing_is_written_for_a_row_that_is_rejected(sb, work):
    """`signed`, a `javascript:` link, a dict external id, a status without a key in append: rejected
    before any write (no contract, no counterparty); duplicated multiselect values and every kind of
    line break are cleaned; 5,000 unknown columns make one warning."""
    sb.reset()
    multi = smart_field(sb, "contract", "multiselect")
    text = smart_field(sb, "contract", "text")
    option = requests.get(f"{sb.url}/smart-fields/{multi['id']}/options", params={"limit": 2},
                          headers={"x-api-key": SECRET}, timeout=10).json()["data"][0]
    label = next(t["value"] for t in option["translations"] if t["language"] == "gb")
    before = len(sb.records("counterparties"))
    rows = [record("contracts", {"external_id": "HW-1", "counterparty": "Never Created 1", "status": "signed"}),
            record("contracts", {"external_id": "HW-2", "counterparty": "Never Created 2",
                                 "external_url": "javascript:alert(1)"}),
            record("contracts", {"external_id": {"id": 3}, "counterparty": "Never Created 3"}),
            record("contracts", {"external_id": "HW-4", "counterparty": "Clean Co", multi["name"]: [label, label.upper()],
                                 text["name"]: "a\r\nb\rc\u0085d\u2028e", **{f"junk_{i}": i for i in range(5000)}})]
    run = work.run("destination-tomorro", "write", config(sb, work, max_rejected_ratio=0.9), catalog("contracts"),
                   stdin="".join(rows))
    assert run.returncode == 0, run.describe()
    reasons = {r.key: r.reason for r in report(run).rejected_rows}
    assert "'signed' cannot be set through the API" in reasons["HW-1"]
    assert reasons["HW-2"] == "external_url: 'javascript:alert(1)' is not an http(s) URL"
    assert reasons[None].startswith("external_id: a dict is not a valid value")
    assert links(sb, "HW-") == {"HW-4": 1}
    assert len(sb.records("counterparties")) == before + 1  # only Clean Co
    landed = next(c for c in sb.records("contracts") if (c.get("integration") or {}).get("externalId") == "HW-4")
    values = {f["attributeDefinitionId"]: f["value"] for f in landed["fields"]}
    assert values[multi["id"]] == [label] and values[text["id"]] == "a\nb\nc\nd\ne"
    warnings = [m for m in run.of("LOG") if m["log"]["level"] == "WARN" and not m["log"]["message"].startswith("Rejected")]
    assert len(warnings) == 1 and "5000 columns matching no contract attribute" in warnings[0]["log"]["message"]
    work.assert_no_secret()


def test_a_pasted_key_works_and_is_never_printed_in_any_form(sb, work):
    pasted = f" {SECRET}\n"
    cfg = {**config(sb, work), "api_key": pasted}
    check = work.run("destination-tomorro", "check", cfg)
    assert check.connection_status["status"] == "SUCCEEDED", check.describe()
    write = work.run("destination-tomorro", "write", cfg, catalog("counterparties"),
                     stdin=record("counterparties", {"name": "Pasted Key Co"}))
    assert write.returncode == 0, write.describe()
    with FaultProxy(sb.url, script={1: "503", 2: "503", 3: "503"}) as proxy:  # a failure path too
        failing = work.run("destination-tomorro", "write", {**cfg, "base_url": proxy.url, "max_retries": 0},
                           catalog("counterparties"), stdin=record("counterparties", {"name": "Other Co"}))
    assert failing.returncode != 0
    for form in (SECRET, repr(pasted)[1:-1], json.dumps(pasted)[1:-1]):
        work.assert_no_secret(secret=form)
