"""The pseudonymised warehouse: one DuckDB file without names, national numbers, addresses or the key."""
