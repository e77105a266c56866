"""Signed files: distinct, deterministic PDF bytes with Content-Length; 403 once expired; signing and
re-signing at run time; the fault injection on downloads."""

import hashlib

import pytest
import requests
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.signed_pdfs import PdfBody
from tomorro_sandbox.testing import Api


@pytest.fixture
def fresh():
    with SandboxServer(seed=5, contracts=80) as sb:
        yield sb


def _files(api, cid):
    r = api.get(f"/contracts/{cid}/signed-files")
    assert r.status_code == 200
    return r.json()


def _signed(sb):
    return [c for c in sb.records("contracts") if c["status"] == "signed"]


def test_each_signed_file_serves_its_own_valid_pdf_naming_its_contract_with_content_length(api, sb):
    digests = sb.file_digests()
    seen = set()
    for c in _signed(sb)[:5]:
        for f in _files(api, c["id"]):
            r = requests.get(f["downloadUrl"], timeout=10)
            assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
            assert int(r.headers["Content-Length"]) == len(r.content) == digests[f["id"]]["size"]
            assert r.content.startswith(b"%PDF-1.4") and r.content.rstrip().endswith(b"%%EOF")
            assert c["id"].encode() in r.content and f["id"].encode() in r.content
            assert hashlib.sha256(r.content).hexdigest() == digests[f["id"]]["sha256"]
            seen.add(r.content)
    assert len(seen) >= 5  # distinct bytes per file


def test_pdf_xref_offsets_point_at_their_objects():
    data = PdfBody("k", "Signed contract (x)", 10_000).read_all()
    assert len(data) == 10_000
    xref = data[data.rindex(b"startxref") + 10:].split()[0]
    table = data[int(xref):].split(b"\n")
    offsets = [int(line.split()[0]) for line in table[3:9]]
    for number, offset in enumerate(offsets, 1):
        assert data[offset:].startswith(b"%d 0 obj" % number)


def test_same_seed_same_bytes_other_seed_other_bytes():
    with SandboxServer(seed=9, contracts=40) as a, SandboxServer(seed=9, contracts=40) as b, \
            SandboxServer(seed=10, contracts=40) as c:
        assert a.file_digests() == b.file_digests()
        assert {d["sha256"] for d in a.file_digests().values()}.isdisjoint(
            d["sha256"] for d in c.file_digests().values())


def test_an_expired_url_answers_403_and_a_fresh_one_from_the_api_works(fresh):
    api = Api(fresh)
    cid = _signed(fresh)[0]["id"]
    url = _files(api, cid)[0]["downloadUrl"]
    fresh.set_clock(16 * 60)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403 and b"Request has expired" in r.content
    assert requests.get(_files(api, cid)[0]["downloadUrl"], timeout=10).status_code == 200


def test_signing_adds_a_file_and_resigning_changes_bytes_not_ids(fresh):
    api = Api(fresh)
    before = fresh.file_digests()
    draft = next(c for c in fresh.records("contracts") if c["status"] != "signed")
    signed = _signed(fresh)[0]
    out = fresh.sign([draft["id"], signed["id"]])
    assert out["signed"] == [draft["id"]] and out["resigned"] == [signed["id"]]
    after = fresh.file_digests()
    new = set(after) - set(before)
    assert len(new) == 1 and after[new.pop()]["contractId"] == draft["id"]
    old_ids = [f["id"] for f in _files(api, signed["id"])]
    assert all(after[i]["sha256"] != before[i]["sha256"] and after[i]["revision"] == 1 for i in old_ids)
    contract = api.get(f"/contracts/{signed['id']}").json()
    assert contract["signatureDate"] == contract["updatedAt"] == out["updatedAt"]
    url = _files(api, draft["id"])[0]["downloadUrl"]
    assert hashlib.sha256(requests.get(url, timeout=10).content).hexdigest() == \
        after[_files(api, draft["id"])[0]["id"]]["sha256"]


def test_sign_refuses_unknown_contracts(fresh):
    with pytest.raises(RuntimeError, match="not found: nope"):
        fresh.sign(["nope"])


def test_a_deleted_contracts_file_is_gone(fresh):
    api = Api(fresh)
    cid = _signed(fresh)[0]["id"]
    url = _files(api, cid)[0]["downloadUrl"]
    fresh.delete(contracts=[cid])
    assert requests.get(url, timeout=10).status_code == 404


def test_a_removed_file_leaves_its_contracts_list_and_its_url_with_or_without_moving_updated_at(fresh):
    api = Api(fresh)
    first, second = (c["id"] for c in _signed(fresh)[:2])
    [kept_before] = [c["updatedAt"] for c in fresh.records("contracts") if c["id"] == second]
    gone, url = _files(api, first)[0]["id"], _files(api, first)[0]["downloadUrl"]
    out = fresh.remove_signed_files([gone])
    assert out["contracts"] == [first] and gone not in {f["id"] for f in _files(api, first)}
    assert api.get(f"/contracts/{first}").json()["updatedAt"] == out["updatedAt"]
    assert requests.get(url, timeout=10).status_code == 404 and gone not in fresh.file_digests()
    quiet = _files(api, second)[0]["id"]
    assert fresh.remove_signed_files([quiet], touch=False)["updatedAt"] is None
    assert api.get(f"/contracts/{second}").json()["updatedAt"] == kept_before
    assert quiet not in {f["id"] for f in _files(api, second)}
    with pytest.raises(RuntimeError, match="not found: nope"):
        fresh.remove_signed_files(["nope"])
    with pytest.raises(RuntimeError, match="touch true or false"):
        fresh._admin("POST", "/remove-signed-files", {"files": [], "touch": "yes"})


def test_large_files_have_the_asked_size():
    with SandboxServer(seed=1, contracts=20, signed_file_bytes=3_000_000) as sb:
        sizes = {d["size"] for d in sb.file_digests().values()}
    assert sizes == {3_000_000}


@pytest.mark.faults
def test_downloads_meet_the_faults_a_cut_body_keeps_its_content_length(fresh):
    api = Api(fresh)
    url = _files(api, _signed(fresh)[0]["id"])[0]["downloadUrl"]
    fresh.set_faults(malformed_rate=1.0)
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        requests.get(url, timeout=10)
    fresh.set_faults(malformed_rate=0, error_rate=1.0)
    assert requests.get(url, timeout=10).status_code in (500, 502, 503)
    fresh.set_faults(error_rate=0, reset_rate=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=10)
    fresh.set_faults(reset_rate=0, rate_limit="1/60")
    assert requests.get(url, timeout=10).status_code == 200
    assert requests.get(url, timeout=10).status_code == 429
    # the downloads' window is not the API key's
    assert api.get("/members").status_code == 200
    stats = {(r["path"], r["status"]) for r in fresh.stats()["requests"]}
    assert ("/storage/signed-files/{id}", 429) in stats and ("/storage/signed-files/{id}", 0) in stats
