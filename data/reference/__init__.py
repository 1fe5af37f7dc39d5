"""Public reference data with sources and licences (SOURCES.md); shipped as package data (binc.reference_data)."""
