"""indexes.py: the objects already in Tomorro by matching key, read once per sync."""




def test_match_on_smart_field_lists_once(fake, config, ab, w):
    catalog = ab.catalog(("accounts", "append_dedup", "counterparty"))
    fake._new_cp({"name": "Old name", "attributes": [{"attributeDefinitionId": "cf-siren", "value": "111"}]})
    out, error = w.run({**config, "counterparty_match_field": "SIREN"}, catalog,
                     [ab.record("accounts", {"name": "New name", "siren": "111"}),
                      ab.record("accounts", {"name": "Other", "siren": "222"})])
    assert error is None and "created 1, updated 1" in w.logs(out)
    assert fake.calls("GET", "/counterparties") == 1
