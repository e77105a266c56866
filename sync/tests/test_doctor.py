"""`tomorro-sync doctor`: what it finds on each sandbox API profile, the strategy it announces for each
connector, and exit 1 naming the shape when neither connector could read the account."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from tomorro_sandbox import SandboxServer
from tomorro_sync import cli
from tomorro_sync.doctor import API_VERSION, examine, strategies
from tomorro_sync.target import Target

KEY = "doctor-test-key-8c1f"


def _findings(profiles):
    with SandboxServer(api_key=KEY, port=0, seed=5, contracts=80, counterparties=30, api_profiles=profiles) as sb:
        findings = examine(Target(api_key=KEY, base_url=sb.url))
    return findings, dict(strategies(findings))


def test_the_default_api_gets_ranges_and_full_items():
    findings, plan = _findings([])
    assert findings.envelopes["contracts"] == "items in `contracts`, cursor `nextCursor`, has-next `hasNext`"
    assert findings.order == {"contracts sort=updatedAt": "honoured", "contracts sort=-updatedAt": "honoured",
                              "contracts updatedAt=gte:": "honoured", "counterparties sort=updatedAt": "honoured",
                              "counterparties sort=-updatedAt": "honoured"}
    assert plan["source: contracts"] == "ranges of updatedAt read side by side, split while reading"
    assert not findings.problems and findings.slim == {"contracts": [], "counterparties": []}


@pytest.mark.parametrize("profiles,request_,verdict,strategy", [
    (["updated-filter-refused"], "contracts updatedAt=gte:", "refused (HTTP 400)",
     "first sync: one ascending chain from the start; later syncs: newest first, stopping at the saved position"),
    (["updated-filter-ignored"], "contracts updatedAt=gte:", "ignored",
     "first sync: one ascending chain from the start; later syncs: newest first, stopping at the saved position"),
    (["sort-ignored"], "contracts sort=updatedAt", "ignored",
     "every page read and every record checked, on every sync (no order to stop on)"),
])
def test_what_the_contracts_list_honours_decides_the_source_strategy(profiles, request_, verdict, strategy):
    findings, plan = _findings(profiles)
    assert findings.order[request_] == verdict
    assert plan["source: contracts"] == strategy


def test_a_default_list_that_hides_statuses_is_reported_with_counts():
    with SandboxServer(api_key=KEY, port=0, seed=5, contracts=80, counterparties=30) as sb:
        canceled = sum(c["status"] == "canceled" for c in sb.records("contracts"))
        archived = sum(c["status"] == "archived" for c in sb.records("counterparties"))
        plain = examine(Target(api_key=KEY, base_url=sb.url)).statuses
        sb.set_api_profiles(["default-lists-hide-closed", "status-in-refused"])
        hiding = examine(Target(api_key=KEY, base_url=sb.url))
    assert canceled and archived
    assert plain == {"contracts": "shows every status (80)", "counterparties": "shows every status (30)"}
    assert hiding.statuses["contracts"].startswith(f"hides {canceled} of 80 (Tomorro refused `status=in:`")
    assert hiding.statuses["counterparties"].startswith(f"hides {archived} of 30")
    assert not hiding.problems


def test_slim_items_are_named_and_their_order_read_on_the_whole_items():
    findings, plan = _findings(["slim-contracts"])
    assert findings.slim["contracts"] == ["fields", "integration", "updatedAt"]
    assert findings.order["contracts sort=updatedAt"] == "honoured"
    assert "each fetched whole" in plan["source: contracts"] and "integration" in plan["destination: contract matching"]


def test_another_envelope_is_described_as_found():
    findings, _ = _findings(["envelope-snake", "no-has-next"])
    assert findings.envelopes["contracts"] == "items in `data`, cursor `pagination.next_cursor`, no has-next flag"


class _Unknown(BaseHTTPRequestHandler):
    """An API whose lists come in a shape no reader knows."""

    def do_GET(self):  # noqa: N802 - http.server's name
        assert self.headers["tomorro-version"] == API_VERSION
        body = json.dumps({"items": [{"id": "a"}, {"id": "b"}], "more": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_account_no_connector_can_read_exits_1_naming_the_shape(tmp_path, capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unknown)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = tmp_path / "tomorro.json"
    config.write_text(json.dumps({"api_key": KEY + "\n", "base_url": f"http://127.0.0.1:{server.server_address[1]}/v2"}))
    try:
        code = cli.main(["doctor", "--config", str(config), "--db", str(tmp_path / "t.duckdb")])
    finally:
        server.shutdown()

    out = capsys.readouterr().out
    assert code == 1
    assert "no list of records under `contracts` or `data`" in out and "Keys seen: items, more" in out
    assert KEY not in out


def test_the_version_header_is_the_connectors():
    manifest = yaml.safe_load(open(cli.__file__.replace("sync/tomorro_sync/cli.py", "source-tomorro/manifest.yaml")))
    assert manifest["definitions"]["base_requester"]["request_headers"]["tomorro-version"] == API_VERSION
