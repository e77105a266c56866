"""Registers components.py as `source_declarative_manifest.components` (the module path the manifest
names, as inside the source-declarative-manifest image) and isolates the CDK's request cache."""

import pytest
from source_tomorro.run import register_components

register_components()


@pytest.fixture(autouse=True)
def _isolated_request_cache(tmp_path, monkeypatch):
    # No requester caches answers (use_cache: false); should one ever, its cache stays in the test's tmp dir.
    monkeypatch.setenv("REQUEST_CACHE_PATH", str(tmp_path / "request_cache"))


@pytest.fixture
def http_mocker():  # placeholder: @HttpMocker() injects the real one
    return None


@pytest.fixture
def no_sleep(mocker):
    """Retries back off with time.sleep; tests must not wait."""
    return mocker.patch("time.sleep")
