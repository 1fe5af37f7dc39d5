"""`python -m binc` is the `binc` command."""

import sys

from binc.cli import main

sys.exit(main())
