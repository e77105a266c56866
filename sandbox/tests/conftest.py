"""Shared fixtures: one real sandbox server per test module (xdist --dist loadfile keeps a module
on one worker)."""

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.testing import Api, option_label, seeded

SMALL = {"seed": 42, "contracts": 300, "counterparties": 80, "fields": 60, "members": 15}


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(**SMALL) as server:
        yield server


@pytest.fixture(scope="module")
def api(sb):
    return Api(sb)


@pytest.fixture(scope="module")
def ids(sb):
    return seeded(sb)


@pytest.fixture(scope="module")
def label():
    return option_label
