"""components.py, section 4: custom smart fields as typed columns (the column-naming rule, the schema loader and
the record transformation). Both read the definitions from the manifest's `smart_fields_of_kind` stream; a
stand-in stream serves them here (the real one is read in integration/test_contracts.py::TestDiscover)."""

from __future__ import annotations

import json

import pytest
from airbyte_cdk.sources.types import Record
from source_tomorro.run import register_components

components = register_components()


class FakeStream:
    """Like the CDK's DefaultStream for this purpose: partitions whose `read()` yields Records."""

    def __init__(self, *pages):
        self.pages, self.reads = pages, 0

    def generate_partitions(self):
        self.reads += 1
        for page in self.pages:
            yield FakePartition(page)


class FakePartition:
    def __init__(self, records):
        self.records = records

    def read(self):
        yield from (Record(data=record, stream_name="smart_fields_of_kind") for record in self.records)


class TestColumnNamingRule:
    def test_readable_name_plus_id_prefix(self):
        columns = components.custom_field_columns([{"id": "0f1e2d3c-aaaa-4bbb-8ccc-000000000000",
                                                    "name": "Contract value (€)", "type": "number"}])
        assert columns == {"0f1e2d3c-aaaa-4bbb-8ccc-000000000000": ("cf_contract_value_0f1e2d3c", "number")}

    def test_two_fields_with_the_same_name_get_different_columns(self):
        columns = components.custom_field_columns([{"id": "11111111-0000-4000-8000-000000000001", "name": "Region"},
                                                   {"id": "22222222-0000-4000-8000-000000000002", "name": "Region"}])
        assert len({column for column, _ in columns.values()}) == 2

    def test_renamed_field_keeps_its_id_suffix_and_never_takes_another_fields_column(self):
        before = components.custom_field_columns([{"id": "11111111-0000-4000-8000-000000000001", "name": "Old name"},
                                                  {"id": "22222222-0000-4000-8000-000000000002", "name": "New name"}])
        after = components.custom_field_columns([{"id": "11111111-0000-4000-8000-000000000001", "name": "New name"},
                                                 {"id": "22222222-0000-4000-8000-000000000002", "name": "New name"}])
        assert after["11111111-0000-4000-8000-000000000001"][0] == "cf_new_name_11111111"
        assert after["11111111-0000-4000-8000-000000000001"][0] != before["22222222-0000-4000-8000-000000000002"][0]

    def test_ids_sharing_their_first_8_hex_digits_fall_back_to_the_full_id(self):
        columns = components.custom_field_columns([{"id": "abcdef12-0000-4000-8000-000000000001", "name": "A"},
                                                   {"id": "abcdef12-0000-4000-8000-000000000002", "name": "A"}])
        assert sorted(c for c, _ in columns.values()) == ["cf_a_abcdef12000040008000000000000001",
                                                          "cf_a_abcdef12000040008000000000000002"]

    @pytest.mark.parametrize("name,slug", [("", "field"), ("  ", "field"), ("Été / Durée", "ete_duree"),
                                           ("A" * 80, "a" * 40)])
    def test_slug_edge_cases(self, name, slug):
        assert components.slugify(name) == slug


class TestCustomFieldsSchemaLoader:
    def test_every_page_becomes_typed_columns_and_an_unknown_type_none(self):
        page1 = [{"id": f"0000000{i}-0000", "name": t, "type": t} for i, t in enumerate(components.FIELD_TYPE_SCHEMAS)]
        page2 = [{"id": "99999999-0000", "name": "Unknown kind", "type": "hologram"}]
        stream = FakeStream(page1, page2)
        loader = components.CustomFieldsSchemaLoader(smart_fields=stream)

        schema = loader.get_json_schema()
        loader.get_json_schema()  # cached

        properties = schema["properties"]
        assert properties["cf_number_00000001"]["type"] == ["null", "number"]
        assert properties["cf_date_00000002"] == {"type": ["null", "string"], "format": "date"}
        assert properties["cf_multiselect_00000004"]["items"] == {"type": "string"}
        assert properties["cf_duration_00000006"]["type"] == ["null", "object"]
        assert len(properties) == len(components.FIELD_TYPE_SCHEMAS)  # unknown type: no column
        assert stream.reads == 1


