"""The sandbox's data behind one lock, and the clock that stamps writes.

Writable collections (contracts, counterparties, members) are `Collection`s that handlers and
write rules use directly; the seed's read-only reference data (contract types, templates, smart
fields and options, clauses, custom objects, signed files, contract clauses) is reached through
the methods below, so nothing outside this module depends on how the seed lays it out.
"""

import random
import threading
import time

from .collection import Collection
from .formats import iso
from .seed import SeedData, SeedOptions, generate
from .signed_pdfs import SignedFiles


class Clock:
    """The server clock; `offset` skews it (POST /_sandbox/clock) for stamping and Date headers."""

    def __init__(self):
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def now_iso(self) -> str:
        return iso(self.now())


class Store:
    def __init__(self, opts: SeedOptions, default_orders: dict | None = None, clock: Clock | None = None):
        """`default_orders`: collection name -> sort order whose index is built at every (re)load,
        so the first page of a default list is not the slow one."""
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.default_orders = default_orders or {}
        self.contract_listener = None  # (old, new) on every contract write (webhooks.py), kept across reloads
        self.load(opts)

    def load(self, opts: SeedOptions) -> None:
        d: SeedData = generate(opts)
        with self.lock:
            self.opts = opts
            self._seed = d
            # ids of records created at runtime: the same requests after a (re)seed give the same ids
            self.id_rng = random.Random(f"{opts.seed}-runtime")
            self.members = Collection(d.members)
            self.counterparties = Collection(d.counterparties)
            self.contracts = Collection(d.contracts)
            self.contracts.on_change = self._contract_changed
            self.contract_types = Collection(d.contract_types)  # read-only
            self.custom_records: dict = {}  # (custom object id, contract id) -> [record]
            self.external_ids: dict = {}  # (integration type, externalId) -> contract id (dedup mode)
            self.files = SignedFiles(d.signed_files, opts.seed, opts.signed_file_bytes)  # signed at run time too
            self._field_views: dict = {}  # lang -> Collection of smart fields named in that language
            self._option_lists: dict = {}  # smart field id -> Collection of its options
            for name, order in self.default_orders.items():
                getattr(self, name).index(order)
            for c in d.contracts.values():
                if c["integration"]:
                    self.external_ids[(c["integration"]["type"], c["integration"]["externalId"])] = c["id"]

    def _contract_changed(self, old, new) -> None:
        if self.contract_listener is not None:
            self.contract_listener(old, new)

    def counts(self) -> dict:
        return {"contracts": len(self.contracts), "counterparties": len(self.counterparties),
                "members": len(self.members), "smart-fields": len(self._seed.smart_fields)}

    # --- contract types and templates ---

    def contract_type(self, ctid: str) -> dict | None:
        return self.contract_types.get(ctid)

    def template(self, tid: str):
        """-> (contract type, template), or (None, None) for an unknown template id."""
        ctid = self._seed.template_type.get(tid)
        if ctid is None:
            return None, None
        ct = self._seed.contract_types[ctid]
        return ct, next(t for t in ct["templates"] if t["id"] == tid)

    def template_ids(self) -> list:
        return sorted(self._seed.template_type)

    # --- smart fields and options ---

    def field(self, fid: str, obj: str | None = None) -> dict | None:
        """The stored smart field `{id, type, object, base, names}`; None if unknown or of another object."""
        f = self._seed.smart_fields.get(fid)
        if f is None or (obj is not None and f["object"] != obj):
            return None
        return f

    def fields(self) -> list:
        return list(self._seed.smart_fields.values())

    def fields_in(self, lang: str) -> Collection:
        """Every smart field as `{id, name (in lang), type, object}`, the list route's view."""
        view = self._field_views.get(lang)
        if view is None:
            view = self._field_views[lang] = Collection(
                {f["id"]: {"id": f["id"], "name": f["names"][lang], "type": f["type"], "object": f["object"]}
                 for f in self._seed.smart_fields.values()})
        return view

    def options(self, fid: str) -> list | None:
        """The options of a select / multiselect field (None for other fields)."""
        return self._seed.options.get(fid)

    def options_list(self, fid: str) -> Collection:
        coll = self._option_lists.get(fid)
        if coll is None:
            coll = self._option_lists[fid] = Collection({o["id"]: o for o in self._seed.options[fid]})
        return coll

    def options_by_field(self) -> dict:
        return dict(self._seed.options)

    # --- reference changes (edits.py): callers hold the lock ---

    def drop_options(self, fid: str) -> None:
        self._seed.options.pop(fid, None)

    def remove_reference(self, kind: str, rid: str) -> bool:
        """Remove one smart field, option or clause; False when there was none of that id."""
        if kind == "fields":
            self.drop_options(rid)
            return self._seed.smart_fields.pop(rid, None) is not None
        if kind == "options":
            for fid, opts in self._seed.options.items():
                kept = [o for o in opts if o["id"] != rid]
                if len(kept) < len(opts):
                    self._seed.options[fid] = kept
                    return True
            return False
        kept = [c for c in self._seed.clauses if c["id"] != rid]
        removed = len(kept) < len(self._seed.clauses)
        self._seed.clauses = kept
        return removed

    def reference_changed(self) -> None:
        """Forget the list views built from the reference data (they are rebuilt on the next request)."""
        self._field_views.clear()
        self._option_lists.clear()

    # --- clauses, files, custom objects ---

    def clauses(self) -> list:
        return list(self._seed.clauses)

    def contract_clauses(self, cid: str) -> list:
        return self._seed.contract_clauses.get(cid, [])

    def all_contract_clauses(self) -> list:
        return [c for cid, cs in self._seed.contract_clauses.items() if cid in self.contracts.records for c in cs]

    def signed_files(self, cid: str) -> list:
        """`[{id, filename, contentType}]` of a contract (empty unless signed); URLs are minted per call."""
        return self.files.of(cid)

    def all_signed_files(self) -> list:
        return [{**f, "contractId": cid} for cid, files in self.files.by_contract.items()
                if cid in self.contracts.records for f in files]

    def custom_object(self, coid: str) -> dict | None:
        return self._seed.custom_objects.get(coid)

    def custom_objects(self) -> list:
        return list(self._seed.custom_objects.values())
