"""Root conftest: the `--full-faults` option (pytest honours `pytest_addoption` in the rootdir conftest, not
in tests/conftest.py), the `full_faults` fixture of the fault suite, and the hypothesis profiles of the
property-based tests: bounded in `make test`, long under `--full-faults` (`make test-faults`); and PyAirbyte's
settings (a test dependency: the pull equivalence tests), set before any test module imports it, because it
reads them once, at its first import, in whichever module of a worker comes first. Also `airbyte_logs`, the
destination's log records, for its unit and integration tests alike, and `sandbox_session`, the one sandbox per
test process that the destination's unit and integration tests reset for each test."""

import os
import tempfile

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # never ask the public connector registry (CI has no network)
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("AIRBYTE_LOGGING_ROOT", tempfile.mkdtemp(prefix="pyairbyte-logs-"))

settings.register_profile("make-test", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("full-faults", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])


def pytest_configure(config):
    settings.load_profile("full-faults" if config.getoption("--full-faults") else "make-test")


def pytest_addoption(parser):
    parser.addoption("--full-faults", action="store_true", default=False,
                     help="run the fault-injection suite (tests/faults) with its full parameters (make test-faults)")


@pytest.fixture(scope="session")
def full_faults(request) -> bool:
    return bool(request.config.getoption("--full-faults"))


@pytest.fixture
def airbyte_logs():
    """Records logged on the "airbyte" logger, caught by a handler of its own (caplog depends on
    propagation to the root logger, which the CDK's logging setup may turn off in the same process)."""
    import logging

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger, handler = logging.getLogger("airbyte"), Keep(level=logging.DEBUG)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest.fixture(scope="session")
def sandbox_session():
    """One sandbox per test process (per xdist worker) on a real loopback socket, API key "sandbox-key"; a
    suite's own fixture resets it per test (`tomorro_sandbox.testing.fresh`), which costs milliseconds where
    a start costs a seed, so a test never sees another's data, faults, profiles or requests."""
    from tomorro_sandbox import SandboxServer

    with SandboxServer(seed=42, contracts=60, counterparties=30, fields=40, members=5, port=0) as sb:
        yield sb
