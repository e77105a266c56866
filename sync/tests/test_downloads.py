"""downloads.Fetcher with a mocked HTTP layer: refresh on 403 or past expiresAt, a body cut short retried and never
kept, a body that is no PDF refused, a file gone reported, URLs never quoted; the request budget."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import requests
from tomorro_sync.downloads import Budget, Fetcher, FileFailed, FileGone, Wanted

BASE = "https://api.example.test/v2"
PDF = b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n"
NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
LISTING = f"{BASE}/contracts/c1/signed-files"


def _fetcher(root, **kw):
    return Fetcher(base_url=BASE, api_key="k-secret-123", root=root, budget=Budget(None), backoff=0.0,
                   now=lambda: NOW, **kw)


def _wanted(url="https://files.test/f1?sig=SECRET", expires=NOW + dt.timedelta(minutes=10)):
    return Wanted("f1", "c1", url, expires, "c1/f1.pdf")


def _fresh(url="https://files.test/f1?sig=FRESH"):
    return [{"id": "f1", "filename": "x.pdf", "downloadUrl": url,
             "expiresAt": (NOW + dt.timedelta(minutes=15)).isoformat()}]


def test_a_download_is_written_hashed_and_named_only_when_complete(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1", content=PDF)
    saved = _fetcher(tmp_path).fetch(_wanted())
    assert saved.sha256 == hashlib.sha256(PDF).hexdigest() and saved.size == len(PDF)
    assert (tmp_path / "c1" / "f1.pdf").read_bytes() == PDF and not list(tmp_path.glob("c1/.*"))
    assert "x-api-key" not in requests_mock.last_request.headers  # the key never goes to the storage host


def test_a_403_fetches_a_fresh_url_from_the_api(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1?sig=SECRET", status_code=403, complete_qs=True)
    requests_mock.get("https://files.test/f1?sig=FRESH", content=PDF, complete_qs=True)
    requests_mock.get(LISTING, json=_fresh())
    assert _fetcher(tmp_path).fetch(_wanted()).size == len(PDF)
    listing = next(r for r in requests_mock.request_history if r.url.startswith(LISTING))
    assert listing.headers["x-api-key"] == "k-secret-123" and listing.headers["tomorro-version"]


def test_a_url_past_its_expires_at_is_not_even_tried(tmp_path, requests_mock):
    stale = requests_mock.get("https://files.test/f1?sig=SECRET", content=PDF, complete_qs=True)
    requests_mock.get("https://files.test/f1?sig=FRESH", content=PDF, complete_qs=True)
    requests_mock.get(LISTING, json=_fresh())
    _fetcher(tmp_path).fetch(_wanted(expires=NOW - dt.timedelta(seconds=1)))
    assert stale.call_count == 0


def test_refused_even_when_fresh_fails_the_file_without_quoting_a_url(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1", status_code=403)
    requests_mock.get(LISTING, json=_fresh())
    with pytest.raises(FileFailed, match="refused \\(HTTP 403\\) even when fresh") as err:
        _fetcher(tmp_path).fetch(_wanted())
    assert "SECRET" not in str(err.value) and "FRESH" not in str(err.value)
    assert not (tmp_path / "c1" / "f1.pdf").exists()


@pytest.mark.parametrize("listing,reason", [({"status_code": 404}, "no longer in Tomorro"),
                                            ({"json": []}, "no longer lists it")])
def test_a_file_or_contract_gone_is_reported_as_gone(tmp_path, requests_mock, listing, reason):
    requests_mock.get("https://files.test/f1", status_code=403)
    requests_mock.get(LISTING, **listing)
    with pytest.raises(FileGone, match=reason):
        _fetcher(tmp_path).fetch(_wanted())


def test_a_body_shorter_than_its_content_length_is_downloaded_again_never_kept(tmp_path, requests_mock):
    short = {"content": PDF[:100], "headers": {"Content-Length": str(len(PDF))}}
    requests_mock.get("https://files.test/f1", [short, {"content": PDF}])
    assert _fetcher(tmp_path).fetch(_wanted()).size == len(PDF)
    assert (tmp_path / "c1" / "f1.pdf").read_bytes() == PDF


def test_a_body_always_cut_short_fails_after_the_retries_and_leaves_nothing(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1", content=PDF[:100], headers={"Content-Length": str(len(PDF))})
    with pytest.raises(FileFailed, match="ended after 100 of"):
        _fetcher(tmp_path, max_retries=2).fetch(_wanted())
    assert not list(tmp_path.rglob("*.pdf*"))  # neither a final nor a temporary file


def test_without_a_length_to_check_a_body_lacking_the_pdf_end_mark_is_cut_short_and_retried(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1", [{"content": PDF[:100]}, {"content": PDF}])  # no Content-Length
    assert _fetcher(tmp_path).fetch(_wanted()).size == len(PDF)
    requests_mock.get("https://files.test/f1", content=PDF[:100])
    with pytest.raises(FileFailed, match="without the PDF's %%EOF mark"):
        _fetcher(tmp_path, max_retries=1).fetch(_wanted())
    assert not list(tmp_path.rglob(".*.part"))


def test_a_compressed_transfer_is_checked_by_its_end_mark_not_its_encoded_length(tmp_path, requests_mock):
    import gzip

    # Content-Length counts the encoded bytes; the body read is the decoded PDF
    encoded = gzip.compress(PDF)
    requests_mock.get("https://files.test/f1", content=encoded,
                      headers={"Content-Encoding": "gzip", "Content-Length": str(len(encoded))})
    saved = _fetcher(tmp_path).fetch(_wanted())
    assert saved.size == len(PDF) and saved.sha256 == hashlib.sha256(PDF).hexdigest()


def test_a_connection_lost_mid_body_is_retried(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1", [{"exc": requests.exceptions.ChunkedEncodingError(
        "Connection broken with url: https://files.test/f1?sig=SECRET")}, {"content": PDF}])
    assert _fetcher(tmp_path).fetch(_wanted()).size == len(PDF)


def test_an_answer_that_is_no_pdf_is_refused_not_written(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1", content=b"<html>proxy login</html>")
    with pytest.raises(FileFailed, match="not a PDF"):
        _fetcher(tmp_path).fetch(_wanted())
    assert not (tmp_path / "c1" / "f1.pdf").exists()


def test_429_and_5xx_are_retried_then_fail_naming_the_last_status(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1", [{"status_code": 503}, {"status_code": 429, "headers": {"Retry-After": "0"}},
                                                {"content": PDF}])
    assert _fetcher(tmp_path).fetch(_wanted()).size == len(PDF)
    requests_mock.get("https://files.test/f1", status_code=502)
    with pytest.raises(FileFailed, match="3 tries \\(last: HTTP 502\\)"):
        _fetcher(tmp_path, max_retries=2).fetch(_wanted())


def test_the_progress_counts_bytes(tmp_path, requests_mock):
    requests_mock.get("https://files.test/f1", content=PDF)
    seen = []
    _fetcher(tmp_path, progress=seen.append).fetch(_wanted())
    assert sum(seen) == len(PDF)


def test_the_budget_spreads_requests_over_its_windows(monkeypatch):
    clock = [0.0]
    sleeps = []
    monkeypatch.setattr("tomorro_sync.downloads.time.sleep", lambda s: (sleeps.append(s), clock.__setitem__(0, clock[0] + s)))
    budget = Budget(120, clock=lambda: clock[0])  # 2 per 1.02 s, 120 a minute
    for _ in range(4):
        budget.acquire()
    assert sleeps and sum(sleeps) == pytest.approx(1.02)
    assert Budget(None).windows == []
