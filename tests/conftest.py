"""Test-wide settings: Hypothesis draws the same examples on every run (a fresh clone and CI see what was seen here).

Set ``HYPOTHESIS_EXPLORE=1`` to draw new random examples instead, to look for failures nobody has seen yet.
"""

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("explore" if os.environ.get("HYPOTHESIS_EXPLORE") else "repeatable")
