

def test_seeded_timestamps_are_all_valid_calendar_instants():
    """Regression: a term starting on 29 February used to end on 29 February of a common year."""
    import datetime as dt

    from tomorro_sandbox.seed import SeedOptions, generate

    data = generate(SeedOptions(seed=42, contracts=3000))
    for contract in data.contracts.values():
        for key in ("startAt", "endAt", "signatureDate", "createdAt", "updatedAt"):
            if contract.get(key):
                dt.datetime.fromisoformat(contract[key].replace("Z", "+00:00"))
