"""A module that takes a minute to import (tests/test_workers.py: a forkserver preloading it)."""

import time

time.sleep(60)
