import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from destination_tomorro.config import DestinationTomorroConfig, connection_specification


def parse(**overrides):
    return DestinationTomorroConfig.parse({"api_key": "k", **overrides})


def test_defaults():
    cfg = parse()
    assert cfg.base_url == "https://api.tomorro.com/v2"
    assert cfg.max_rejected_ratio == 0 and cfg.dry_run is False and cfg.counterparty_match_field == "name"
    assert 1 <= cfg.max_concurrency <= 16


def test_every_default_in_code_equals_the_spec_default():
    """The client's and the retry policy's own defaults are the spec's, never a second opinion."""
    import inspect

    from destination_tomorro.client import TomorroClient
    from destination_tomorro.transport import RetryPolicy

    spec = connection_specification()["properties"]
    client_defaults = inspect.signature(TomorroClient).parameters
    assert RetryPolicy().max_retries == client_defaults["max_retries"].default == spec["max_retries"]["default"]
    assert client_defaults["timeout"].default == spec["request_timeout_seconds"]["default"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/v2", "http://localhost/v2", "https://eu.tomorro.com/v2/"])
def test_base_url_accepted(url):
    assert parse(base_url=url).base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"base_url": "http://api.tomorro.com/v2"}, "base_url"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"max_concurrency": 500}, "max_concurrency"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_rejected_ratio": 1.5}, "max_rejected_ratio"),
        ({"integration_type": "pipedrive"}, "integration_type"),
        ({"object_mapping": {"accounts": "deal"}}, "object_mapping.accounts"),
        ({"requests_per_minute": 0}, "requests_per_minute"),
        ({"request_timeout_seconds": 0}, "request_timeout_seconds"),
        ({"max_retries": 11}, "max_retries"),
        ({"api_kee": "typo"}, "api_kee"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(AirbyteTracedException) as info:
        parse(**overrides)
    assert info.value.failure_type == FailureType.config_error
    assert f"{field}:" in info.value.message


def test_missing_api_key_named_and_secret_never_echoed():
    with pytest.raises(AirbyteTracedException) as info:
        DestinationTomorroConfig.parse({"base_url": "http://evil.example/v2?k=s3cr3t-value"})
    assert "api_key: Field required" in info.value.message
    with pytest.raises(AirbyteTracedException) as info:
        parse(api_key="s3cr3t-value", base_url="http://remote.example/v2")
    assert "s3cr3t-value" not in info.value.message


def test_object_mapping_accepts_plural_aliases():
    assert parse(object_mapping={"a": "Counterparties", "b": "contracts"}).object_mapping == {"a": "counterparty", "b": "contract"}


def test_the_former_object_mapping_becomes_stream_entries():
    cfg = parse(object_mapping={"a": "counterparty"}, streams=[{"stream": "b", "object": "Contracts", "match_key": " Id "}])
    assert [(e.stream, e.object, e.match_key) for e in cfg.streams] == [("b", "contract", "Id"), ("a", "counterparty", None)]
    assert cfg.stream_mapping("a").object == "counterparty" and cfg.stream_mapping("zzz") is None


@pytest.mark.parametrize("overrides, message", [
    ({"streams": [{"stream": "a", "object": "contract"}, {"stream": "a", "object": "contract"}]},
     "streams: a listed more than once"),
    ({"streams": [{"stream": "a", "object": "contract"}], "object_mapping": {"a": "counterparty"}},
     "object_mapping: stream 'a' is mapped to counterparty there and to contract in streams"),
    ({"streams": [{"stream": "a", "object": "deal"}]}, "streams.0.object:"),
    ({"streams": [{"stream": " ", "object": "contract"}]}, "streams.0.stream: must not be empty"),
    ({"streams": [{"stream": "a", "object": "contract", "key": "x"}]}, "streams.0.key: unknown configuration key"),
])
def test_a_bad_stream_mapping_names_the_field(overrides, message):
    with pytest.raises(AirbyteTracedException) as info:
        parse(**overrides)
    assert message in info.value.message


def test_the_api_key_is_trimmed_and_a_broken_one_named_without_quoting_it():
    assert parse(api_key="  tk_live_abc123\n").api_key == "tk_live_abc123"
    for broken in ("tk_live abc123", "tk_live\x00abc123", "tk_live_abc123é", "   "):
        with pytest.raises(AirbyteTracedException) as info:
            parse(api_key=broken)
        assert info.value.message.startswith("Invalid configuration: api_key: ")
        assert "abc123" not in info.value.message


@pytest.mark.parametrize(("url", "problem"), [
    ("https://user:s3cret-pass@api.tomorro.com/v2", "base_url: must not hold credentials"),
    ("https://api.tomorro.com/v2?token=s3cret-pass", "base_url: must not hold a query"),
    ("https://api.tomorro.com/v2#s3cret-pass", "base_url: must not hold a query (?...) or a fragment"),
    ("ftp://user:s3cret-pass@api.tomorro.com/v2", "base_url: is not an absolute http(s) URL"),
    ("s3cret-pass", "base_url: is not an absolute http(s) URL"),
    ("http://[s3cret-pass/v2", "base_url: is not an absolute http(s) URL"),
])
def test_a_base_url_that_may_hold_a_secret_is_refused_without_repeating_it(url, problem):
    with pytest.raises(AirbyteTracedException) as info:
        parse(base_url=url)
    assert problem in info.value.message and "s3cret-pass" not in info.value.message


def test_the_spec_is_a_form_airbyte_can_render():
    """As Airbyte's form builder reads it: every property reachable and typed, with a title, a
    description, an order and a known group; numbers bounded; the stream mapping an array of typed
    objects; no free-form object left visible (it would render as an empty group)."""
    spec = connection_specification()
    groups = {g["id"] for g in spec["groups"]}

    def check(props, where):
        orders = [p["order"] for p in props.values()]
        assert len(set(orders)) == len(orders), f"{where}: duplicate order"
        for name, prop in props.items():
            assert prop.get("type") in ("string", "integer", "number", "boolean", "array", "object"), (name, prop)
            assert prop.get("title") and prop.get("description"), name
            if prop["type"] in ("integer", "number"):
                assert "minimum" in prop or "exclusiveMinimum" in prop, name
                assert "maximum" in prop, name
            if prop["type"] == "object":
                assert prop.get("properties"), f"{name}: an object without properties renders as an empty group"
            if prop["type"] == "array" and prop["items"]["type"] == "string":
                assert "default" not in prop or prop["default"] == [], name  # a list of names (tags input)
            elif prop["type"] == "array":
                assert prop["items"]["type"] == "object" and prop["items"]["properties"], name
                check(prop["items"]["properties"], name)

    check(spec["properties"], "spec")
    assert all(p["group"] in groups for p in spec["properties"].values())
    assert "$ref" not in str(spec) and "$defs" not in spec and "anyOf" not in str(spec)
    assert spec["properties"]["streams"]["items"]["properties"]["object"]["enum"] == ["counterparty", "contract"]
    assert "object_mapping" not in spec["properties"]  # still read (test above), not in the form
    stream = spec["properties"]["streams"]["items"]["properties"]
    assert stream["empty_values"]["enum"] == ["skip", "clear"] and stream["empty_values"]["default"] == "skip"
    for name in ("if_empty_fields", "on_create_fields", "after_signature_fields"):
        assert stream[name]["type"] == "array" and stream[name]["items"]["type"] == "string", name
    assert stream["row_updated_at_column"]["type"] == "string"


def test_spec_is_generated_from_the_model():
    spec = connection_specification()
    props = spec["properties"]
    assert spec["required"] == ["api_key"]
    assert props["api_key"]["airbyte_secret"] is True
    assert set(props) == set(DestinationTomorroConfig.model_fields) - {"object_mapping"}
    assert props["integration_type"]["enum"] == ["salesforce", "hubspot"]
    assert "anyOf" not in str(spec)
    assert props["max_concurrency"]["maximum"] == 16
