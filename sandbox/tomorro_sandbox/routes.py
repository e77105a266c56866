"""The API's table of contents: METHOD + path template -> handler (tomorro-api.md §1 order).

The template (e.g. `/v2/contracts/{id}`) is also the key under which /_sandbox/stats counts.
"""

import re

from . import handlers as H

BASE = "/v2"
API_ROUTES = [
    ("GET", "/contracts", H.list_contracts),
    ("POST", "/contracts", H.post_contract),
    ("GET", "/contracts/{id}", H.get_contract),
    ("PATCH", "/contracts/{id}", H.patch_contract_),
    ("GET", "/contracts/{id}/signed-files", H.contract_signed_files),
    ("GET", "/contracts/{id}/clauses", H.contract_clauses),
    ("GET", "/counterparties", H.list_counterparties),
    ("POST", "/counterparties", H.post_counterparty),
    ("GET", "/counterparties/{id}", H.get_counterparty),
    ("PATCH", "/counterparties/{id}", H.patch_counterparty_),
    ("GET", "/members", H.list_members),
    ("GET", "/members/{id}", H.get_member),
    ("GET", "/contract-types", H.list_contract_types),
    ("GET", "/contract-types/{id}/templates", H.contract_type_templates),
    ("GET", "/contract-types/{id}/creation-form", H.creation_form),
    ("GET", "/smart-fields", H.list_smart_fields),
    ("GET", "/smart-fields/{id}/options", H.list_options),
    ("GET", "/custom-objects/{id}", H.get_custom_object),
    ("PUT", "/custom-objects/{customObjectId}/contract/{contractId}/records", H.put_contract_records),
    ("GET", "/clauses", H.list_clauses),
]


def _compile(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "/?$")


class Router:
    def __init__(self, routes, base: str = ""):
        self.routes = [(m, base + t, _compile(base + t), h) for m, t, h in routes]

    def match(self, method: str, path: str):
        """-> (template, handler, params); handler None when no route (404) or wrong method."""
        template = None
        for m, t, pattern, handler in self.routes:
            found = pattern.match(path)
            if found:
                if m == method:
                    return t, handler, found.groupdict()
                template = t
        return template, None, {}


API = Router(API_ROUTES, BASE)
