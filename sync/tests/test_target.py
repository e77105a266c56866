"""Config-file loading for tomorro-sync: every mistake gets a message naming what to fix."""

import json

import pytest
import yaml
from source_tomorro.run import MANIFEST_PATH
from tomorro_sync.errors import SyncError
from tomorro_sync.target import SCHEMA_OBJECT_KINDS, Target, load_config


def write(tmp_path, content) -> object:
    path = tmp_path / "config.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_given_full_config_when_loaded_then_source_and_destination_configs_share_the_key(tmp_path):
    target = load_config(write(tmp_path, {"api_key": "tk_test_k1", "base_url": "https://api.tomorro.com/v2",
                                          "start_date": "2024-01-01T00:00:00Z",
                                          "destination": {"dry_run": True}}))
    assert target.source_config == {"api_key": "tk_test_k1", "base_url": "https://api.tomorro.com/v2",
                                    "start_date": "2024-01-01T00:00:00Z"}
    assert target.destination_config(max_rejected_ratio=0.1) == {
        "dry_run": True, "api_key": "tk_test_k1", "base_url": "https://api.tomorro.com/v2", "max_rejected_ratio": 0.1}
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


def test_given_key_pasted_with_spaces_and_newline_when_loaded_then_it_is_trimmed(tmp_path):
    target = load_config(write(tmp_path, {"api_key": "  tk_live_pasted_0123456789\n"}))
    assert target.api_key == "tk_live_pasted_0123456789"
    assert target.source_config["api_key"] == target.destination_config()["api_key"] == "tk_live_pasted_0123456789"


@pytest.mark.parametrize("base_url", ["https://sync-user:hunter2-pass@api.tomorro.com/v2",
                                      "http://hunter2-pass@127.0.0.1:8765/v2",
                                      "sync-user:hunter2-pass@api.tomorro.com"])
def test_given_credentials_in_base_url_when_loaded_then_refused_naming_the_field_not_the_value(tmp_path, base_url):
    with pytest.raises(SyncError) as caught:
        load_config(write(tmp_path, {"api_key": "tk_live_0123456789", "base_url": base_url}))
    message = str(caught.value)
    assert "`base_url`" in message
    assert "hunter2" not in message and "sync-user" not in message


def test_given_key_with_a_line_break_inside_when_preflight_then_says_so_without_printing_it():
    target = Target(api_key="tk_live_first_half\nsecond_half", base_url="http://127.0.0.1:9/v2")
    with pytest.raises(SyncError) as caught:
        target.preflight()
    assert "`api_key` holds characters an HTTP header cannot carry" in str(caught.value)
    assert "first_half" not in str(caught.value) and "second_half" not in str(caught.value)


def test_schema_object_kinds_are_the_object_kinds_of_the_source_manifest():
    """The smart-field fingerprint must cover every kind whose fields become typed columns."""
    manifest = yaml.safe_load(MANIFEST_PATH.read_text())
    kinds = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("object_kind"), str):
                kinds.add(node["object_kind"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(manifest)
    assert kinds == set(SCHEMA_OBJECT_KINDS)
