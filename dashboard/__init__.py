"""BINC '1 Gezin, 1 Plan' statistics: ingest → warehouse → release (privacy) → answering → presentation."""

__version__ = "0.1.0"
