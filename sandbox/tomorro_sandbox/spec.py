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


def to_json_schema(node):
    """OpenAPI 3.0 schema -> plain JSON Schema: `nullable: true` becomes a "null" type, so a
    standard validator (jsonschema) can check responses against our components."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "$ref" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def response_schema(path: str, method: str, status: int) -> dict | None:
    """The JSON Schema of one documented response (with `components` alongside, for $refs)."""
    spec = load_spec()
    op = spec["paths"][path][method.lower()]
    resp = op["responses"].get(str(status))
    if resp is None:
        return None
    if "$ref" in resp:
        resp = spec["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    schema = resp["content"]["application/json"]["schema"]
    return to_json_schema({**schema, "components": spec["components"]})
