"""Console script `destination-tomorro`: spec | check | write | discover.

Two process tunings, each only here (tests and tools that import the package are left as they are):
`skip_attribute_docstrings` before the CDK is imported, and `main` ending the process once its output is written.
"""

from __future__ import annotations

import os
import sys


def skip_attribute_docstrings() -> bool:
    """Measured on serpyco-rs 1.23.0 / attributes-doc 0.5.0 (unit_tests/test_run.py pins both). When the CDK's
    protocol serializers are built at its import, serpyco-rs reads the source code of every protocol class to find
    attribute docstrings, which only go into JSON schemas this destination never asks for: a share of every start.
    Replacing the public `attributes_doc.get_attributes_doc` before serpyco-rs binds it skips that reading; every
    message is byte for byte the same. False when it comes too late (serpyco-rs already imported, as in a test
    that runs the destination in-process)."""
    if "serpyco_rs" in sys.modules:
        return False
    import attributes_doc

    attributes_doc.get_attributes_doc = _no_attribute_docstrings
    return True


def _no_attribute_docstrings(cls: type) -> dict:
    return {}


def run(args: list[str] | None = None) -> None:
    skip_attribute_docstrings()  # first: before anything imports the CDK
    from .destination import DestinationTomorro

    DestinationTomorro().run(sys.argv[1:] if args is None else args)


def main() -> None:
    """The console script: `run`, then the process ends as soon as its messages are written, without Python's
    teardown (the CDK's and the writer's idle threads joined, the heap freed), which no reader of the output needs.
    Only once `run` returned: a failure raises, its TRACE is printed and the exit status is non-zero, as before."""
    run()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