class TestFlattenCustomFields:
    @staticmethod
    def _transformation(object_kind="contract"):
        stream = FakeStream([{"id": "aaaaaaaa-1", "name": "Value", "type": "number"},
                             {"id": "bbbbbbbb-2", "name": "Term", "type": "duration"}])
        return components.FlattenCustomFields(smart_fields=stream, object_kind=object_kind), stream

    def test_contract_list_values_become_columns_with_join_keys(self):
        transformation, stream = self._transformation()
        record = {"fields": [{"attributeDefinitionId": "aaaaaaaa-1", "name": "Value", "value": 3}],
                  "counterparty": {"id": "cp"}, "contractType": {"id": "ct"}, "template": {"id": "tp"}}
        transformation.transform(record)
        transformation.transform({"fields": []})
        assert record["cf_value_aaaaaaaa"] == 3
        assert (record["counterpartyId"], record["contractTypeId"], record["templateId"]) == ("cp", "ct", "tp")
        assert stream.reads == 1  # definitions listed once per sync

    def test_counterparty_map_values_become_columns(self):
        transformation, _ = self._transformation("external_party")
        record = {"fields": {"bbbbbbbb-2": {"value": 2, "unit": "years"}, "unknown": 1}}
        transformation.transform(record)
        assert record["cf_term_bbbbbbbb"] == {"value": 2, "unit": "years"}
        assert "counterpartyId" not in record and "unknown" not in json.dumps(list(record))

    def test_template_id_prefers_the_top_level_value(self):
        transformation, _ = self._transformation()
        record = {"templateId": "top", "template": {"id": "nested"}, "fields": None}
        transformation.transform(record)
        assert record["templateId"] == "top"


class TestOneListingPerRead:
    """The schema loader and the flattener built together for one stream share one listing (paired_listing)."""

    _DEFINITIONS = [{"id": "aaaaaaaa-1", "name": "Value", "type": "number"}]

    @staticmethod
    def _pair(config, stream, object_kind="contract"):
        """Built as the CDK builds one stream: the schema loader, then the transformation, with one config."""
        return (components.CustomFieldsSchemaLoader(smart_fields=stream, object_kind=object_kind, config=config),
                components.FlattenCustomFields(smart_fields=stream, object_kind=object_kind, config=config))

    def test_the_pair_lists_once_and_agrees_whichever_asks_first(self):
        stream, config = FakeStream(self._DEFINITIONS), {"api_key": "k"}
        loader, flattener = self._pair(config, stream)
        record = {"fields": [{"attributeDefinitionId": "aaaaaaaa-1", "value": 3}]}
        flattener.transform(record)  # a worker may transform the first record before the schema is asked for
        assert set(loader.get_json_schema()["properties"]) == {"cf_value_aaaaaaaa"} and record["cf_value_aaaaaaaa"] == 3
        assert stream.reads == 1

    def test_each_read_lists_afresh_even_with_the_same_config_object(self):
        stream, config = FakeStream(self._DEFINITIONS), {"api_key": "k"}
        for _ in range(2):  # two commands in one process (tests, PyAirbyte)
            loader, flattener = self._pair(config, stream)
            loader.get_json_schema()
            flattener.transform({"fields": []})
        assert stream.reads == 2

    def test_a_listing_already_made_is_never_taken_by_a_later_build(self):
        stream, config = FakeStream(self._DEFINITIONS), {"api_key": "k"}
        components.CustomFieldsSchemaLoader(smart_fields=stream, object_kind="contract",
                                            config=config).get_json_schema()  # discover: a schema alone
        stream.pages = ([{"id": "bbbbbbbb-2", "name": "Created since", "type": "text"}],)
        loader, flattener = self._pair(config, stream)  # then a read in the same process
        record = {"fields": [{"attributeDefinitionId": "bbbbbbbb-2", "value": "x"}]}
        flattener.transform(record)
        assert set(loader.get_json_schema()["properties"]) == {"cf_created_since_bbbbbbbb"}
        assert record["cf_created_since_bbbbbbbb"] == "x"
        assert stream.reads == 2

    def test_other_configs_and_object_kinds_never_share(self):
        stream = FakeStream(self._DEFINITIONS)
        components.CustomFieldsSchemaLoader(smart_fields=stream, object_kind="contract",
                                            config={"api_key": "a"}).get_json_schema()
        components.FlattenCustomFields(smart_fields=stream, object_kind="contract",
                                       config={"api_key": "b"}).transform({"fields": []})
        config = {"api_key": "c"}
        loader = components.CustomFieldsSchemaLoader(smart_fields=stream, object_kind="contract", config=config)
        flattener = components.FlattenCustomFields(smart_fields=stream, object_kind="external_party", config=config)
        loader.get_json_schema()
        flattener.transform({"fields": {}})
        assert stream.reads == 4
