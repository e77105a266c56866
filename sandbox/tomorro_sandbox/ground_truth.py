"""GET /_sandbox/records/{collection}: every record of a collection, in API shape, for tests."""


def _smart_fields(st):
    return [{"id": f["id"], "name": f["names"]["gb"], "type": f["type"], "object": f["object"]} for f in st.fields()]


def _options(st):
    return [{**o, "smartFieldId": fid} for fid, opts in st.options_by_field().items() for o in opts]


def _custom_records(st):
    return [{**r, "customObjectId": coid, "contractId": cid}
            for (coid, cid), recs in st.custom_records.items() for r in recs]


COLLECTIONS = {
    "contracts": lambda st: list(st.contracts.records.values()),
    "counterparties": lambda st: list(st.counterparties.records.values()),
    "members": lambda st: list(st.members.records.values()),
    "smart-fields": _smart_fields,
    "options": _options,
    "contract-types": lambda st: list(st.contract_types.records.values()),
    "clauses": lambda st: st.clauses(),
    "signed-files": lambda st: st.all_signed_files(),
    "contract-clauses": lambda st: st.all_contract_clauses(),
    "custom-objects": lambda st: st.custom_objects(),
    "custom-records": _custom_records,
}
