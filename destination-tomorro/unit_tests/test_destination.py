"""destination.py: spec, check and write orchestration."""




def test_bad_api_key_fails_with_config_error(fake, config, ab, w):
    fake.mocker.get(f"{config['base_url']}/contracts", status_code=401, json={"statusCode": 401, "message": "no"})
    _, error = w.run({**config, "api_key": "wrong-key-987"}, ab.catalog(("contracts", "append_dedup")),
                   [ab.record("contracts", w.deals(1)[0])])
    assert error.failure_type.value == "config_error" and "Tomorro rejected the API key" in error.message
    assert "wrong-key-987" not in error.message
