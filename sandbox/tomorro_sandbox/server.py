"""The HTTP layer: a stdlib ThreadingHTTPServer (HTTP/1.1 keep-alive, one thread per connection,
so many slow requests can be held at once) with full control of the socket, which the faults need
(a real reset via SO_LINGER 0, truncated and trickled bodies).

Pipeline of a /v2 request, top to bottom (stripe-mock style): route lookup (for the stats
template) -> API key (401) -> version (400/410) -> faults (429, latency, 5xx, reset) -> handler
-> write (possibly malformed or slow).
"""

import email.utils
import itertools
import logging
import socket
import struct
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import orjson

from . import assumptions as A
from .admin import ADMIN, signed_file
from .app import App, AppConfig
from .auth import check_api_key, version_headers
from .client import AdminClient
from .errors import ApiError, route_not_found
from .faults import Draw, FaultSettings
from .profiles import ApiShape
from .routes import API
from .seed import SeedOptions
from .signed_pdfs import STORAGE_PREFIX
from .wire import Request, Response

log = logging.getLogger("tomorro_sandbox")
_request_ids = itertools.count(1)
_SLOW_CHUNKS, _SLOW_SECONDS = 10, 1.5


def _error_response(e: ApiError) -> Response:
    return Response(e.status, orjson.dumps(e.body()), dict(e.headers))


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tomorro-sandbox/0.1"
    sys_version = ""
    # without this every small response waits ~40 ms for the client's delayed ACK
    disable_nagle_algorithm = True

    def do_GET(self):
        self._dispatch()

    # every method goes through one pipeline: unknown ones get NestJS's 404, never http.server's 501
    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = do_GET

    def log_message(self, *args):
        pass  # no access log: benchmarks would drown in it

    def date_time_string(self, timestamp=None):
        # the Date header follows the (possibly skewed) sandbox clock
        return email.utils.formatdate(self.server.app.store.clock.now(), usegmt=True)

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, TimeoutError, OSError):
            pass  # the client went away; nothing to answer

    def _request(self) -> Request:
        path, _, qs = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return Request(self.command, path, dict(parse_qsl(qs, keep_blank_values=True)), self.headers, body,
                       f"http://{host}")

    def _dispatch(self):
        app: App = self.server.app
        req = self._request()
        if req.path.startswith("/_sandbox/") or req.path == "/_sandbox":
            self._send(self._admin(app, req), Draw())
        elif req.path.startswith(STORAGE_PREFIX):
            self._download(app, req)
        elif req.path in ("/v2/openapi.json", "/v2/openapi.yaml"):
            from .spec import spec_response  # loads PyYAML: only when the document is asked for

            self._send(spec_response(req.path), Draw())
        else:
            self._api(app, req)

    def _admin(self, app: App, req: Request) -> Response:
        _, handler, params = ADMIN.match(req.method, req.path)
        try:
            if handler is None:
                raise route_not_found(req.method, req.path)
            return handler(app, req, **params)
        except ApiError as e:
            return _error_response(e)
        except Exception:
            log.error("unhandled error on %s %s\n%s", req.method, req.path, traceback.format_exc())
            return _error_response(ApiError(500, "Internal server error"))

    def _api(self, app: App, req: Request) -> None:
        # HEAD is answered like GET without a body, as Express does
        template, handler, params = API.match("GET" if req.method == "HEAD" else req.method, req.path)
        template = template or req.path
        draw, extra, scripted = Draw(), {}, None
        try:
            key = check_api_key(req.headers, app.api_key)
            extra = version_headers(req.headers)
            draw = app.faults.before_handler(key, time.monotonic())
            scripted = app.script.take(req.method, template)
            if draw.reset or scripted == "reset":
                app.stats.count(req.method, template, 0, req)
                return self._reset()
            if isinstance(scripted, int):
                raise ApiError(scripted, f"{req.method} {template}: {scripted} (scripted by the sandbox)")
            app.moves.fire(req.method, template, req.query, app.store)
            if handler is None:
                raise route_not_found(req.method, req.path)
            resp = handler(app, req, **params)
        except ApiError as e:
            resp = _error_response(e)
        except Exception:  # a sandbox bug must still answer like a server would
            log.error("unhandled error on %s %s\n%s", req.method, req.path, traceback.format_exc())
            resp = _error_response(ApiError(500, "Internal server error"))
        if scripted == "reset-after":  # applied, and the answer lost
            app.stats.count(req.method, template, 0, req)
            return self._reset()
        resp.headers.update(extra)
        app.stats.count(req.method, template, resp.status, req)
        self._send(resp, draw)

    def _download(self, app: App, req: Request) -> None:
        """A signed file's pre-signed URL: no API key, its own rate-limit window, the other faults as /v2
        has them; a body cut short keeps its honest Content-Length, so the client sees a short read."""
        template, draw = STORAGE_PREFIX + "{id}", Draw()
        try:
            # a rate-limit window of its own: the URL carries no API key (A.SIGNED_URL_OWN_RATE_WINDOW)
            draw = app.faults.before_handler(STORAGE_PREFIX, time.monotonic())
            if draw.reset:
                app.stats.count(req.method, template, 0)
                return self._reset()
            resp = signed_file(app, req, req.path[len(STORAGE_PREFIX):])
        except ApiError as e:
            resp = _error_response(e)
        app.stats.count(req.method, template, resp.status)
        if isinstance(resp.body, bytes):
            return self._send(resp, draw)
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        sent, cut = 0, len(resp.body) // 2 if draw.malformed else None
        for chunk in resp.body.chunks():
            if cut is not None and sent + len(chunk) > cut:
                self.wfile.write(chunk[: cut - sent])
                self.close_connection = True
                return
            self.wfile.write(chunk)
            sent += len(chunk)
            if draw.slow:
                time.sleep(_SLOW_SECONDS / _SLOW_CHUNKS)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout turns close() into an RST: the client sees a reset
        # connection, not a clean EOF
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _send(self, resp: Response, draw: Draw) -> None:
        body = resp.body
        if draw.malformed and len(body) > 1:
            body = body[: max(1, len(body) // 2)]  # truncated JSON, honest Content-Length
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", f"req_{next(_request_ids):08d}")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        # headers and body in one write: two small writes cost a second syscall and packet
        self._headers_buffer.append(b"\r\n")
        head = b"".join(self._headers_buffer)
        self._headers_buffer = []
        if self.command == "HEAD":
            self.wfile.write(head)
            return
        if not draw.slow:
            self.wfile.write(head + body)
            return
        self.wfile.write(head)
        step = max(1, -(-len(body) // _SLOW_CHUNKS))
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            time.sleep(_SLOW_SECONDS / _SLOW_CHUNKS)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self, address, app: App):
        self.app = app
        super().__init__(address, SandboxHandler)

    def handle_error(self, request, client_address):
        log.debug("connection error from %s", client_address, exc_info=True)


def serve_in_thread(httpd: SandboxHTTPServer) -> threading.Thread:
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                         name="tomorro-sandbox")
    t.start()
    return t


def build_config(seed=42, contracts=500, counterparties=120, fields=60, members=15, updated_skew="uniform",
                 api_key="sandbox-key", dedup_external_id=False, api_profiles=(), signed_file_bytes=0,  # noqa: S107
                 webhook_retry_scale=1.0, **faults):
    """Keyword options of SandboxServer / SandboxProcess -> AppConfig; a bad option raises ValueError."""
    if dedup_external_id and not isinstance(api_profiles, str):  # the start option of profile dedup-external-id
        api_profiles = [*api_profiles, A.DEDUP_PROFILE]
    profiles = ApiShape(api_profiles).names  # validates: unknown or contradictory names -> ProfileError
    if not (isinstance(webhook_retry_scale, int | float) and webhook_retry_scale > 0):
        raise ValueError(f"webhook_retry_scale must be a number > 0, got {webhook_retry_scale!r}")
    seed_options = SeedOptions(seed, contracts, counterparties, fields, members, updated_skew, signed_file_bytes)
    return AppConfig(seed_options, api_key, FaultSettings(**faults), profiles, float(webhook_retry_scale))


class SandboxServer(AdminClient):
    """The sandbox in this process, on a background thread, over a real loopback socket.

    `with SandboxServer(seed=1, contracts=200) as sb: requests.get(sb.url + "/contracts", ...)`
    Faults (latency_ms, jitter_ms, rate_limit, error_rate, reset_rate, slow_body_rate,
    malformed_rate) may be given here and changed later with set_faults(); so may
    `api_profiles` (names of assumptions.API_PROFILES), changed later with set_api_profiles().
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options):
        self.config = build_config(**options)
        self.api_key = self.config.api_key
        self.host, self.port = host, port
        self.app: App | None = None
        self._httpd: SandboxHTTPServer | None = None

    def start(self) -> "SandboxServer":
        self.app = App(self.config)
        self._httpd = SandboxHTTPServer((self.host, self.port), self.app)
        self.port = self._httpd.server_address[1]
        self.root_url = f"http://{self.host}:{self.port}"
        serve_in_thread(self._httpd)
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
