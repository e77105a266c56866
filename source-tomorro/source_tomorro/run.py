"""`source-tomorro` console script: runs the connector's manifest.yaml (+ components.py) in-process.

The connector itself is manifest-only; this launcher exists so humans and PyAirbyte
(`local_executable="source-tomorro"`) can run spec/check/discover/read without Docker, with state
honoured (CDK 7 takes state, config and catalog at construction, not at `read`), in any shape a state
file comes in (`state_file.py`), and with config errors that name the field (`spec_check.py`).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

CONNECTOR_DIR = Path(__file__).resolve().parent.parent
MANIFEST_PATH = CONNECTOR_DIR / "manifest.yaml"
COMPONENTS_PATH = CONNECTOR_DIR / "components.py"
COMPONENTS_MODULE = "source_declarative_manifest.components"  # the module path inside the SDM image


def register_components() -> ModuleType:
    """Make `source_declarative_manifest.components.*` (as the manifest names them) importable."""
    module = sys.modules.get(COMPONENTS_MODULE)
    if module is not None and getattr(module, "__file__", None) == str(COMPONENTS_PATH):
        return module
    spec = importlib.util.spec_from_file_location(COMPONENTS_MODULE, COMPONENTS_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[COMPONENTS_MODULE] = module
    spec.loader.exec_module(module)
    return module


def create_source(config=None, catalog=None, state=None, config_path=None):
    from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

    register_components()
    return YamlDeclarativeSource(
        path_to_yaml=str(MANIFEST_PATH), config=config, catalog=catalog, state=state, config_path=config_path
    )


def skip_attribute_docstrings() -> bool:
    """Process tuning, measured on serpyco-rs 1.23.0 / attributes-doc 0.5.0 (unit_tests/test_process_tuning.py pins
    both). While the CDK's protocol serializers are built, serpyco-rs reads the source of every protocol class and
    parses it for attribute docstrings, which only go into JSON schemas no connector process asks for: ~0.4 s of
    every start, a third of the CDK's import (BENCHMARKS.md, first-sync start-up). Replacing the public
    `attributes_doc.get_attributes_doc` before serpyco-rs binds it skips that; every message is byte for byte the
    same. False when too late (serpyco-rs already imported, e.g. a test that runs `run()` in-process)."""
    if "serpyco_rs" in sys.modules:
        return False
    import attributes_doc

    attributes_doc.get_attributes_doc = _no_attribute_docstrings
    return True


def _no_attribute_docstrings(cls: type) -> dict:
    return {}


def run(args: list[str] | None = None) -> None:
    skip_attribute_docstrings()  # first: before anything imports the CDK
    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from airbyte_cdk.sources.source import Source
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException

    from source_tomorro.state_file import normalized_state_args

    args = sys.argv[1:] if args is None else args
    try:
        args = normalized_state_args(args)
    except AirbyteTracedException as error:  # a state no shape of which we know: say so, like any config error
        error.emit_message()
        sys.exit(1)
    parsed = AirbyteEntrypoint.parse_args(args)
    config_path = getattr(parsed, "config", None)
    catalog_path = getattr(parsed, "catalog", None)
    state_path = getattr(parsed, "state", None)
    config = Source.read_config(config_path) if config_path else None
    catalog = Source.read_catalog(catalog_path) if catalog_path else None
    state = Source.read_state(state_path) if state_path else None
    try:
        source = create_source(config=config, catalog=catalog, state=state, config_path=config_path)
    except Exception:
        # A config malformed enough to break the source's construction (`num_workers: "abc"` fails
        # while the worker pool is sized) gets the same field-naming config error as any other spec
        # violation: a source built without the config runs the spec check on the raw config.
        if config is None or not _violates_spec(config):
            raise
        source = create_source()
    _launch(source, args)


def main() -> None:
    """The console script: `run`, then the process ends as soon as its messages are written. Python's own teardown
    after the last message (joining the CDK's idle worker threads, freeing the heap of a large read) took 0.4-1.3 s
    of every read (BENCHMARKS.md, first-sync tail) and does nothing a reader of the output needs. Only after `run`
    returned: a failure raises (or exits non-zero) as Python does."""
    run()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _violates_spec(config) -> bool:
    import logging

    from source_tomorro.spec_check import config_problems

    spec = create_source().spec(logging.getLogger("airbyte"))
    return bool(config_problems(config, spec.connectionSpecification))


def _launch(source, args: list[str]) -> None:
    """`airbyte_cdk.entrypoint.launch`, with the spec check of `FieldNamingEntrypoint` (it checks the
    config after the manifest's config migrations, as the CDK's own check does)."""
    from airbyte_cdk.logger import PRINT_BUFFER

    from source_tomorro.spec_check import FieldNamingEntrypoint

    entrypoint = FieldNamingEntrypoint(source)
    with PRINT_BUFFER:
        for message in entrypoint.run(entrypoint.parse_args(args)):
            print(f"{message}\n", end="")


if __name__ == "__main__":
    main()
