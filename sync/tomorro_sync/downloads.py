"""One signed file from Tomorro to disk: a fresh URL when it has expired, the body streamed to a temporary
name while it is hashed, checked, fsynced and renamed. No partial file ever bears the final name.

What is checked on every download (the API page documents a short-lived pre-signed S3 URL with `expiresAt`,
a `contentType` and a filename "normalised to .pdf", nothing more):
- the body is as long as its `Content-Length` says (a connection cut short is retried, never kept); where no
  length can be checked (no `Content-Length`, or one of a compressed transfer), the body must end with the
  PDF's `%%EOF` mark within its last 1,024 bytes (as PDF readers look for it), else it is taken as cut short;
- it starts with `%PDF-` (a 200 that is not the PDF, a proxy's page, stops that file with a message);
- a 401/403, or an `expiresAt` already past, means the URL expired: the contract's signed files are listed
  again (`GET /contracts/{id}/signed-files`, "Re-call the endpoint to obtain a fresh URL") and the file is
  fetched from its fresh URL; a file no longer listed there (or a contract gone, 404) is reported as gone.
- 429 (Retry-After), 5xx and lost connections are retried with backoff, up to `max_retries` times.

Download URLs are credentials (pre-signed): no message quotes one, and the API key is never sent with them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .budget import Budget

API_VERSION = "2025-01-29.alpha"
CHUNK = 1024 * 1024  # bytes read and written at a time: the memory a download holds
EXPIRY_MARGIN = 30.0  # seconds: a URL this close to its `expiresAt` is refreshed before it is used
MAX_REFRESHES = 3  # fresh URLs per file before a refusal is final
PDF_MAGIC = b"%PDF-"
PDF_END, PDF_END_WITHIN = b"%%EOF", 1024  # a PDF's last line, looked for in its last 1,024 bytes
TEMP_SUFFIX = ".part"
_URL = re.compile(r"https?://\S+")


class FileFailed(Exception):
    """This file could not be downloaded now; the message says why (never quotes a URL)."""


class FileGone(Exception):
    """The file (or its contract) is no longer listed by the API."""


@dataclass
class Wanted:
    id: str
    contract_id: str
    url: str | None
    expires_at: dt.datetime | None  # aware UTC
    relative: str  # `<contractId>/<fileId>.pdf`


@dataclass
class Saved:
    sha256: str
    size: int


class Fetcher:
    """Downloads files into `root`; thread-safe (one HTTP session per thread)."""

    def __init__(self, *, base_url: str, api_key: str, root: Path, budget: Budget, max_retries: int = 6,
                 backoff: float = 1.0, progress: Callable[[int], None] = lambda n: None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.base_url, self.api_key, self.root = base_url.rstrip("/"), api_key, root
        self.budget, self.max_retries, self.backoff = budget, max_retries, backoff
        self.progress, self.now = progress, now
        self._local = threading.local()

    def fetch(self, wanted: Wanted) -> Saved:
        """The file written under its final name, or FileFailed / FileGone saying why not."""
        url, expires, refreshes, cuts = wanted.url, wanted.expires_at, 0, 0
        if not url or (expires is not None and (expires - self.now()).total_seconds() < EXPIRY_MARGIN):
            url, expires = self.fresh_url(wanted)  # expired by its `expiresAt`: not even tried
            refreshes += 1
        while True:
            try:
                status, saved = self._download(wanted, url)
            except _CutShort as err:
                cuts += 1
                if cuts > self.max_retries:
                    raise FileFailed(f"{err}, {cuts} times") from None
                time.sleep(self._pause(cuts))
                continue
            if saved is not None:
                return saved
            if refreshes >= MAX_REFRESHES:
                raise FileFailed(f"its download URL was refused (HTTP {status}) even when fresh, "
                                 f"{MAX_REFRESHES} times")
            # refused (expired) or gone from where it was: the API's answer is the authority, not our clock
            url, expires = self.fresh_url(wanted)
            refreshes += 1

    def fresh_url(self, wanted: Wanted) -> tuple[str, dt.datetime | None]:
        """A new downloadUrl from the API's list of the contract's signed files."""
        response = self._send(f"{self.base_url}/contracts/{wanted.contract_id}/signed-files", api=True)
        if response.status_code == 404:
            raise FileGone("its contract is no longer in Tomorro (HTTP 404)")
        if response.status_code != 200:
            raise FileFailed(f"listing its contract's signed files for a fresh URL answered HTTP "
                             f"{response.status_code}")
        try:
            files = response.json()
        except ValueError:
            raise FileFailed("listing its contract's signed files answered something that is not JSON") from None
        if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
            raise FileFailed("listing its contract's signed files answered "
                             f"{type(files).__name__}, not the documented array of files")
        match = next((f for f in files if f.get("id") == wanted.id), None)
        if match is None:
            raise FileGone("its contract no longer lists it among its signed files")
        url = match.get("downloadUrl")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise FileFailed("its contract lists it without an http(s) downloadUrl")
        return url, parse_instant(match.get("expiresAt"))

    def _download(self, wanted: Wanted, url: str) -> tuple[int, Saved | None]:
        """(status, Saved) once written; (401/403/404, None) when the URL is refused or gone."""
        final = self.root / wanted.relative
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}")
        response = self._send(url, api=False, stream=True)
        with response:
            if response.status_code in (401, 403, 404):
                return response.status_code, None
            if response.status_code != 200:
                raise FileFailed(f"its download answered HTTP {response.status_code}")
            try:
                saved = self._write(response, temp)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
        os.replace(temp, final)
        fsync_dir(final.parent)
        return 200, saved

    def _write(self, response: Any, temp: Path) -> Saved:
        import requests

        digest, size, first, tail = hashlib.sha256(), 0, b"", b""
        expected = response.headers.get("Content-Length")
        encoded = response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
        length_known = expected is not None and expected.isdigit() and not encoded
        try:
            with open(temp, "wb") as out:
                for chunk in response.iter_content(CHUNK):
                    if len(first) < len(PDF_MAGIC):
                        first += chunk[: len(PDF_MAGIC)]
                    tail = (tail + chunk)[-PDF_END_WITHIN:]
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    self.progress(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        except requests.RequestException as err:
            raise _CutShort(f"its download was cut short ({_quiet(err)})") from None
        except OSError as err:
            raise FileFailed(f"writing {temp.parent} failed: {err.strerror or err}") from None
        if length_known and int(expected) != size:
            raise _CutShort(f"its download ended after {size:,} of {int(expected):,} bytes")
        if not first.startswith(PDF_MAGIC):
            raise FileFailed(f"its download is not a PDF (it starts with {first[:8]!r}, not %PDF-)")
        if not length_known and PDF_END not in tail:
            raise _CutShort(f"its download ended after {size:,} bytes without the PDF's %%EOF mark, and with no "
                            "Content-Length to check its length against")
        return Saved(digest.hexdigest(), size)

    def _send(self, url: str, *, api: bool, stream: bool = False) -> Any:
        """One GET, tried again on 429 (after Retry-After), 5xx and lost connections."""
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        headers = {"x-api-key": self.api_key, "tomorro-version": API_VERSION} if api else {}
        problem, wait = "", 0.0
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(wait or self._pause(attempt))
            self.budget.acquire()
            try:
                response = session.get(url, headers=headers, stream=stream, timeout=(10, 300))
            except requests.RequestException as err:
                problem, wait = _quiet(err), 0.0
                continue
            if response.status_code != 429 and response.status_code < 500:
                return response
            retry_after = response.headers.get("Retry-After", "")
            problem = f"HTTP {response.status_code}"
            wait = min(float(retry_after), 60.0) if retry_after.isdigit() else 0.0
            response.close()
        raise FileFailed(f"no answer after {self.max_retries + 1} tries (last: {problem})")

    def _pause(self, attempt: int) -> float:
        return min(self.backoff * 2 ** (attempt - 1), 30.0)


class _CutShort(Exception):
    """A body shorter than its Content-Length, or a connection lost mid-body: downloaded again."""


def parse_instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # unreadable: treated as unknown, so the URL is tried and a 403 refreshes it
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _quiet(err: BaseException) -> str:
    """An HTTP library's error without the URL it quotes (a pre-signed URL is a credential)."""
    return _URL.sub("<url>", re.sub(r"with url: \S+", "with url: <url>", str(err))) or type(err).__name__


def fsync_dir(path: Path) -> None:
    """Make a file's creation, rename or removal in `path` durable (the directory's own entry)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
