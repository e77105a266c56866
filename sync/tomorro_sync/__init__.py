"""tomorro-sync: pull Tomorro into DuckDB and push CRM rows back, with our Airbyte connectors."""
