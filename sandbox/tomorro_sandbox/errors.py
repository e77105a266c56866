"""One error shape for every failure: NestJS's default exception body [ASSUMED].

`{"statusCode": 400, "message": [...] | "...", "error": "Bad Request"}`; validation errors (400)
carry a list of messages, every other error a single string.
"""

from http import HTTPStatus


class ApiError(Exception):
    def __init__(self, status: int, message, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict:
        return {"statusCode": self.status, "message": self.message, "error": HTTPStatus(self.status).phrase}


class BadRequest(ApiError):
    """A validation failure; collects every problem so the client sees them all at once."""

    def __init__(self, messages):
        if isinstance(messages, str):
            messages = [messages]
        super().__init__(400, list(messages))


class Unauthorized(ApiError):
    def __init__(self, message: str = "Invalid or missing API key"):
        super().__init__(401, message)


class NotFound(ApiError):
    def __init__(self, message: str):
        super().__init__(404, message)


class Conflict(ApiError):
    def __init__(self, message: str):
        super().__init__(409, message)


class Gone(ApiError):
    def __init__(self, message: str):
        super().__init__(410, message)


class Unprocessable(ApiError):
    def __init__(self, message: str):
        super().__init__(422, message)


class TooManyRequests(ApiError):
    def __init__(self, retry_after: int):
        super().__init__(429, "ThrottlerException: Too Many Requests", {"Retry-After": str(retry_after)})


def not_found(kind: str, ident: str) -> NotFound:
    return NotFound(f"{kind} with id '{ident}' not found")


def route_not_found(method: str, path: str) -> NotFound:
    # NestJS's router wording for an unknown route.
    return NotFound(f"Cannot {method} {path}")
