"""`python -m memograd.cli`."""

import sys

from memograd.cli import main

sys.exit(main())
