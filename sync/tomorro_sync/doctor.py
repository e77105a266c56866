"""`tomorro-sync doctor --config FILE`: how a Tomorro account answers what the docs leave open, and how each
connector will read it. Run it first, against your real account.

Read-only: a handful of GET requests (no writes, so a create that does not echo `integration` cannot be seen
here; the destination checks that on every write). Each list answer is read by the source's own envelope
reader (`components.read_list_page`): the one place that knows envelopes, so what the doctor can read, the
connectors can. Exit 1, naming the problem, when the account behaves in a way neither connector can handle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from . import report
from .errors import SyncError
from .target import Target

LISTS = {"contracts": "contracts", "counterparties": "data", "members": "data", "smart-fields": "data",
         "contract-types": "contractTypes"}
NEEDED = {"contracts": ("updatedAt", "fields", "integration"), "counterparties": ("updatedAt", "fields")}
PAGE = 50
API_VERSION = "2025-01-29.alpha"  # the connectors' `tomorro-version`
HEADER_HINTS = ("ratelimit", "rate-limit", "retry-after", "deprecation", "sunset", "tomorro-version")


@dataclass
class Findings:
    envelopes: dict[str, str] = field(default_factory=dict)
    slim: dict[str, list[str]] = field(default_factory=dict)  # list -> keys its items lack
    order: dict[str, str] = field(default_factory=dict)  # "contracts sort=updatedAt" -> honoured | ignored | ...
    largest_limit: str = ""
    statuses: dict[str, str] = field(default_factory=dict)  # list -> what its default list leaves out
    headers: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class Probe:
    """GET requests against the account, every answer's interesting headers kept."""

    def __init__(self, target: Target, findings: Findings):
        from source_tomorro.run import register_components

        self.target, self.findings = target, findings
        self.read_list_page = register_components().read_list_page

    def get(self, path: str, **params: Any) -> requests.Response:
        try:  # the headers the connectors send, so that the API's version headers answer for them
            response = requests.get(f"{self.target.base_url}/{path}", params=params, timeout=15,
                                    headers={"x-api-key": self.target.api_key, "tomorro-version": API_VERSION})
        except requests.RequestException as error:
            raise SyncError(f"Cannot reach {self.target.base_url}: {type(error).__name__}.") from None
        if response.status_code in (401, 403):
            raise SyncError(f"Tomorro rejected the API key (HTTP {response.status_code}): check `api_key`.")
        for name, value in response.headers.items():
            if any(hint in name.lower() for hint in HEADER_HINTS):
                self.findings.headers[name] = value
        return response

    def page(self, path: str, **params: Any) -> tuple[list | None, int]:
        """The items of one list page (None when refused), and the status."""
        response = self.get(path, limit=params.pop("limit", PAGE), **params)
        if response.status_code >= 400:
            return None, response.status_code
        try:
            return self.read_list_page(response.json(), LISTS[path], None).items, response.status_code
        except ValueError as error:  # not JSON
            raise SyncError(f"GET /{path} did not answer JSON ({error}): is `base_url` the Tomorro API?") from None


def examine(target: Target) -> Findings:
    findings = Findings()
    probe = Probe(target, findings)
    for path, items_key in LISTS.items():
        response = probe.get(path, limit=2)
        try:
            body = response.json()
            page = probe.read_list_page(body, items_key, 2)
        except Exception as error:  # noqa: BLE001 - the reader's own message names the shape
            findings.problems.append(f"GET /{path}: {getattr(error, 'message', None) or error}")
            findings.envelopes[path] = "unreadable"
            continue
        findings.envelopes[path] = describe_envelope(body, items_key)
        if path in NEEDED and page.items:
            missing = sorted({key for item in page.items for key in NEEDED[path] if key not in item})
            findings.slim[path] = missing
    for path in NEEDED:
        if findings.envelopes.get(path) != "unreadable":
            _examine_order(probe, path, findings)
    findings.largest_limit = _largest_limit(probe)
    _examine_statuses(target, findings)
    return findings


def _examine_statuses(target: Target, findings: Findings) -> None:
    """Whether a list asked without `status` hides a status: its ids against those of the list asked for every
    status by name (both walked whole, list pages only; the connectors always name every status)."""
    from .id_listing import LISTS, Lister

    lister = Lister(target)
    for stream in LISTS:
        try:
            default, every = lister.list(stream, statuses=()), lister.list(stream)
        except SyncError as error:
            findings.statuses[stream] = f"not verifiable ({error})"
            continue
        hidden = len(set(every.updated) - set(default.updated))
        unasked = len(set(default.updated) - set(every.updated))
        verdict = (f"hides {hidden:,} of {len(every.updated):,}" if hidden else
                   f"shows every status ({len(every.updated):,})")
        if unasked:  # a status the connectors do not name: they would miss those records
            findings.problems.append(f"GET /{stream}: {unasked:,} records of the default list are missing when every "
                                     "documented status is named: a status this connector does not know")
        findings.statuses[stream] = verdict + (f" ({'; '.join(every.notes)})" if every.notes else "")


def describe_envelope(body: Any, items_key: str) -> str:
    from source_tomorro.run import register_components

    shape = register_components().envelope_shape(body, items_key)
    if shape["items"] is None:
        return "bare array"
    parts = [f"items in `{shape['items']}`"]
    parts.append(f"cursor `{shape['cursor']}`" if shape["cursor"] else "no cursor")
    parts.append(f"has-next `{shape['has_next']}`" if shape["has_next"] else "no has-next flag")
    return ", ".join(parts)


