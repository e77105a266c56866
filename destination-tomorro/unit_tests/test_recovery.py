"""recovery.py: a create whose answer was lost is looked up before it is repeated."""


from destination_tomorro import DestinationTomorro


def test_ambiguous_create_that_landed_is_not_repeated(fake, config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"), ("counterparties", "append_dedup"))
    fake.fail_next = ["landed-exc"]
    out, error = w.run({**config, "max_concurrency": 1}, catalog,
                     [ab.record("counterparties", {"name": "Solo"}), ab.state()])
    assert error is None and len(fake.counterparties) == 1
    fake.fail_next = ["landed-exc", "exc"]
    out, error = w.run({**config, "max_concurrency": 1}, catalog,
                     [ab.record("contracts", {"external_id": "X-1", "counterparty_id": next(iter(fake.counterparties))}),
                      ab.record("contracts", {"external_id": "X-2", "counterparty_id": next(iter(fake.counterparties))})])
    assert error is None
    assert sorted(c["integration"]["externalId"] for c in fake.contracts.values()) == ["X-1", "X-2"]



def test_409_on_create_resolves_to_the_existing_contract(fake, config, ab, w):
    fake.dedup = True
    catalog = ab.catalog(("contracts", "append_dedup"))
    messages = [ab.record("contracts", w.deals(1)[0]), ab.state(value=1), ab.record("contracts", w.deals(2)[1])]

    def inject():
        for i, message in enumerate(messages):
            if i == 2:  # someone else created D-1 after our index was built
                cp = next(iter(fake.counterparties.values()))
                fake.contracts["other"] = {"id": "other", "name": "x", "status": "draft", "templateId": "tpl-mutual",
                                           "counterparty": {"id": cp["id"], "name": cp["name"]}, "fields": [],
                                           "integration": {"type": "hubspot", "externalId": "D-1"},
                                           "createdAt": "2020-01-01T00:00:00.000Z", "updatedAt": "x"}
            yield message

    out = list(DestinationTomorro().write(config, catalog, inject()))
    assert [c["integration"]["externalId"] for c in fake.contracts.values()] == ["D-0", "D-1"]
    assert len(w.states(out)) == 1
