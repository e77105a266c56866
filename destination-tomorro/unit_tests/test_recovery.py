"""recovery.py: a create whose answer was lost is looked up before it is repeated."""


from destination_tomorro import DestinationTomorro


def test_ambiguous_create_that_landed_is_not_repeated(sb, config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"), ("counterparties", "append_dedup"))
    sb.script("POST", "/v2/counterparties", "reset-after")  # created, the answer lost
    out, error = w.run({**config, "max_concurrency": 1}, catalog,
                     [ab.record("counterparties", {"name": "Solo"}), ab.state()])
    assert error is None and len(sb.records("counterparties")) == 1
    [solo] = sb.records("counterparties")
    sb.script("POST", "/v2/contracts", "reset-after", "reset")  # X-1 lands unanswered, X-2 does not land
    out, error = w.run({**config, "max_concurrency": 1}, catalog,
                     [ab.record("contracts", {"external_id": "X-1", "counterparty_id": solo["id"]}),
                      ab.record("contracts", {"external_id": "X-2", "counterparty_id": solo["id"]})])
    assert error is None
    assert sorted(c["integration"]["externalId"] for c in sb.records("contracts")) == ["X-1", "X-2"]



def test_409_on_create_resolves_to_the_existing_contract(sb, new_contract, config, ab, w):
    sb.set_api_profiles(["dedup-external-id"])
    catalog = ab.catalog(("contracts", "append_dedup"))
    messages = [ab.record("contracts", w.deals(1)[0]), ab.state(value=1), ab.record("contracts", w.deals(2)[1])]

    def inject():
        for i, message in enumerate(messages):
            if i == 2:  # someone else created D-1 after our index was built
                cp = sb.records("counterparties")[0]
                new_contract(cp["id"], {"type": "hubspot", "externalId": "D-1", "externalEntity": "deal"}, name="x")
            yield message

    out = list(DestinationTomorro().write(config, catalog, inject()))
    assert sorted(c["integration"]["externalId"] for c in sb.records("contracts")) == ["D-0", "D-1"]
    assert [r["status"] for r in sb.requests("POST", "/v2/contracts")] == [201, 201, 409]  # D-0, theirs, ours
    assert len(w.states(out)) == 1


def keyless(value, name="Same name"):
    return {"name": name, "counterparty_id": "CP", "contract_value": value}


def test_a_keyless_row_never_takes_a_sibling_rows_contract(sb, api, config, ab, w):
    cp = api.post("/counterparties", {"name": "Sib Co"}).json()
    rows = [{**keyless(v), "counterparty_id": cp["id"]} for v in (1, 1, 2)]
    sb.script("POST", "/v2/contracts", "pass", 500, 500)  # the 2nd and 3rd creates fail without landing
    out, error = w.run({**config, "max_concurrency": 1}, ab.catalog(("contracts", "append")),
                       [ab.record("contracts", r) for r in rows])
    assert error is None, error
    values = sorted(c["fields"][0]["value"] for c in sb.records("contracts"))
    assert values == [1, 1, 2]  # the identical sibling's and the other sibling's contracts were not taken
    assert w.report(out).streams["contracts"].created == 3


def test_a_keyless_row_takes_its_own_lost_create_once(sb, api, config, ab, w):
    cp = api.post("/counterparties", {"name": "Sib Co"}).json()
    rows = [{**keyless(7), "counterparty_id": cp["id"]}] * 2
    sb.script("POST", "/v2/contracts", "reset-after", "reset-after")
    out, error = w.run({**config, "max_concurrency": 1}, ab.catalog(("contracts", "append")),
                       [ab.record("contracts", r) for r in rows])
    assert error is None and len(sb.records("contracts")) == 2
    assert w.report(out).streams["contracts"].created == 2


def test_a_contract_made_by_someone_else_with_other_content_is_not_taken(sb, api, ref, new_contract, config, ab, w):
    cp = api.post("/counterparties", {"name": "Sib Co"}).json()
    new_contract(cp["id"], name="Same name", fields={ref.field["Contract value"]: 99})  # theirs, just now
    sb.script("POST", "/v2/contracts", 500)
    _, error = w.run(config, ab.catalog(("contracts", "append")),
                     [ab.record("contracts", {**keyless(5), "counterparty_id": cp["id"]})])
    assert error is None
    assert sorted(c["fields"][0]["value"] for c in sb.records("contracts")) == [5, 99]


def test_a_look_up_that_fails_rejects_the_row_instead_of_creating_again(client):
    import pytest
    from destination_tomorro.errors import AmbiguousWriteError, RowRejected, TomorroTransientError
    from destination_tomorro.recovery import create_once

    creates = []

    def create():
        creates.append(1)
        raise AmbiguousWriteError("POST /contracts: ConnectionError (the request may have been applied)")

    def look_up(since):
        raise TomorroTransientError("GET /contracts: HTTP 503 after 3 attempts")

    with pytest.raises(RowRejected, match="may have landed .* looking it up failed .* never created twice"):
        create_once(client, create, look_up)
    assert creates == [1]
