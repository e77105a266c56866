"""The bench's probe inside a contender's Python processes (imported by `site` at start-up when this folder
is on PYTHONPATH; it does nothing unless BENCH_PROBE_LOG names a file).

It appends one JSON line to that file per Python process start (pid, time, argv) and normal exit (pid, time),
and per HTTP request sent through `requests` (pid, method, URL with its query, status, start and end times). The sandbox counts requests
by path template only; this log tells the harness which range or stream each request served and how many were
in flight, without touching the contender's code. Cost: one small write per request (~20 us), nothing kept in
memory. The URL carries no secret (the API key travels in a header, which is not logged).
"""

import os

_LOG = os.environ.get("BENCH_PROBE_LOG")

if _LOG:
    import atexit
    import json
    import sys
    import time

    _FD = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def _write(entry: dict) -> None:
        # one write per line on an O_APPEND descriptor: lines from threads and processes do not interleave
        os.write(_FD, (json.dumps(entry, separators=(",", ":")) + "\n").encode())

    _write({"pid": os.getpid(), "ppid": os.getppid(), "start": time.time(), "argv": list(sys.argv)})
    atexit.register(lambda: _write({"pid": os.getpid(), "exit": time.time()}))

    import requests.adapters

    _send = requests.adapters.HTTPAdapter.send

    def _probed_send(self, request, *args, **kwargs):
        t0 = time.time()
        entry = {"pid": os.getpid(), "method": request.method, "url": request.url, "t0": t0}
        try:
            response = _send(self, request, *args, **kwargs)
        except BaseException as error:
            _write({**entry, "t1": time.time(), "status": 0, "error": type(error).__name__})
            raise
        _write({**entry, "t1": time.time(), "status": response.status_code})
        return response

    requests.adapters.HTTPAdapter.send = _probed_send
