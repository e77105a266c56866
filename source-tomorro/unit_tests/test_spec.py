"""spec / check: the config keys, and config errors that name the offending field."""

from __future__ import annotations

import json

import pytest
from source_tomorro.run import create_source
from source_tomorro.spec_check import FieldNamingEntrypoint

VALID = {"api_key": "k-123456", "base_url": "https://api.tomorro.com/v2"}


def _run(verb, config, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    # the console script's entrypoint: its spec check names the field (source_tomorro/spec_check.py)
    entrypoint = FieldNamingEntrypoint(create_source(config=config, config_path=str(path)))
    args = [verb] + (["--config", str(path)] if verb != "spec" else [])
    return [json.loads(message) for message in entrypoint.run(entrypoint.parse_args(args))]


def test_spec_declares_the_config_keys(tmp_path):
    spec = next(m for m in _run("spec", {}, tmp_path) if m["type"] == "SPEC")["spec"]["connectionSpecification"]
    assert list(spec["properties"]) == ["api_key", "start_date", "base_url", "lookback_window", "page_size",
                                        "num_workers", "requests_per_minute", "max_retries", "copy_signed_files"]
    assert spec["required"] == ["api_key"]
    assert spec["properties"]["api_key"]["airbyte_secret"] is True
    assert spec["properties"]["base_url"]["default"] == "https://api.tomorro.com/v2"


@pytest.mark.parametrize("field,value", [
    ("start_date", "not-a-date"),
    ("start_date", "2024-02-30"),
    ("base_url", "http://api.tomorro.com/v2"),
    ("page_size", 51),
    ("page_size", 0),
    ("num_workers", 21),
    ("lookback_window", -1),
    ("requests_per_minute", 0),
    ("max_retries", 11),
    ("start_date", "2099-01-01T00:00:00Z"),
    ("start_date", "0001-01-01"),
    ("base_url", "https://user:hunter2pass@api.tomorro.com/v2"),
])
def test_given_invalid_field_when_check_then_failed_status_naming_the_field(field, value, tmp_path):
    messages = _run("check", {**VALID, field: value}, tmp_path)

    status = next(m for m in messages if m["type"] == "CONNECTION_STATUS")["connectionStatus"]
    assert status["status"] == "FAILED"
    assert status["message"].startswith(f"Invalid config field `{field}`: ")  # a config error, not a wrapped one
    assert VALID["api_key"] not in json.dumps(messages)
    assert "hunter2pass" not in json.dumps(messages)


@pytest.mark.parametrize("config,workers", [({}, 4), ({"num_workers": 9}, 9)])
def test_num_workers_sets_the_thread_pool(config, workers):
    source = create_source(config={**VALID, **config})
    assert source._concurrent_source._threadpool._threadpool._max_workers == workers


def test_requests_per_minute_sets_the_api_budget():
    source = create_source(config={**VALID, "requests_per_minute": 120})
    source.streams(source._config)  # the budget is built with the streams
    policy = source._constructor._api_budget._policies[0]
    rates = policy._bucket.rates if hasattr(policy, "_bucket") else policy._limiter._bucket_factory.buckets[0].rates
    # paced per second too (a second stretched to 1.02 s against jitter), so workers cannot burst the minute
    assert [(rate.limit, rate.interval) for rate in rates] == [(2, 1_020), (120, 60_000)]


def test_a_budget_under_60_per_minute_still_allows_one_request_a_second():
    source = create_source(config={**VALID, "requests_per_minute": 30})
    source.streams(source._config)
    policy = source._constructor._api_budget._policies[0]
    rates = policy._bucket.rates if hasattr(policy, "_bucket") else policy._limiter._bucket_factory.buckets[0].rates
    assert [(rate.limit, rate.interval) for rate in rates] == [(1, 1_020), (30, 60_000)]


def test_optional_fields_given_as_null_fall_back_to_their_defaults():
    config = {**VALID, "start_date": None, "lookback_window": None, "page_size": None, "num_workers": None,
              "requests_per_minute": None, "max_retries": None}
    source = create_source(config=config)
    streams = {stream.name: stream for stream in source.streams(config)}
    assert set(streams) >= {"contracts", "counterparties"}
    assert source._concurrent_source._threadpool._threadpool._max_workers == 4
