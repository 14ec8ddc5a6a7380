"""dbt's `target` as sqlfluff's jinja templater sees it."""

database = "cdp"
schema = "main"
type = "duckdb"
