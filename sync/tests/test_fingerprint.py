"""The smart-field fingerprint `pull` reuses its catalog by: the same digest whichever reader reads the answers,
for every envelope the sandbox can serve, and no CDK import for the documented one (1.3 s a pull)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tomorro_sandbox import SandboxServer
from tomorro_sandbox.assumptions import API_PROFILES
from tomorro_sync.target import OtherEnvelope, Target, documented_page


@pytest.mark.parametrize("profile", [None, *API_PROFILES])
def test_given_any_envelope_then_the_fingerprint_is_the_one_the_source_reader_gives(profile):
    with SandboxServer(seed=4, contracts=5, counterparties=5, fields=70, members=2,
                       api_profiles=[profile] if profile else []) as sb:
        target = Target(api_key=sb.api_key, base_url=sb.url)
        fingerprint = target.smart_fields_fingerprint()
        assert fingerprint is not None
        assert fingerprint == target.smart_fields_fingerprint(any_envelope=True)


def test_given_the_documented_envelope_then_the_fingerprint_does_not_load_the_cdk():
    with SandboxServer(seed=4, contracts=5, counterparties=5, fields=70, members=2) as sb:
        code = ("import sys; from tomorro_sync.target import Target; "
                f"t = Target(api_key={sb.api_key!r}, base_url={sb.url!r}); assert t.smart_fields_fingerprint(); "
                "print(sorted(m for m in sys.modules if m.startswith('airbyte')))")
        loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


@pytest.mark.parametrize("body", [
    {"data": [{"id": 1}], "pagination": {"has_next": True, "next_cursor": None}},  # more, but no cursor
    {"data": [{"id": 1}], "pagination": {"has_next": False}, "nextCursor": "x"},  # a key the source reads first
    {"data": [{"id": 1}], "pagination": {"hasNext": False}},
    {"data": ["not an object"], "pagination": {"has_next": False}},
    {"smartFields": [], "pagination": {"has_next": False}}, [{"id": 1}], None])
def test_given_an_answer_outside_the_documented_envelope_then_the_source_reader_must_read_it(body):
    with pytest.raises(OtherEnvelope):
        documented_page(body)
