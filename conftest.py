"""Root conftest: the `--full-faults` option (pytest honours `pytest_addoption` in the rootdir conftest, not
in tests/conftest.py), the `full_faults` fixture of the fault suite, and the hypothesis profiles of the
property-based tests: bounded in `make test`, long under `--full-faults` (`make test-faults`)."""

import pytest
from hypothesis import HealthCheck, settings

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
