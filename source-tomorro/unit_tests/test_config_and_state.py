"""components.py, section 5: config and state, what the spec and the cursor cannot check."""

from __future__ import annotations

import freezegun
import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from source_tomorro.run import register_components

components = register_components()


@freezegun.freeze_time("2024-03-01T12:00:00Z")
class TestSanitizeState:
    migration = components.SanitizeState(cursor_field="updatedAt")

    def test_a_future_state_becomes_the_sync_start(self):
        assert self.migration.should_migrate({"updatedAt": "2030-01-01T00:00:00.000Z"})
        assert self.migration.migrate({"updatedAt": "2030-01-01T00:00:00.000Z"}) == {"updatedAt": "2024-03-01T12:00:00.000Z"}

    def test_an_offset_becomes_the_same_instant_in_utc(self):
        assert self.migration.migrate({"updatedAt": "2024-02-01T12:00:00+02:00"}) == {"updatedAt": "2024-02-01T10:00:00.000Z"}

    @pytest.mark.parametrize("value", ["garbage", 123, None, ""])
    def test_a_value_that_is_not_a_datetime_is_dropped(self, value, caplog):
        assert self.migration.should_migrate({"updatedAt": value})
        assert self.migration.migrate({"updatedAt": value}) == {}
        assert "not a datetime" in caplog.text

    def test_a_good_state_and_the_cdk_formats_are_left_alone(self):
        assert not self.migration.should_migrate({"updatedAt": "2024-02-01T00:00:00.000Z"})
        assert not self.migration.should_migrate({})
        assert not self.migration.should_migrate({"state_type": "date-range", "slices": []})


@freezegun.freeze_time("2024-03-01T12:00:00Z")
class TestConfigFieldValidator:
    @pytest.mark.parametrize("kind,value", [
        ("datetime", "2024-01-01T00:00:00Z"), ("datetime", "2024-01-01T10:00:00+02:00"), ("datetime", "1970-01-01T00:00:00Z"),
        ("https_url", "https://api.tomorro.com/v2"), ("https_url", "http://127.0.0.1:8765/v2"), ("https_url", "http://localhost:1/v2"),
    ])
    def test_valid_values_pass(self, kind, value):
        components.ConfigFieldValidator(field="f", kind=kind).validate(value)

    @pytest.mark.parametrize("field,kind,value,problem", [
        ("start_date", "datetime", "yesterday", "not an ISO-8601 date-time"),
        ("start_date", "datetime", "2024-13-45", "not an ISO-8601 date-time"),
        ("start_date", "datetime", "0001-01-01T00:00:00Z", "before 1970-01-01"),
        ("start_date", "datetime", "2024-03-02T00:00:00Z", "in the future"),
        ("base_url", "https_url", "http://api.tomorro.com/v2", "must use https"),
        ("base_url", "https_url", "api.tomorro.com", "not an absolute http(s) URL"),
        ("base_url", "https_url", "https://me:s3cret-pw@api.tomorro.com/v2", "must not contain credentials"),
        ("base_url", "https_url", "https://api.tomorro.com/v2?token=s3cret-pw", "must not contain a query"),
        ("base_url", "https_url", "https://api.tomorro.com/v2#s3cret-pw", "or a fragment"),
        ("base_url", "https_url", "ftp://me:s3cret-pw@api.tomorro.com/v2", "not an absolute http(s) URL"),
        ("base_url", "https_url", "http://[s3cret-pw/v2", "not an absolute http(s) URL"),
    ])
    def test_invalid_values_raise_a_config_error_naming_the_field(self, field, kind, value, problem):
        with pytest.raises(AirbyteTracedException) as raised:
            components.ConfigFieldValidator(field=field, kind=kind).validate(value)
        assert raised.value.failure_type == FailureType.config_error
        assert raised.value.message.startswith(f"Invalid config field `{field}`: ") and problem in raised.value.message
        assert "s3cret-pw" not in raised.value.message


class TestSecretsInConfig:
    def test_the_key_is_trimmed_and_every_form_of_it_is_masked(self):
        config = {"api_key": " tk_live_paste\n", "base_url": "https://user:hunter2-pw@api.tomorro.com/v2"}
        components.SecretsInConfig().transform(config)

        assert config["api_key"] == "tk_live_paste"
        printed = ("header 'tk_live_paste\\n' invalid; key=tk_live_paste; quoted=%20tk_live_paste%0A; "
                   "url https://user:hunter2-pw@api.tomorro.com")
        masked = filter_secrets(printed)
        assert "tk_live_paste" not in masked and "hunter2-pw" not in masked
