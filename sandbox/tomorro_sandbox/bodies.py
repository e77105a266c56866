"""Checks shared by every write rule on a JSON body: its shape, unknown properties, string
properties and member ids, each problem appended to `errors` as a message naming the field."""

from .errors import BadRequest


def object_body(body) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def forbid_unknown(body: dict, allowed: set, errors: list) -> None:
    # NestJS ValidationPipe with forbidNonWhitelisted [ASSUMED]
    errors.extend(f"property {k} should not exist" for k in body if k not in allowed)


def member_by_id(store, mid, path: str, errors: list):
    m = store.members.get(mid) if isinstance(mid, str) else None
    if m is None:
        errors.append(f"{path}: member '{mid}' not found")
    return m


def string_field(body: dict, key: str, errors: list, required: bool = False):
    v = body.get(key)
    if v is None:
        if required:
            errors.append(f"{key} should not be empty")
        return None
    if not isinstance(v, str) or (required and not v.strip()):
        errors.append(f"{key} must be a non-empty string")
        return None
    return v
