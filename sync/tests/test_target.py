"""Config-file loading for tomorro-sync: every mistake gets a message naming what to fix."""

import json

import pytest
from tomorro_sync.errors import SyncError
from tomorro_sync.target import load_config


def write(tmp_path, content) -> object:
    path = tmp_path / "config.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_given_full_config_when_loaded_then_source_and_destination_configs_share_the_key(tmp_path):
    target = load_config(write(tmp_path, {"api_key": "k1", "base_url": "https://api.tomorro.com/v2",
                                          "start_date": "2024-01-01T00:00:00Z",
                                          "destination": {"dry_run": True}}))
    assert target.source_config == {"api_key": "k1", "base_url": "https://api.tomorro.com/v2",
                                    "start_date": "2024-01-01T00:00:00Z"}
    assert target.destination_config(max_rejected_ratio=0.1) == {
        "dry_run": True, "api_key": "k1", "base_url": "https://api.tomorro.com/v2", "max_rejected_ratio": 0.1}
    assert target.request_count() is None


def test_given_no_base_url_when_loaded_then_production_api_is_used(tmp_path):
    assert load_config(write(tmp_path, {"api_key": "k"})).base_url == "https://api.tomorro.com/v2"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1"),
        ([1, 2], "must hold a JSON object"),
        ({"base_url": "https://x"}, "`api_key` is required"),
        ({"api_key": "  "}, "`api_key` is required"),
        ({"api_key": "k", "destination": 3}, "`destination` must be an object"),
    ],
)
def test_given_bad_config_when_loaded_then_error_names_the_problem(tmp_path, content, expected):
    with pytest.raises(SyncError, match=expected.replace("(", r"\(")):
        load_config(write(tmp_path, content))


def test_given_missing_file_when_loaded_then_error_names_the_path(tmp_path):
    with pytest.raises(SyncError, match="Config file not found: .*nope.json"):
        load_config(tmp_path / "nope.json")
