"""`python -m memograd`."""

import sys

from memograd.cli import main

sys.exit(main())
