"""``python -m simulation.explore [options]``: the same as ``devise explore [options]``."""

import sys

from .command import main

sys.exit(main())
