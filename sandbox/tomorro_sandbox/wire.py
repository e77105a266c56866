"""Request and response values passed between the HTTP layer and the handlers."""

from dataclasses import dataclass, field

import orjson

from .errors import BadRequest


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict  # one value per parameter (the last one wins)
    headers: object  # case-insensitive mapping (http.client.HTTPMessage)
    raw_body: bytes = b""
    root_url: str = ""  # scheme://host:port the client used, for absolute URLs we hand out

    def json(self):
        if not self.raw_body:
            raise BadRequest("request body must be a JSON object")
        try:
            return orjson.loads(self.raw_body)
        except orjson.JSONDecodeError as e:
            raise BadRequest(f"request body is not valid JSON: {e}") from None


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


def ok(obj, status: int = 200) -> Response:
    return Response(status, orjson.dumps(obj))


def raw(body: bytes, status: int = 200) -> Response:
    return Response(status, body)
