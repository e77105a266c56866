from destination_tomorro.names import is_meta_column, normalise


def test_column_names_compare_without_case_spaces_underscores_or_dashes():
    assert normalise("External ID") == normalise("external_id") == normalise("externalId") == normalise("external-id")
    assert normalise("contract value") != normalise("contract values")


def test_airbyte_meta_columns():
    assert is_meta_column("_airbyte_raw_id") and is_meta_column("_ab_cdc_lsn")
    assert not is_meta_column("airbyte") and not is_meta_column("_id")
