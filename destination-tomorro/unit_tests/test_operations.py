"""operations.py: create, PATCH the diff, or leave; append never updates; dry run writes nothing."""

import pytest


def test_create_then_upsert_then_rerun(sb, ref, config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"))
    out, error = w.run(config, catalog, [ab.record("contracts", r) for r in w.deals(6)] + [ab.state()])
    assert error is None and len(sb.records("contracts")) == 6 and len(sb.records("counterparties")) == 3
    assert "created 6, updated 0, unchanged 0, rejected 0" in w.logs(out)
    changed = w.deals(6)
    changed[0]["contract_value"] = 999
    changed[1]["name"] = "Renamed"
    sb.reset_stats()
    out, error = w.run(config, catalog, [ab.record("contracts", r) for r in changed])
    assert error is None
    assert "created 0, updated 2, unchanged 4" in w.logs(out)
    patches = [r["body"] for r in w.writes(sb)]  # only the differences are sent
    assert sorted(patches, key=str) == sorted([{"fields": [{"fieldId": ref.field["Contract value"], "value": 999}]},
                                               {"name": "Renamed"}], key=str)
    sb.reset_stats()
    out, error = w.run(config, catalog, [ab.record("contracts", r) for r in changed])
    assert "created 0, updated 0, unchanged 6" in w.logs(out) and w.writes(sb) == []
    assert len(sb.records("contracts")) == 6 and len(sb.records("counterparties")) == 3



def test_append_creates_but_never_updates_or_duplicates(sb, config, ab, w):
    catalog = ab.catalog(("contracts", "append"))
    w.run(config, catalog, [ab.record("contracts", r) for r in w.deals(2)])
    out, error = w.run(config, catalog, [ab.record("contracts", {**r, "name": "changed"}) for r in w.deals(3)])
    assert error is None and "created 1, updated 0, unchanged 2" in w.logs(out)
    contracts = sb.records("contracts")
    assert len(contracts) == 3 and {c["name"] for c in contracts} == {"Deal 0", "Deal 1", "changed"}



def test_dry_run_classifies_and_writes_nothing(sb, config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"))
    w.run(config, catalog, [ab.record("contracts", r) for r in w.deals(3)])
    sb.reset_stats()
    rows = w.deals(5)
    rows[0]["contract_value"] = 1
    rows[4]["status"] = "nope"
    out, error = w.run({**config, "dry_run": True}, catalog, [ab.record("contracts", r) for r in rows] + [ab.state()])
    assert w.writes(sb) == []
    assert w.states(out) == [] and w.report(out).states_withheld == 1  # nothing written: no state moves on
    text = w.logs(out)
    assert "DRY RUN" in text and "would be created 1, would be updated 1, unchanged 2, rejected 1" in text
    assert error is not None and "1 of 5 rows were rejected" in error.message



def test_counterparty_by_name_found_case_insensitively_or_created_once(sb, api, config, ab, w):
    catalog = ab.catalog(("contracts", "append_dedup"))
    api.post("/counterparties", {"name": "Existing Corp"})
    sb.reset_stats()
    rows = [{"external_id": f"E-{i}", "counterparty": name} for i, name in
            enumerate(["existing corp", "New One", "NEW ONE", "new one", "Existing Corp"])]
    _, error = w.run({**config, "max_concurrency": 4}, catalog, [ab.record("contracts", r) for r in rows])
    assert error is None
    # one new counterparty, spelt as the first of its rows came (whichever of the 4 workers creates it)
    names = sorted(c["name"] for c in sb.records("counterparties"))
    assert names == ["Existing Corp", "New One"], names
    assert len(sb.requests("POST", "/v2/counterparties")) == 1


@pytest.mark.parametrize("first", ["key", "name"])
def test_rows_naming_one_new_counterparty_by_key_and_by_name_never_make_two(sb, config, ab, w, first, tmp_path):
    """A row naming an account by key (with its name) and rows naming it by name alone, side by side: each
    waits for the others' look-up and create. Whichever runs first decides what the others see: the key's
    counterparty found by name, or a keyless one of that name, which the key row is then rejected over
    (it may be the same account); never a second counterparty of that name."""
    sb.set_faults(latency_ms=150)  # every look-up and create takes long enough for the rows to overlap
    catalog = ab.catalog(("contracts", "append_dedup"))
    by_key = {"external_id": "900", "counterparty": "Racing Co", "counterparty_key": "ACC-RACE"}
    by_name = [{"external_id": f"90{i}", "counterparty": "racing co"} for i in range(1, 4)]
    rows = [by_key, *by_name] if first == "key" else [*by_name, by_key]
    out, error = w.run({**config, "max_concurrency": 4, "counterparty_match_field": "SIREN", "max_rejected_ratio": 1},
                       catalog,
                       [ab.record("contracts", r) for r in rows])
    assert error is None, error
    racing = [c for c in sb.records("counterparties") if c["name"].casefold() == "racing co"]
    assert len(racing) == 1 and len(sb.requests("POST", "/v2/counterparties")) == 1, racing
    on_it = {c["integration"]["externalId"] for c in sb.records("contracts") if c["counterparty"]["id"] == racing[0]["id"]}
    counts = w.report(out).streams["contracts"]
    if on_it == {"900", "901", "902", "903"}:  # the key row created it, the name rows found it
        assert counts.created == 4 and counts.rejected == 0
    else:  # a name row created it without the key: the key row is rejected, naming it
        assert on_it == {"901", "902", "903"} and counts.rejected == 1
        rejected = (tmp_path / "rejected.jsonl").read_text()
        assert racing[0]["id"] in rejected and "holds no SIREN" in rejected, rejected


def test_the_same_key_in_two_batches_updates_even_when_answers_do_not_echo_the_link(sb, config, ab, w):
    sb.set_api_profiles(["no-integration-echo"])
    catalog = ab.catalog(("contracts", "append_dedup"))
    first, second = w.deals(1)[0], {**w.deals(1)[0], "name": "Renamed"}
    out, error = w.run({**config, "batch_size": 1}, catalog,
                       [ab.record("contracts", first), ab.state("contracts", 1), ab.record("contracts", second),
                        ab.record("contracts", {**second, "external_id": " D-0 "})])  # the same key, spelt otherwise
    assert error is None, error
    assert [c["name"] for c in sb.records("contracts")] == ["Renamed"]
    counts = w.report(out).streams["contracts"]
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)


@pytest.mark.parametrize("obj, first, second", [
    ("contract", {"external_id": "D-0", "name": "First", "counterparty": "Co"},
     {"external_id": "D-0", "name": "Second", "counterparty": "Co"}),
    ("counterparty", {"name": "Own Co", "SIREN": "111"}, {"name": "own co", "SIREN": "222"})])
def test_what_this_sync_wrote_is_its_own_a_later_row_updates_it_whatever_its_last_modified_time(
        sb, config, ab, w, obj, first, second):
    """Tomorro's updatedAt of an object this sync created or patched is this sync's own write, not a newer edit:
    a later row of its key is written though its last-modified time is older."""
    old = {"SystemModstamp": "2020-01-01T00:00:00Z"}
    config = {**config, "batch_size": 1,
              "streams": [{"stream": "rows", "object": obj, "row_updated_at_column": "SystemModstamp"}]}
    messages = [ab.record("rows", {**first, **old}), ab.state("rows", 1), ab.record("rows", {**second, **old}),
                ab.state("rows", 2), ab.record("rows", {**first, **old})]
    out, error = w.run(config, ab.catalog(("rows", "append_dedup")), messages)
    assert error is None, error
    counts = w.report(out).streams["rows"]
    assert (counts.created, counts.updated, counts.protected) == (1, 2, 0), counts


def test_signed_is_rejected_before_anything_is_written(sb, config, ab, w):
    out, error = w.run(config, ab.catalog(("contracts", "append_dedup")),
                       [ab.record("contracts", {**w.deals(1)[0], "counterparty": "Brand New Co", "status": "signed"})])
    assert "'signed' cannot be set through the API" in error.message
    assert w.writes(sb) == [] and sb.records("counterparties") == []


def test_a_final_status_is_not_changed_and_nothing_else_is_patched(sb, config, ab, w, airbyte_logs):
    """A canceled contract is protected: not rejected, nothing patched, one log line."""
    catalog = ab.catalog(("contracts", "append_dedup"))
    w.run(config, catalog, [ab.record("contracts", {**w.deals(1)[0], "status": "canceled"})])
    sb.reset_stats()
    out, error = w.run(config, catalog, [ab.record("contracts", {**w.deals(1)[0], "status": "negotiating",
                                                                 "name": "Renamed"})])
    assert error is None and w.report(out).streams["contracts"].protected == 1
    assert w.writes(sb) == [] and [(c["name"], c["status"]) for c in sb.records("contracts")] == [("Deal 0", "canceled")]
    lines = [r.getMessage() for r in airbyte_logs if r.getMessage().startswith("Protected a row: ")]
    assert len(lines) == 1 and "is canceled" in lines[0] and "column 'name'" in lines[0]


def test_a_keyless_row_with_a_status_is_rejected_up_front(sb, config, ab, w):
    row = {"name": "No key", "counterparty": "Fresh Co", "status": "negotiating"}
    out, error = w.run(config, ab.catalog(("contracts", "append")), [ab.record("contracts", row)])
    assert "created as a draft and its status set by a second request" in error.message
    assert "Give the row a 'external_id' value" in error.message
    assert w.writes(sb) == []


@pytest.mark.parametrize("mode", ["append_dedup", "append"])
def test_a_refused_status_leaves_a_draft_that_a_rerun_completes(sb, config, ab, w, mode):
    catalog = ab.catalog(("contracts", mode))
    row = {**w.deals(1)[0], "status": "negotiating"}
    sb.script("PATCH", "/v2/contracts/{id}", 422)  # the status PATCH after the create is refused
    out, error = w.run(config, catalog, [ab.record("contracts", row)])
    assert "was created but its status could not be set to 'negotiating'" in error.message
    assert "a re-run sets it" in error.message
    assert [c["status"] for c in sb.records("contracts")] == ["draft"]
    assert [r["body"] for r in sb.requests("PATCH")] == [{"status": "negotiating"}]
    out, error = w.run(config, catalog, [ab.record("contracts", row)])
    assert error is None, (mode, error)
    assert [c["status"] for c in sb.records("contracts")] == ["negotiating"]
    assert w.report(out).streams["contracts"].updated == 1


def test_append_leaves_a_contract_that_is_not_a_draft(sb, config, ab, w):
    catalog = ab.catalog(("contracts", "append"))
    w.run(config, catalog, [ab.record("contracts", {**w.deals(1)[0], "status": "negotiating"})])
    out, error = w.run(config, catalog, [ab.record("contracts", {**w.deals(1)[0], "status": "signing"})])
    assert error is None and w.report(out).streams["contracts"].unchanged == 1
    assert [c["status"] for c in sb.records("contracts")] == ["negotiating"]


@pytest.mark.parametrize("keeps", [False, True])
def test_a_clear_is_checked_in_tomorros_answer(sb, config, ab, w, keeps):
    """`empty_values: clear` sends value null, which no document says clears a value: a server that
    keeps the value rejects the row naming the column and the smart field, never counts it cleared."""
    catalog = ab.catalog(("contracts", "append_dedup"))
    w.run(config, catalog, [ab.record("contracts", {**w.deals(1)[0], "contract_value": 5})])
    sb.set_api_profiles(["null-keeps-value"] if keeps else [])
    clear = {**config, "max_rejected_ratio": 1.0, "streams": [{"stream": "contracts", "object": "contract",
                                                                "empty_values": "clear"}]}
    out, error = w.run(clear, catalog, [ab.record("contracts", {**w.deals(1)[0], "contract_value": " "})])
    counts = w.report(out).streams["contracts"]
    if keeps:
        assert counts.rejected == 1
        assert "column 'contract_value' (smart field 'Contract value'): Tomorro kept its value" in \
            w.report(out).rejected_rows[0].reason
    else:
        assert counts.updated == 1 and error is None
