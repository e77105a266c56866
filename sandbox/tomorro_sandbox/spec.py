"""Our reconstructed OpenAPI document (openapi.yaml), served at /v2/openapi.json without auth."""

from functools import lru_cache
from pathlib import Path

import orjson
import yaml

from .wire import Response

SPEC_PATH = Path(__file__).with_name("openapi.yaml")


@lru_cache(maxsize=1)
def load_spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


@lru_cache(maxsize=2)
def _rendered(path: str) -> Response:
    if path.endswith(".yaml"):
        return Response(200, SPEC_PATH.read_bytes(), content_type="application/yaml")
    return Response(200, orjson.dumps(load_spec()))


def spec_response(path: str) -> Response:
    return _rendered(path)
