"""Fault switches: each one at start and at runtime, on /v2 only, deterministic for a seed."""

import http.client
import socket
import time

import orjson
import pytest
import requests
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.testing import Api, assert_error

pytestmark = pytest.mark.faults


@pytest.fixture(autouse=True)
def _no_faults(sb):
    sb.set_faults(latency_ms=0, jitter_ms=0, rate_limit=None, error_rate=0, reset_rate=0,
                  slow_body_rate=0, malformed_rate=0)
    yield
    sb.set_faults(latency_ms=0, jitter_ms=0, rate_limit=None, error_rate=0, reset_rate=0,
                  slow_body_rate=0, malformed_rate=0)


def test_get_faults_reports_current_settings(sb):
    assert sb.faults()["error_rate"] == 0
    assert sb.set_faults(error_rate=0.25)["error_rate"] == 0.25
    assert sb.faults()["error_rate"] == 0.25


def test_set_faults_given_bad_value_is_rejected(sb):
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        sb.set_faults(error_rate=2)
    with pytest.raises(RuntimeError, match="N/SECONDS"):
        sb.set_faults(rate_limit="lots")
    with pytest.raises(RuntimeError, match="unknown fault settings"):
        sb.set_faults(chaos=1)


def test_rate_limit_returns_429_with_integer_retry_after(api, sb):
    sb.set_faults(rate_limit="3/5")
    codes = [api.get("/members", limit=1) for _ in range(4)]
    assert [r.status_code for r in codes[:3]] == [200, 200, 200]
    assert_error(codes[3], 429, "Too Many Requests")
    assert 1 <= int(codes[3].headers["Retry-After"]) <= 5


def test_rate_limit_is_per_api_key_and_frees_a_slot_after_the_window(sb):
    sb.set_faults(rate_limit="2/2")
    api = Api(sb)
    assert [api.get("/members").status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(2.05)
    assert api.get("/members").status_code == 200
    bad = requests.get(sb.url + "/members", headers={"x-api-key": "wrong"}, timeout=10)
    assert bad.status_code == 401  # auth first: a wrong key never counts against the limit


def test_error_rate_one_returns_5xx_with_nest_body(api, sb):
    sb.set_faults(error_rate=1)
    statuses = set()
    for _ in range(12):
        r = api.get("/contracts")
        assert r.status_code in (500, 502, 503)
        assert r.json()["statusCode"] == r.status_code
        statuses.add(r.status_code)
    assert len(statuses) >= 2


def test_faults_never_touch_admin_routes(sb):
    sb.set_faults(error_rate=1, reset_rate=1)
    assert sb.health() == {"status": "ok"}
    assert sb.stats()["total"] >= 0


def test_reset_rate_one_drops_the_connection(api, sb):
    sb.set_faults(reset_rate=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(sb.url + "/contracts", headers={"x-api-key": sb.api_key}, timeout=10)
    counted = [r for r in sb.stats()["requests"] if r["status"] == 0]
    assert counted and counted[0]["path"] == "/v2/contracts"


def test_reset_is_a_tcp_reset_not_a_clean_close(sb):
    sb.set_faults(reset_rate=1)
    host, port = sb.root_url.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(f"GET /v2/members HTTP/1.1\r\nHost: x\r\nx-api-key: {sb.api_key}\r\n\r\n".encode())
    with pytest.raises(ConnectionResetError):
        while s.recv(65536):
            pass
    s.close()


def test_malformed_rate_one_returns_truncated_json_with_consistent_length(api, sb):
    sb.set_faults(malformed_rate=1)
    r = api.get("/contracts", limit=5)
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == len(r.content)
    with pytest.raises(ValueError):
        orjson.loads(r.content)


def test_slow_body_rate_one_trickles_the_body(sb):
    sb.set_faults(slow_body_rate=1)
    host, port = sb.root_url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    t0 = time.perf_counter()
    conn.request("GET", "/v2/contracts?limit=5", headers={"x-api-key": sb.api_key})
    resp = conn.getresponse()
    t_headers = time.perf_counter() - t0
    body = resp.read()
    t_body = time.perf_counter() - t0
    conn.close()
    assert t_headers < 1.0 and t_body >= 1.0 and t_body - t_headers >= 0.9
    assert orjson.loads(body)["contracts"]


def test_latency_delays_each_request(api, sb):
    sb.set_faults(latency_ms=200, jitter_ms=50)
    t0 = time.perf_counter()
    assert api.get("/members").status_code == 200
    assert 0.2 <= time.perf_counter() - t0 < 2.0


def test_latency_holds_many_concurrent_requests(sb):
    from concurrent.futures import ThreadPoolExecutor

    sb.set_faults(latency_ms=500)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(lambda _: Api(sb).get("/members").status_code, range(32)))
    assert codes == [200] * 32 and time.perf_counter() - t0 < 6  # serial would be 16 s


def test_faults_given_at_start(sb):
    with SandboxServer(contracts=10, counterparties=3, error_rate=1.0) as s2:
        assert Api(s2).get("/contracts").status_code in (500, 502, 503)


def test_fault_draws_are_deterministic_for_a_seed():
    def run():
        with SandboxServer(seed=7, contracts=10, counterparties=3, error_rate=0.5) as s:
            api = Api(s)
            return [api.get("/members").status_code for _ in range(20)]

    first = run()
    assert first == run() and len(set(first)) > 1
