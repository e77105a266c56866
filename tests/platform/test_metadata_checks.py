"""The metadata checks catch what Airbyte's schema and pre-upload validators reject (each case breaks one
thing in a copy of our destination's metadata)."""

from __future__ import annotations

import copy

import metadata_checks as checks
import pytest

GOOD = checks.load_metadata(checks.REPO / "destination-tomorro")


def _changed(**data) -> dict:
    metadata = copy.deepcopy(GOOD)
    for key, value in data.items():
        if value is None:
            metadata["data"].pop(key)
        else:
            metadata["data"][key] = value
    return metadata


@pytest.mark.parametrize(("metadata", "error"), [
    (_changed(definitionId="not-a-uuid"), "data.definitionId: 'not-a-uuid' is not a 'uuid'"),
    (_changed(releaseDate="2026-13-01"), "data.releaseDate: '2026-13-01' is not a 'date'"),
    (_changed(documentationUrl="docs page"), "data.documentationUrl: 'docs page' is not a 'uri'"),
    (_changed(releaseStage="ga"), "data.releaseStage: 'ga' is not one of"),
    (_changed(registryOverrides={"oss": {}}), "data.registryOverrides: {'oss': {}} is not valid under any"),
    (_changed(remoteRegistries={"pypi": {"enabled": False}}),
     "data.remoteRegistries.pypi: 'packageName' is a required property"),
    (_changed(externalDocumentationUrls=[{"title": "x", "url": "https://x.test", "type": "blog"}]),
     "data.externalDocumentationUrls.0.type: 'blog' is not one of"),
    (_changed(releases={"breakingChanges": {"1.0.0": {"message": "m"}}}),
     "data.releases.breakingChanges.1.0.0: 'upgradeDeadline' is a required property"),
    (_changed(supportsDbt="yes"), "data.supportsDbt: 'yes' is not of type 'boolean'"),
    (_changed(notAField=1), "data: Additional properties are not allowed ('notAField' was unexpected)"),
    (_changed(license=None), "data: 'license' is a required property"),
])
def test_schema_errors_name_what_airbytes_schema_rejects(metadata, error):
    assert any(found.startswith(error) for found in checks.schema_errors(metadata)), checks.schema_errors(metadata)


def test_our_metadata_has_no_schema_error_so_the_cases_above_are_each_one_change():
    assert checks.schema_errors(GOOD) == []


@pytest.mark.parametrize(("metadata", "problem"), [
    (_changed(tags=["language:python", "python"]), "tag 'python' is not of the form <KEY>:<VALUE>"),
    (_changed(tags=["cdk:python"]), "at least one tag must be of the form language:<LANG>"),
    (_changed(dockerImageTag="1.0.0"), "major version 1.0.0 needs a releases.breakingChanges entry"),
    (_changed(dockerImageTag="0.3.0-rc.1", releases={}), "an -rc tag needs releases.rolloutConfiguration"),
    (_changed(releases={"rolloutConfiguration": {"enableProgressiveRollout": True}}),
     "progressive rollout needs an -rc.<N> dockerImageTag"),
    (_changed(remoteRegistries={"pypi": {"enabled": True, "packageName": "p"}}, tags=["language:manifest-only"]),
     "PyPI publishing needs a language:python tag"),
    (_changed(documentationUrl="https://github.com/tomorro/tomorro-connectors"), "no docs file for documentationUrl"),
    (_changed(documentationUrl="https://docs.airbyte.com/integrations/destinations/nothing"),
     "no docs file for documentationUrl"),
    (_changed(dockerImageTag="v0.2"), "dockerImageTag 'v0.2' is not a semver version"),
])
def test_publish_problems_name_what_airbytes_pre_upload_validators_reject(metadata, problem):
    assert any(found.startswith(problem) for found in checks.publish_problems(metadata)), checks.publish_problems(metadata)


@pytest.mark.parametrize("image", [
    "docker.io/airbyte/python-connector-base:4.0.2",
    "docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888",
    "docker.io/airbyte/python-connector-base@sha256:" + "a" * 64,
])
def test_a_base_image_without_a_full_digest_is_refused(image):
    assert checks.base_image_problems(_changed(connectorBuildOptions={"baseImage": image}))


def test_an_enabled_destination_needs_the_sync_modes_table():
    doc = checks.docs_file(GOOD["data"]["documentationUrl"]).read_text()
    assert checks.sync_modes_table_problems(doc) == []
    without_row = doc.replace("| Full Refresh - Overwrite + Deduped |", "| Full Refresh - Overwrite (deduped) |")
    assert checks.sync_modes_table_problems(without_row) == [
        "destination docs do not list the sync mode 'Full Refresh - Overwrite + Deduped'"]
    assert checks.sync_modes_table_problems(doc.replace("## Supported sync modes", "## Sync modes")) == [
        "destination docs have no '## Supported sync modes' section"]


def test_changelog_versions_are_read_from_the_changelog_table_only(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# X\n\n| 9.9.9 | not a changelog |\n\n## Changelog\n\n| Version | Date |\n| :-- | :-- |\n"
                    "| 1.2.0-rc.1 | 2026-01-02 |\n| 1.1.0 | 2026-01-01 |\n")
    assert checks.changelog_versions(page) == ["1.2.0-rc.1", "1.1.0"]
