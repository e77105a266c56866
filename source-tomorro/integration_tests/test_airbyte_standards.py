"""The CDK's standard source tests (spec, check, discover, basic read, bad catalog) against a live
sandbox. Run with `-m "not image_tests"` (the default addopts); discovered-catalog warnings are errors.

The configs in acceptance-test-config.yml point at `make sandbox` (127.0.0.1:8765). Here each config's
`base_url` is rewritten to a sandbox this module starts on a free port, chosen at collection time so
that test ids stay the same on every xdist worker (ids come from the config file names).
"""

from __future__ import annotations

import socket

import pytest
from airbyte_cdk.test.standard_tests import DeclarativeSourceTestSuite

# Module-level hook (parametrises `scenario`), not `pytest_plugins`: a plugin would register the hook
# for the whole session and parametrise other connectors' suites a second time in `make test`.
from airbyte_cdk.test.standard_tests.pytest_hooks import pytest_generate_tests  # noqa: F401

from .conftest import SANDBOX_API_KEY, SEED

pytestmark = pytest.mark.filterwarnings("error::airbyte_cdk.test.standard_tests.DiscoveredCatalogWarning")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SANDBOX_PORT = _free_port()


@pytest.fixture(scope="module", autouse=True)
def standards_sandbox():
    from tomorro_sandbox import SandboxServer

    # a smaller seed keeps the basic read quick; every stream still has records
    seed = {**SEED, "contracts": 120, "counterparties": 40}
    with SandboxServer(api_key=SANDBOX_API_KEY, port=SANDBOX_PORT, **seed) as server:
        yield server


class TestSourceTomorroStandards(DeclarativeSourceTestSuite):
    """spec / check / discover / read from acceptance-test-config.yml, against the sandbox."""

    @classmethod
    def get_scenarios(cls):
        scenarios = []
        for scenario in super().get_scenarios():
            config = scenario.get_config_dict(connector_root=cls.get_connector_root_dir(), empty_if_missing=True)
            if config.get("base_url", "").startswith("http://127.0.0.1:"):
                config = {**config, "base_url": f"http://127.0.0.1:{SANDBOX_PORT}/v2"}
            scenarios.append(scenario.model_copy(update={"config_dict": config}))
        return scenarios
