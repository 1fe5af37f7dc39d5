"""The environment variables the product reads, named once.

Each is documented in docs/operations.md; the tests set them by these names.
"""

from __future__ import annotations

KEY_ENV = "BINC_PSEUDONYM_KEY"  # the pseudonymisation key (or --key-file)
RELEASE_ENV = "BINC_RELEASE"  # the release the dashboard shows (set by `binc serve`)
SYNTHETIC_ENV = "BINC_SYNTHETIC"  # "1": the dashboard marks its figures as synthetic
DEMO_DIR_ENV = "BINC_DEMO_DIR"  # where `binc demo` builds the demo
LEDGER_DIR_ENV = "BINC_LEDGER_DIR"  # where the privacy ledgers live (or --ledger-dir)
ALLOWED_HOSTS_ENV = "BINC_ALLOWED_HOSTS"  # host names the dashboard is reached by
DEBUG_ENV = "BINC_DEBUG"  # "1": programmer errors show their traceback
