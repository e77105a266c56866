"""ConfigBuilder: a valid config with defaults, plus `with_*` knobs."""

from __future__ import annotations

from typing import Any

API_KEY = "test-api-key-5f3a9c"
BASE_URL = "https://api.tomorro.com/v2"


class ConfigBuilder:
    def __init__(self) -> None:
        self._config: dict[str, Any] = {"api_key": API_KEY, "base_url": BASE_URL, "page_size": 2}

    def with_start_date(self, value: str) -> ConfigBuilder:
        self._config["start_date"] = value
        return self

    def with_lookback_window(self, minutes: int) -> ConfigBuilder:
        self._config["lookback_window"] = minutes
        return self

    def with_page_size(self, size: int) -> ConfigBuilder:
        self._config["page_size"] = size
        return self

    def with_values(self, **values: Any) -> ConfigBuilder:
        self._config.update(values)
        return self

    def build(self) -> dict[str, Any]:
        return dict(self._config)
