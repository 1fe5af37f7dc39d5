"""The default release configuration; shipped as package data (binc.default_config)."""
