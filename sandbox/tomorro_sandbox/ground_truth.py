"""GET /_sandbox/records/{collection}: every record of a collection, in API shape, for tests."""


def _smart_fields(st):
    return [{"id": f["id"], "name": f["names"]["gb"], "type": f["type"], "object": f["object"]}
            for f in st.d.smart_fields.values()]


def _options(st):
    return [{**o, "smartFieldId": fid} for fid, opts in st.d.options.items() for o in opts]


def _signed_files(st):
    return [{**f, "contractId": cid} for cid, files in st.d.signed_files.items()
            if cid in st.contracts.records for f in files]


def _contract_clauses(st):
    return [c for cid, cs in st.d.contract_clauses.items() if cid in st.contracts.records for c in cs]


def _custom_records(st):
    return [{**r, "customObjectId": coid, "contractId": cid}
            for (coid, cid), recs in st.custom_records.items() for r in recs]


COLLECTIONS = {
    "contracts": lambda st: list(st.contracts.records.values()),
    "counterparties": lambda st: list(st.counterparties.records.values()),
    "members": lambda st: list(st.members.records.values()),
    "smart-fields": _smart_fields,
    "options": _options,
    "contract-types": lambda st: list(st.d.contract_types.values()),
    "clauses": lambda st: list(st.d.clauses),
    "signed-files": _signed_files,
    "contract-clauses": _contract_clauses,
    "custom-objects": lambda st: list(st.d.custom_objects.values()),
    "custom-records": _custom_records,
}
