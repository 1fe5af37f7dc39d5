"""BINC '1 Gezin, 1 Plan' statistics: the library and the `binc` command line.

The data flow is the package layout: `ingest` → `warehouse` → `release` (the privacy step) →
`release_file` → `disclosure` / `answering` → `export`, with `core` shared by all and `cli` on top.
The Streamlit app is the separate package `dashboard`, which reads release files only.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("binc")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
