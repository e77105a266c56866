"""Signed files: which contract has which PDF, the bytes each one serves, and signing at run time.

Every file serves distinct, deterministic bytes: a one-page PDF naming its contract, file and revision,
padded with an unreferenced stream of bytes drawn from (seed, file id, revision) up to the sandbox's
`signed_file_bytes` (0: a few KB, varying by file). A body is generated chunk by chunk while it is sent,
so a 50 MB file costs the server no memory. Re-signing a contract (POST /_sandbox/sign) bumps the
revision of its files: the same ids, new bytes, a new `signatureDate` [ASSUMED, see assumptions.py].
"""

from __future__ import annotations

import hashlib

from . import assumptions as A
from .errors import BadRequest, NotFound
from .formats import new_id
from .wire import ok

STORAGE_PREFIX = "/storage/signed-files/"  # the path of every downloadUrl (a pre-signed storage URL)
CHUNK = 256 * 1024  # bytes per write of a body; also the period of the padding pattern
_PAD_MIN, _PAD_SPREAD = 2048, 4096  # the natural size: 2-6 KB of padding, drawn from the file id


class PdfBody:
    """The bytes of one file revision, produced on demand: `len()`, `chunks()`, `read_all()`."""

    def __init__(self, key: str, text: str, size: int = 0):
        self._pattern = hashlib.shake_256(key.encode()).digest(CHUNK)
        pad = size if size else _PAD_MIN + int.from_bytes(self._pattern[:4], "big") % _PAD_SPREAD
        self._head, self._pad, self._tail = _layout(text, pad, size)

    def __len__(self) -> int:
        return len(self._head) + self._pad + len(self._tail)

    def chunks(self):
        yield self._head
        left = self._pad
        while left > 0:
            n = min(left, CHUNK)
            yield self._pattern[:n]
            left -= n
        yield self._tail

    def read_all(self) -> bytes:
        return b"".join(self.chunks())

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()


def _pdf_text(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("latin-1", "replace")


def _layout(text: str, pad: int, size: int) -> tuple[bytes, int, bytes]:
    """(bytes before the padding, padding length, bytes after it) of a valid PDF 1.4 file; with `size`,
    the padding is chosen so that the whole file is `size` bytes (or its smallest form if larger)."""
    content = b"BT /F1 11 Tf 56 780 Td (" + _pdf_text(text) + b") Tj ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>\nstream\n" % len(content) + content + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    for _ in range(3):  # the padding's length and the xref offset are written in the file: settle them
        head = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, 1):
            offsets.append(len(head))
            head += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        offsets.append(len(head))
        head += b"6 0 obj\n<</Length %d>>\nstream\n" % pad
        after = b"\nendstream\nendobj\n"
        xref_at = len(head) + pad + len(after)
        xref = b"xref\n0 7\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
        tail = after + xref + b"trailer\n<</Size 7/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref_at
        if not size or len(head) + pad + len(tail) == size:
            break
        pad = max(0, size - len(head) - len(tail))
    return bytes(head), pad, tail


class SignedFiles:
    """Contract id -> its signed files `[{id, filename, contentType}]`, with each file's revision."""

    def __init__(self, seeded: dict, seed: int, size: int = 0):
        self.seed, self.size = seed, size
        self.by_contract = {cid: [dict(f) for f in files] for cid, files in seeded.items()}
        self.revision = {f["id"]: 0 for files in self.by_contract.values() for f in files}
        self.contract_of = {f["id"]: cid for cid, files in self.by_contract.items() for f in files}

    def of(self, cid: str) -> list:
        return self.by_contract.get(cid, [])

    def add(self, cid: str, fid: str, filename: str) -> dict:
        f = {"id": fid, "filename": filename, "contentType": "application/pdf"}
        self.by_contract.setdefault(cid, []).append(f)
        self.revision[fid], self.contract_of[fid] = 0, cid
        return f

    def remove(self, fid: str) -> str | None:
        """The file taken off its contract; -> that contract's id (None: no such file)."""
        cid = self.contract_of.pop(fid, None)
        if cid is not None:
            self.by_contract[cid] = [f for f in self.by_contract[cid] if f["id"] != fid]
            self.revision.pop(fid, None)
        return cid

    def resign(self, cid: str) -> list:
        """A new revision of each of the contract's files; -> their ids."""
        for f in self.of(cid):
            self.revision[f["id"]] += 1
        return [f["id"] for f in self.of(cid)]

    def body(self, fid: str) -> PdfBody | None:
        cid = self.contract_of.get(fid)
        if cid is None:
            return None
        f = next(f for f in self.by_contract[cid] if f["id"] == fid)
        rev = self.revision[fid]
        text = f"Signed contract {cid} - {f['filename']} - file {fid} - revision {rev}"
        return PdfBody(f"{self.seed}/{fid}/{rev}", text, self.size)


def sign(store, cids: list) -> dict:
    """Sign each contract now: an unsigned one becomes `signed` with a new file, a signed one is re-signed
    (its files' next revision), a canceled one is left alone. Both get `signatureDate` and `updatedAt` = now. Call under the store lock."""
    now = store.clock.now_iso()
    out = {"signed": [], "resigned": [], "files": [], "updatedAt": now}
    for cid in cids:
        c = store.contracts.get(cid)
        if c is None or c["status"] == "canceled":  # final: never signed afterwards
            continue
        if c["status"] == "signed" and A.RESIGN_KEEPS_FILE_IDS:
            out["resigned"].append(cid)
            out["files"] += store.files.resign(cid)
        else:
            name = (c.get("template") or {}).get("name") or c["name"]
            out["signed"].append(cid)
            out["files"].append(store.files.add(cid, new_id(store.id_rng), f"{name} - signed.pdf")["id"])
        store.contracts.put({**c, "status": "signed", "signatureDate": now, "updatedAt": now})
    return out


def remove_route(app, req):
    """POST /_sandbox/remove-signed-files `{"files": [ids], "touch": true}` (routed by admin.py): the files taken off
    their contracts (a document removed in Tomorro's app; the API cannot), so tests can hold contracts that lose a
    file or all of them. `touch`: each contract's `updatedAt` moves to now, as an edit would; false: it stays
    (nothing documents which Tomorro does)."""
    body = req.json() if req.raw_body else {}
    ids, touch = (body.get("files"), body.get("touch", True)) if isinstance(body, dict) else (None, None)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not isinstance(touch, bool):
        raise BadRequest("files must be an array of signed file ids, touch true or false")
    store = app.store
    with store.lock:
        unknown = [i for i in ids if i not in store.files.contract_of]
        if unknown:
            raise NotFound(f"signed files not found: {', '.join(unknown)}")
        contracts, now = sorted({store.files.remove(fid) for fid in ids}), store.clock.now_iso()
        for cid in contracts if touch else ():
            if (c := store.contracts.get(cid)) is not None:
                store.contracts.put({**c, "updatedAt": now})
    return ok({"removed": ids, "contracts": contracts, "updatedAt": now if touch else None})


def expired(expires_ms: int, now: float) -> bool:
    return expires_ms < now * 1000


EXPIRED_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                b"<Message>Request has expired</Message></Error>")
