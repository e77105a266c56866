"""The CDK's standard tests (DestinationTestSuiteBase) for destination-tomorro.

Scenarios come from `acceptance-test-config.yml`. A config file cannot know the port of a sandbox
started at test time, so configs whose `base_url` is the placeholder `http://127.0.0.1:1/v2` are
pointed at a live sandbox (one per module, over a real socket) before `check` runs; the spec
test validates the files exactly as written.
"""

from __future__ import annotations

import pytest
from airbyte_cdk.test.standard_tests import DestinationTestSuiteBase
from airbyte_cdk.test.standard_tests.pytest_hooks import (
    pytest_generate_tests,  # noqa: F401  (parametrises `scenario`)
)
from destination_tomorro import DestinationTomorro

PLACEHOLDER_URL = "http://127.0.0.1:1/v2"


@pytest.fixture(scope="module")
def sandbox_url():
    from tomorro_sandbox import SandboxServer

    with SandboxServer(seed=7, contracts=20, counterparties=10, fields=30, members=3, api_key="sandbox-key", port=0) as sb:
        yield sb.url


class TestDestinationTomorroStandards(DestinationTestSuiteBase):
    connector = DestinationTomorro

    @pytest.fixture(autouse=True)
    def _live_sandbox(self, sandbox_url):
        self.sandbox_url = sandbox_url

    def _live(self, scenario):
        config = scenario.get_config_dict(connector_root=self.get_connector_root_dir(), empty_if_missing=False)
        if config.get("base_url") == PLACEHOLDER_URL:
            config = {**config, "base_url": self.sandbox_url}
        return scenario.model_copy(update={"config_dict": config})

    def test_check(self, scenario):
        super().test_check(self._live(scenario))
