"""Root conftest: only the `--full-faults` option (pytest honours `pytest_addoption` in the rootdir
conftest, not in tests/conftest.py) and the `full_faults` fixture of the fault suite (tests/faults)."""

import pytest


def pytest_addoption(parser):
    parser.addoption("--full-faults", action="store_true", default=False,
                     help="run the fault-injection suite (tests/faults) with its full parameters (make test-faults)")


@pytest.fixture(scope="session")
def full_faults(request) -> bool:
    return bool(request.config.getoption("--full-faults"))
