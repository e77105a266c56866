"""The `tomorro-sandbox serve` command and SandboxProcess."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests
from tomorro_sandbox import SandboxProcess

SCRIPT = Path(sys.executable).with_name("tomorro-sandbox")


def test_serve_prints_the_base_url_first_and_serves_it():
    proc = subprocess.Popen([str(SCRIPT), "serve", "--port", "0", "--contracts", "20", "--counterparties", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v2")
        r = requests.get(url + "/contracts", headers={"x-api-key": "sandbox-key"}, timeout=10)
        assert r.status_code == 200 and len(r.json()["contracts"]) == 20
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C exits cleanly
        assert proc.wait(timeout=30) == 0  # generous: CI machines can be loaded


def test_serve_given_sigint_ignored_by_its_parent_still_exits_cleanly_on_ctrl_c():
    """A child inherits an ignored SIGINT (nohup, some runners); Ctrl-C must still stop the server."""
    proc = subprocess.Popen([str(SCRIPT), "serve", "--port", "0", "--contracts", "5", "--counterparties", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert proc.stdout.readline().startswith("http://127.0.0.1:")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_serve_given_taken_port_exits_2_with_one_line_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([str(SCRIPT), "serve", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and str(port) in r.stderr


def test_serve_given_bad_fault_flag_is_a_usage_error():
    r = subprocess.run([str(SCRIPT), "serve", "--rate-limit", "lots"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "N/SECONDS" in r.stderr


def test_sandbox_process_runs_the_cli_with_options_and_admin_helpers():
    with SandboxProcess(seed=3, contracts=15, counterparties=4, api_key="k2", latency_ms=0) as sp:
        assert sp.url.endswith("/v2") and sp.api_key == "k2"
        r = requests.get(sp.url + "/contracts", headers={"x-api-key": "k2"}, timeout=10)
        assert r.status_code == 200 and len(r.json()["contracts"]) == 15
        assert sp.stats()["total"] == 1
        assert sp.set_faults(error_rate=1)["error_rate"] == 1
        assert len(sp.records("contracts")) == 15
        pid = sp.proc.pid
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sandbox_process_given_taken_port_raises_with_the_reason():
    import pytest

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"cannot listen on 127.0.0.1:{port}"):
            SandboxProcess(port=port, contracts=5).start()


def test_serve_with_api_profile_flags_serves_that_shape():
    proc = subprocess.Popen([str(SCRIPT), "serve", "--port", "0", "--contracts", "12", "--counterparties", "4",
                             "--api-profile", "slim-contracts", "--api-profile", "envelope-intro"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        body = requests.get(url + "/contracts", headers={"x-api-key": "sandbox-key"}, timeout=10).json()
        assert list(body) == ["data", "pagination"] and list(body["data"][0]) == ["id", "name", "status"]
        admin = url[: -len("/v2")] + "/_sandbox/api-profiles"
        assert requests.get(admin, timeout=10).json()["profiles"] == ["envelope-intro", "slim-contracts"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_serve_given_unknown_api_profile_is_a_usage_error_listing_the_known_ones():
    r = subprocess.run([str(SCRIPT), "serve", "--api-profile", "slim"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "invalid choice: 'slim'" in r.stderr
    assert "'envelope-intro'" in r.stderr and "'no-integration-echo'" in r.stderr


def test_serve_given_contradictory_api_profiles_is_a_usage_error():
    r = subprocess.run([str(SCRIPT), "serve", "--api-profile", "envelope-intro", "--api-profile", "envelope-snake"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "cannot be active together" in r.stderr


def test_sandbox_process_passes_api_profiles_to_the_command():
    with SandboxProcess(contracts=8, counterparties=3, api_profiles=["no-has-next", "sort-ignored"]) as sp:
        assert sp.api_profiles()["profiles"] == ["no-has-next", "sort-ignored"]
        body = requests.get(sp.url + "/contracts", headers={"x-api-key": sp.api_key}, timeout=10).json()
        assert "hasNext" not in body and body["nextCursor"] is None
        assert sp.set_api_profiles([])["profiles"] == []


def test_updated_skew_flag_seeds_a_young_account_and_refuses_unknown_values():
    with SandboxProcess(contracts=300, counterparties=20, updated_skew="recent") as sp:
        contracts = sp.records("contracts")
        assert sum(c["updatedAt"] >= "2024-10-03" for c in contracts) / len(contracts) > 0.8
    r = subprocess.run([str(SCRIPT), "serve", "--updated-skew", "old"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "invalid choice: 'old'" in r.stderr
