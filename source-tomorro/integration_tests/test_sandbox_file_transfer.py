"""Airbyte file transfer of `contract_signed_files` (`copy_signed_files`), driven through the CDK's entrypoint
against the sandbox: each record comes with its PDF, written by the CDK under its files directory at a stable
path, with the sandbox's bytes; without the option, nothing is downloaded and no record has a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import discover, read
from source_tomorro.run import create_source

STREAM = "contract_signed_files"
DOWNLOADS = "/storage/signed-files/{id}"


@pytest.fixture
def staging(tmp_path, monkeypatch):
    # the CDK writes files under AIRBYTE_STAGING_DIRECTORY (read when its module is imported) when it exists
    from airbyte_cdk.sources.utils import files_directory

    monkeypatch.setattr(files_directory, "AIRBYTE_STAGING_DIRECTORY", str(tmp_path))
    return tmp_path


def _read(config):
    catalog = CatalogBuilder().with_stream(STREAM, SyncMode.full_refresh).build()
    output = read(create_source(config=config, catalog=catalog, state=None), config, catalog, None)
    assert not output.errors, [e.trace.error.message for e in output.errors]
    return output


def _downloads(sandbox) -> int:
    return sum(r["count"] for r in sandbox.stats()["requests"] if r["path"] == DOWNLOADS and r["status"] == 200)


def test_with_copy_signed_files_each_record_carries_its_pdf_at_a_stable_path(sandbox, sandbox_config, staging):
    config = {**sandbox_config, "copy_signed_files": True}
    stream = next(s for s in discover(create_source(config=config, catalog=None, state=None), config).catalog.catalog.streams
                  if s.name == STREAM)
    assert stream.is_file_based
    digests = sandbox.file_digests()
    output = _read(config)
    records = [m.record for m in output.records]
    assert {r.data["id"] for r in records} == set(digests)
    for record in records:
        ref, data = record.file_reference, record.data
        relative = f"{STREAM}/{data['contractId']}/{data['id']}.pdf"
        assert ref.source_file_relative_path == relative
        assert Path(ref.staging_file_url) == staging / relative
        content = Path(ref.staging_file_url).read_bytes()
        assert ref.file_size_bytes == len(content) == digests[data["id"]]["size"]
        assert hashlib.sha256(content).hexdigest() == digests[data["id"]]["sha256"]
        assert data["filename"].endswith(" - signed.pdf")  # the original name stays in the record


def test_without_the_option_the_stream_is_metadata_only_and_downloads_nothing(sandbox, sandbox_config, staging):
    stream = next(s for s in discover(create_source(config=sandbox_config, catalog=None, state=None),
                                      sandbox_config).catalog.catalog.streams if s.name == STREAM)
    assert not stream.is_file_based
    before = _downloads(sandbox)
    output = _read(sandbox_config)
    assert output.records and all(m.record.file_reference is None for m in output.records)
    assert _downloads(sandbox) == before and not any(staging.iterdir())


@pytest.mark.faults
@pytest.mark.slow  # ~70 s: the retries back off exponentially
def test_a_download_cut_short_or_failing_is_retried_never_kept_partial(staging):
    from tomorro_sandbox import SandboxServer

    with SandboxServer(seed=8, contracts=60, malformed_rate=0.25, error_rate=0.1) as sandbox:
        config = {"api_key": sandbox.api_key, "base_url": sandbox.url, "copy_signed_files": True, "max_retries": 10}
        output = _read(config)
        sandbox.set_faults(malformed_rate=0, error_rate=0)
        digests = sandbox.file_digests()
        tries = sum(r["count"] for r in sandbox.stats()["requests"] if r["path"] == DOWNLOADS)
    assert {m.record.data["id"] for m in output.records} == set(digests)
    for message in output.records:
        content = Path(message.record.file_reference.staging_file_url).read_bytes()
        assert hashlib.sha256(content).hexdigest() == digests[message.record.data["id"]]["sha256"]
    assert tries > len(digests)  # the faults did meet downloads, and were retried
