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


def test_spec_is_generated_from_the_model():
    spec = connection_specification()
    props = spec["properties"]
    assert spec["required"] == ["api_key"]
    assert props["api_key"]["airbyte_secret"] is True
    assert set(props) == set(DestinationTomorroConfig.model_fields)
    assert props["integration_type"]["enum"] == ["salesforce", "hubspot"]
    assert "anyOf" not in str(spec)
    assert props["max_concurrency"]["maximum"] == 16
