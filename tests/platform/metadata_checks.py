"""Airbyte's checks of a connector's `metadata.yaml` and docs page, run offline.

1. The metadata schema: the vendored `schemas/ConnectorMetadataDefinitionV0.json` (source, version and
   the two adjustments applied when it is read: `schemas/SOURCE.md`).
2. The checks the schema cannot express, from airbytehq/airbyte:
   - `airbyte-ci/connectors/metadata_service/lib/metadata_service/validators/metadata_validator.py`
     (commit 0066eddeb42a54963cca4d8617d7070be13a38da), `PRE_UPLOAD_VALIDATORS`: tags are `key:value`
     with a `language:` tag; a major version has a `releases.breakingChanges` entry; the docs file exists;
     an enabled destination's docs have a "Supported sync modes" table naming the five standard modes;
     PyPI publishing only with `language:python`; `-rc` tags only with progressive rollout and the
     reverse (`publish_problems`); `baseImage` is `<image>:<tag>@<digest>` (`base_image_problems`; the
     Docker Hub lookups are not run here).
   - `airbyte-ci/connectors/connector_ops/connector_ops/utils.py` (commit
     61d9ec2dc19fac33c9ca73e757681c9dfe54e4f7), `Connector.documentation_file_path`: the docs file is
     `docs/<documentationUrl without https://docs.airbyte.com>.md`, and only docs.airbyte.com URLs have
     one. The platform reads the same path for the in-app setup guide
     (airbytehq/airbyte-platform `airbyte-config/specs/.../RemoteDefinitionsProvider.kt`,
     `extractPathFromDocumentationUrl`, commit 310e6cb6ac0e7bd310fe99bfd505d5c36ba71f2e).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator, FormatChecker

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "ConnectorMetadataDefinitionV0.json"
DOCS_BASE_URL = "https://docs.airbyte.com"
JSON_TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}
DESTINATION_SYNC_MODES = ["Full Refresh - Overwrite", "Full Refresh - Append", "Full Refresh - Overwrite + Deduped",
                          "Incremental Sync - Append", "Incremental Sync - Append + Deduped"]
DIGEST = re.compile(r"^[^:@\s]+:[^:@\s]+@sha256:[0-9a-f]{64}$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$")


class _StringDates(yaml.SafeLoader):
    """YAML without the timestamp resolver: `releaseDate: 2026-11-22` stays the string JSON would hold."""


_StringDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_metadata(connector_dir: Path) -> dict[str, Any]:
    return yaml.load((connector_dir / "metadata.yaml").read_text(), Loader=_StringDates)  # noqa: S506


def metadata_schema() -> dict[str, Any]:
    return _readable(json.loads(SCHEMA_PATH.read_text()), top=True)


def schema_errors(metadata: Mapping[str, Any]) -> list[str]:
    validator = Draft7Validator(metadata_schema(), format_checker=FormatChecker())
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(metadata), key=lambda e: list(map(str, e.absolute_path)))]


def docs_file(documentation_url: str) -> Path | None:
    """The repository file a documentation URL is published from (None for a non-Airbyte URL)."""
    if not documentation_url.startswith(DOCS_BASE_URL + "/"):
        return None
    return REPO / "docs" / f"{documentation_url.removeprefix(DOCS_BASE_URL).strip('/')}.md"


def changelog_versions(doc: Path) -> list[str]:
    """The versions of the docs page's changelog table, top row first."""
    text = doc.read_text()
    section = text[text.index("\n## Changelog"):] if "\n## Changelog" in text else ""
    return re.findall(r"^\|\s*(\d+\.\d+\.\d+\S*)\s*\|", section, flags=re.MULTILINE)


def publish_problems(metadata: Mapping[str, Any]) -> list[str]:
    """The pre-upload validators that need no network (see the module docstring)."""
    data = metadata.get("data", {})
    tags = data.get("tags") or []
    tag = str(data.get("dockerImageTag", ""))
    problems = [f"tag {t!r} is not of the form <KEY>:<VALUE>" for t in tags if ":" not in t]
    if not any(t.startswith("language:") for t in tags):
        problems.append("at least one tag must be of the form language:<LANG>")
    version = SEMVER.match(tag)
    if not version:
        return [*problems, f"dockerImageTag {tag!r} is not a semver version"]
    major, minor, patch, pre = version.groups()
    if major != "0" and minor == patch == "0" and not pre and tag not in (data.get("releases") or {}).get(
            "breakingChanges", {}):
        problems.append(f"major version {tag} needs a releases.breakingChanges entry")
    progressive = ((data.get("releases") or {}).get("rolloutConfiguration") or {}).get("enableProgressiveRollout")
    if pre and "rc" in pre and progressive is None:
        problems.append("an -rc tag needs releases.rolloutConfiguration.enableProgressiveRollout")
    if progressive is True and not pre:
        problems.append("progressive rollout needs an -rc.<N> dockerImageTag")
    if ((data.get("remoteRegistries") or {}).get("pypi") or {}).get("enabled") and not (
            {"language:python", "language:low-code"} & set(tags)):
        problems.append("PyPI publishing needs a language:python tag")
    doc = docs_file(str(data.get("documentationUrl", "")))
    if doc is None or not doc.exists():
        problems.append(f"no docs file for documentationUrl {data.get('documentationUrl')!r} ({doc})")
    elif data.get("connectorType") == "destination" and _enabled_somewhere(data):
        problems += sync_modes_table_problems(doc.read_text())
    return problems


def base_image_problems(metadata: Mapping[str, Any]) -> list[str]:
    """`validate_metadata_base_images_in_dockerhub` without the Docker Hub lookup: `<image>:<tag>@<sha>`."""
    base_image = ((metadata.get("data") or {}).get("connectorBuildOptions") or {}).get("baseImage")
    if base_image is None:
        return ["no connectorBuildOptions.baseImage"]
    if len(base_image.split(":")) != 3 or not DIGEST.match(base_image):
        return [f"baseImage {base_image} is not in the format <image>:<tag>@sha256:<64 hex digits>"]
    return []


def sync_modes_table_problems(doc: str) -> list[str]:
    if not re.search(r"^#{2,3}\s+Supported sync modes", doc, re.IGNORECASE | re.MULTILINE):
        return ["destination docs have no '## Supported sync modes' section"]
    if not re.search(r"\|\s*Sync mode\s*\|", doc, re.IGNORECASE):
        return ["destination docs have no '| Sync mode | Supported |' table"]
    return [f"destination docs do not list the sync mode {mode!r}" for mode in DESTINATION_SYNC_MODES
            if not re.search(re.escape(mode), doc, re.IGNORECASE)]


def _enabled_somewhere(data: Mapping[str, Any]) -> bool:
    overrides = data.get("registryOverrides") or {}
    return any((overrides.get(registry) or {}).get("enabled") for registry in ("oss", "cloud"))


def _readable(node: Any, top: bool = False) -> Any:
    """The two adjustments of schemas/SOURCE.md: nested `$id` / `$schema` and non-JSON types dropped."""
    if isinstance(node, dict):
        return {key: _readable(value) for key, value in node.items()
                if not (not top and key in ("$id", "$schema"))
                and not (key == "type" and isinstance(value, str) and value not in JSON_TYPES)}
    if isinstance(node, list):
        return [_readable(item) for item in node]
    return node
