"""The SQL of every measurement, one file per measured table; shipped as package data (binc.queries)."""
