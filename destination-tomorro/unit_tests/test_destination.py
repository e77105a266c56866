"""destination.py: spec, check and write orchestration; the console script's strict input and filtered output."""

import pytest
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro import DestinationTomorro


def test_bad_api_key_fails_with_config_error(config, ab, w):
    _, error = w.run({**config, "api_key": "wrong-key-987"}, ab.catalog(("contracts", "append_dedup")),
                   [ab.record("contracts", w.deals(1)[0])])
    assert error.failure_type.value == "config_error" and "Tomorro rejected the API key" in error.message
    assert "wrong-key-987" not in error.message


def test_the_console_script_reads_stdin_strictly_and_prints_through_the_secret_filter(config, ab, tmp_path,
                                                                                       monkeypatch, capsys):
    import io
    import json

    config_path, catalog_path = tmp_path / "config.json", tmp_path / "catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps({"streams": [ab.stream("counterparties", "append_dedup")]}))
    key = config["api_key"]
    lines = [{"type": "RECORD", "record": {"stream": "counterparties", "emitted_at": 0,
                                           "data": {"name": "Leaky", "status": key}}},  # the key inside user data
             {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "counterparties"},
                                                                      "stream_state": {"c": 1}}}}]
    stdin = b"\xef\xbb\xbf" + b"".join(json.dumps(m).encode() + b"\n" for m in lines) + b"{broken\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(AirbyteTracedException, match="1 of 1 rows were rejected"):
        DestinationTomorro().run(["write", "--config", str(config_path), "--catalog", str(catalog_path)])
    printed = capsys.readouterr().out
    assert key not in printed and "****" in printed  # the rejected reason quotes the value: masked
    messages = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    assert [m["type"] for m in messages if m["type"] == "STATE"] == []  # over the ratio: withheld
    assert any(m["type"] == "TRACE" and m["trace"].get("type") == "ANALYTICS" for m in messages)
