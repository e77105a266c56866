"""Airbyte platform readiness: the specs as the UI's form renders them, the metadata.yaml files and the
docs pages. The helpers live next to this file (`form_emulation.py`, `metadata_checks.py`); the import
mode is importlib, so the test modules import them through this directory on sys.path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
