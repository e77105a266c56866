"""components.py, section 4: custom smart fields as typed columns (the column-naming rule, the schema loader and
the record transformation). Both read the definitions from the manifest's `smart_fields_of_kind` stream; a
stand-in stream serves them here (the real one is read in integration/test_contracts.py::TestDiscover)."""

from __future__ import annotations

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
    """The columns filled are the ones the stream's schema declares, found by the naming rule's id suffix."""

    _DEFINITIONS = [{"id": "aaaaaaaa-1", "name": "Value", "type": "number"},
                    {"id": "bbbbbbbb-2", "name": "Term", "type": "duration"}]

    @classmethod
    def _schema(cls, definitions=None, joins=components.JOIN_KEYS):
        """The stream's schema: its static columns (here the join keys) merged with the custom-field columns."""
        loader = components.CustomFieldsSchemaLoader(smart_fields=FakeStream(definitions or cls._DEFINITIONS))
        properties = dict(loader.get_json_schema()["properties"])
        properties.update({key: {"type": ["null", "string"]} for key in joins})
        return {"type": "object", "properties": properties}

    def test_contract_list_values_become_columns_with_join_keys(self):
        flattener, schema = components.FlattenCustomFields(), self._schema()
        record = {"fields": [{"attributeDefinitionId": "aaaaaaaa-1", "name": "Value", "value": 3}],
                  "counterparty": {"id": "cp"}, "contractType": {"id": "ct"}, "template": {"id": "tp"}}
        flattener.transform(record, schema)
        assert record["cf_value_aaaaaaaa"] == 3
        assert (record["counterpartyId"], record["contractTypeId"], record["templateId"]) == ("cp", "ct", "tp")

    def test_counterparty_map_values_become_columns_and_no_join_key_the_schema_lacks(self):
        flattener, schema = components.FlattenCustomFields(), self._schema(joins=())
        record = {"fields": {"bbbbbbbb-2": {"value": 2, "unit": "years"}, "unknown": 1}}
        flattener.transform(record, schema)
        assert record["cf_term_bbbbbbbb"] == {"value": 2, "unit": "years"}
        assert set(record) == {"fields", "cf_term_bbbbbbbb"}

    def test_a_field_the_schema_has_no_column_for_stays_in_the_raw_fields_only(self):
        flattener, schema = components.FlattenCustomFields(), self._schema()
        created_since = {"attributeDefinitionId": "cccccccc-3", "name": "Created mid-sync", "value": "x"}
        record = {"fields": [created_since]}
        flattener.transform(record, schema)
        assert set(record) - {"fields", *components.JOIN_KEYS} == set() and record["fields"] == [created_since]

    def test_ids_sharing_their_first_8_hex_digits_each_find_their_own_column(self):
        definitions = [{"id": "abcdef12-0000-4000-8000-000000000001", "name": "A", "type": "text"},
                       {"id": "abcdef12-0000-4000-8000-000000000002", "name": "A", "type": "text"}]
        flattener, schema = components.FlattenCustomFields(), self._schema(definitions)
        record = {"fields": {d["id"]: d["id"][-1] for d in definitions}}
        flattener.transform(record, schema)
        assert record["cf_a_abcdef12000040008000000000000001"] == "1"
        assert record["cf_a_abcdef12000040008000000000000002"] == "2"

    def test_a_suffix_two_columns_share_is_never_guessed(self):
        schema = {"properties": {"cf_a_abcdef12": {}, "cf_b_abcdef12": {}}}  # not made by the rule: ambiguous
        record = {"fields": {"abcdef12-0000": "x"}}
        components.FlattenCustomFields().transform(record, schema)
        assert set(record) == {"fields"}

    def test_a_field_id_that_is_not_a_scalar_names_no_column(self):
        record = {"fields": [{"attributeDefinitionId": ["aaaaaaaa-1"], "value": 1}, "not an item",
                             {"attributeDefinitionId": "aaaaaaaa-1", "value": 2}]}
        components.FlattenCustomFields().transform(record, self._schema())
        assert record["cf_value_aaaaaaaa"] == 2

    def test_a_new_schema_object_is_read_again(self):
        flattener = components.FlattenCustomFields()
        flattener.transform({"fields": []}, self._schema())
        record = {"fields": {"dddddddd-4": 7}}
        flattener.transform(record, self._schema([{"id": "dddddddd-4", "name": "Later", "type": "number"}]))
        assert record["cf_later_dddddddd"] == 7

    def test_template_id_prefers_the_top_level_value(self):
        flattener = components.FlattenCustomFields()
        record = {"templateId": "top", "template": {"id": "nested"}, "fields": None}
        flattener.transform(record, self._schema())
        assert record["templateId"] == "top"
