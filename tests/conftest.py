"""Suite-wide settings."""

from __future__ import annotations

import os

from hypothesis import settings

# On CI, hypothesis draws the same examples every run, so a submission never fails on a rare
# input met by chance; local runs keep drawing new ones (that is how fuzzing finds bugs).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