def _order_of(items: list | None, field_name: str) -> str | None:
    from source_tomorro.run import register_components

    parse = register_components().parse_instant
    values = [parse(item.get(field_name)) for item in items or [] if parse(item.get(field_name))]
    if len(values) < 2:
        return None
    if all(a <= b for a, b in zip(values, values[1:], strict=False)):
        return "ascending"
    if all(a >= b for a, b in zip(values, values[1:], strict=False)):
        return "descending"
    return "none"


def _examine_order(probe: Probe, path: str, findings: Findings) -> None:
    """Sort both ways, then (contracts) the undocumented `updatedAt=gte:` filter at a bound inside the data.
    Slim items carry no `updatedAt`: their order is read on the items fetched whole (a few requests)."""
    ascending, status = probe.page(path, sort="updatedAt")
    descending, status_desc = probe.page(path, sort="-updatedAt")
    if findings.slim.get(path) and "updatedAt" in findings.slim[path]:
        ascending = [probe.get(f"{path}/{item['id']}").json() for item in (ascending or [])[:10]]
        descending = [probe.get(f"{path}/{item['id']}").json() for item in (descending or [])[:10]]
    findings.order[f"{path} sort=updatedAt"] = _verdict(ascending, status, "ascending")
    findings.order[f"{path} sort=-updatedAt"] = _verdict(descending, status_desc, "descending")
    if path != "contracts" or not ascending or len(ascending) < 4:
        return
    bound = ascending[len(ascending) // 2].get("updatedAt")
    filtered, status = probe.page(path, sort="updatedAt", updatedAt=f"gte:{bound}")
    if filtered is None:
        findings.order[f"{path} updatedAt=gte:"] = f"refused (HTTP {status})"
        return
    from source_tomorro.run import register_components

    parse = register_components().parse_instant
    below = [item for item in filtered if parse(item.get("updatedAt")) and parse(item["updatedAt"]) < parse(bound)]
    findings.order[f"{path} updatedAt=gte:"] = "ignored" if below else "honoured"


def _verdict(items: list | None, status: int, wanted: str) -> str:
    if items is None:
        return f"refused (HTTP {status})"
    order = _order_of(items, "updatedAt")
    if order is None:
        return "not verifiable (fewer than 2 dated items)"
    return "honoured" if order == wanted else "ignored"


def _largest_limit(probe: Probe) -> str:
    accepted = [limit for limit in (50, 100) if probe.get("members", limit=limit).status_code < 400]
    return f"{max(accepted)} (the connectors ask 50 at most)" if accepted else "below 50 (set `page_size` lower)"


def strategies(findings: Findings) -> list[tuple[str, str]]:
    """What each connector will do with what was found (source-tomorro/README.md, "How contracts and
    counterparties are read"; destination-tomorro/README.md)."""
    order = findings.order
    asc, flt = order.get("contracts sort=updatedAt"), order.get("contracts updatedAt=gte:")
    if asc == "honoured" and flt == "honoured":
        contracts = "ranges of updatedAt read side by side, split while reading"
    elif asc == "honoured":
        newest = order.get("contracts sort=-updatedAt") == "honoured"
        contracts = "first sync: one ascending chain from the start; later syncs: " + (
            "newest first, stopping at the saved position" if newest else "the whole list")
    else:
        contracts = "every page read and every record checked, on every sync (no order to stop on)"
    cp_asc, cp_desc = order.get("counterparties sort=updatedAt"), order.get("counterparties sort=-updatedAt")
    counterparties = ("first sync ascending (checkpointed), later syncs newest first"
                      if cp_asc == "honoured" and cp_desc == "honoured"
                      else "every page read and every record checked, on every sync")
    rows = [("source: contracts", contracts), ("source: counterparties", counterparties)]
    for path, missing in findings.slim.items():
        if missing:
            rows.append((f"source: {path}", f"items lack {', '.join(missing)}: each fetched whole (+1 request per item)"))
    contract_slim = findings.slim.get("contracts") or []
    rows.append(("destination: contract matching", "lists every contract once per sync" + (
        "; items lack integration: each fetched whole to read its externalId" if "integration" in contract_slim
        else "")))
    return rows


def run_doctor(target: Target) -> int:
    report.step(f"Probing {target.base_url} (GET requests only)")
    findings = examine(target)
    report.table("list answers", ["list", "envelope", "items lack"],
                 [(f"GET /{path}", envelope, ", ".join(findings.slim.get(path, [])) or "-")
                  for path, envelope in findings.envelopes.items()])
    report.table("order and filters", ["request", "the API"], sorted(findings.order.items()))
    report.table("statuses (the connectors name every status on each list request)", ["list", "without `status`"],
                 [(f"GET /{path}", verdict) for path, verdict in findings.statuses.items()])
    report.table("limits and headers", ["what", "seen"],
                 [("largest accepted limit", findings.largest_limit)]
                 + [(f"header {name}", value) for name, value in sorted(findings.headers.items())]
                 + ([] if findings.headers else [("version / deprecation / rate-limit headers", "none seen")]))
    report.table("how the connectors will read this account", ["connector", "strategy"], strategies(findings))
    for problem in findings.problems:
        report.error(problem)
    if findings.problems:
        report.note("Neither connector can read this account as it answers: send the lines above to us.")
        return 1
    report.note("Both connectors can read this account.")
    return 0
