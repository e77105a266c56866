"""run.py: the console script's two process tunings leave every byte it prints the same.

`skip_attribute_docstrings` replaces a public function of attributes-doc that serpyco-rs binds at its import; the
pin below is the one labelled place that depends on serpyco-rs's internals (re-measure, then re-pin)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

_MESSAGES = '''
import sys
if TUNED:
    from destination_tomorro.run import skip_attribute_docstrings
    assert skip_attribute_docstrings()
import orjson
from airbyte_cdk.models import AirbyteMessageSerializer, ConfiguredAirbyteCatalogSerializer
from destination_tomorro import DestinationTomorro

destination = DestinationTomorro()
lines = list(destination.run_lines(destination.parse_args(["spec"])))
stream = {"stream_descriptor": {"name": "crm_accounts", "namespace": "crm"}}
messages = [  # what the destination reads (RECORD, STATE) and every kind of message it writes
    {"type": "RECORD", "record": {"stream": "crm_accounts", "namespace": "crm", "emitted_at": 1,
                                  "data": {"name": "Acme", "n": [1, 2.5, None], "nested": {"a": True}}}},
    {"type": "STATE", "state": {"type": "STREAM", "stream": {**stream, "stream_state": {"cursor": "c1"}},
                                "sourceStats": {"recordCount": 3.0}, "destinationStats": {"recordCount": 3.0}}},
    {"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {"s": 1}, "stream_states": [
        {**stream, "stream_state": {"cursor": "c2"}}]}}},
    {"type": "LOG", "log": {"level": "INFO", "message": "stream 'crm_accounts' -> counterparty: received 3"}},
    {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 1.5, "error": {
        "message": "m", "internal_message": "i", "stack_trace": "s", "failure_type": "config_error"}}},
    {"type": "TRACE", "trace": {"type": "ANALYTICS", "emitted_at": 2.0, "analytics": {
        "type": "tomorro_destination_report", "value": "{}"}}},
    {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": "no"}},
]
lines += [orjson.dumps(AirbyteMessageSerializer.dump(AirbyteMessageSerializer.load(m))).decode() for m in messages]
catalog = {"streams": [{"stream": {"name": "crm_accounts", "namespace": "crm", "json_schema": {"type": "object"},
           "supported_sync_modes": ["full_refresh", "incremental"]}, "sync_mode": "incremental",
           "destination_sync_mode": "append_dedup", "primary_key": [["name"]], "generation_id": 1}]}
lines.append(orjson.dumps(ConfiguredAirbyteCatalogSerializer.dump(ConfiguredAirbyteCatalogSerializer.load(catalog))
                          ).decode())
print("\\n".join(lines))
'''


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done


def test_skipping_attribute_docstrings_leaves_every_message_byte_for_byte_the_same():
    tuned, untuned = (_python(_MESSAGES.replace("TUNED", str(tuned))).stdout for tuned in (True, False))
    assert tuned.count(b"\n") == 9 and tuned == untuned


def test_the_console_script_prints_the_spec_byte_for_byte_as_the_untuned_destination_does():
    """The whole process: `destination-tomorro spec` (both tunings) against the destination run as it was before
    them (no tuning, Python's own exit)."""
    script = shutil.which("destination-tomorro") or str(Path(sys.executable).parent / "destination-tomorro")
    tuned = subprocess.run([script, "spec"], capture_output=True, timeout=120)
    untuned = _python("import sys\nfrom destination_tomorro.destination import DestinationTomorro\n"
                      "DestinationTomorro().run(sys.argv[1:])", "spec")
    assert tuned.returncode == 0 and tuned.stdout.startswith(b'{"type":"SPEC"') and tuned.stdout == untuned.stdout


def test_the_console_script_tunes_before_anything_imports_the_cdk():
    """Importing the package or run.py imports no CDK (the package export is loaded on first use), so the
    console script's tuning is in place when the CDK's serializers are built."""
    done = _python("import sys\nimport destination_tomorro.run as script\n"
                   "assert not [m for m in sys.modules if m.split('.')[0] in ('airbyte_cdk', 'serpyco_rs')]\n"
                   "script.run(['spec'])\n"
                   "import attributes_doc, serpyco_rs._utils\n"
                   "assert serpyco_rs._utils._get_attributes_doc is script._no_attribute_docstrings\n")
    assert done.stdout.startswith(b'{"type":"SPEC"')


def test_skipping_attribute_docstrings_is_pinned_to_the_versions_it_was_measured_on():
    from importlib.metadata import version

    import attributes_doc
    import serpyco_rs._utils

    assert (version("serpyco-rs"), version("attributes-doc")) == ("1.23.0", "0.5.0"), \
        "re-measure run.skip_attribute_docstrings (the start-up it saves, the messages it leaves equal), then pin"
    # serpyco-rs binds the public function at its import: that is the name the tuning replaces
    assert serpyco_rs._utils._get_attributes_doc is attributes_doc.get_attributes_doc


def test_skipping_attribute_docstrings_is_a_no_op_once_serpyco_is_imported():
    import serpyco_rs  # noqa: F401
    from destination_tomorro.run import skip_attribute_docstrings

    assert skip_attribute_docstrings() is False
