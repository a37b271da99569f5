"""The distribution's version, read once from its installed metadata."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("deepseekapi-integrations")
except metadata.PackageNotFoundError:  # a source tree used without installing it
    __version__ = "0+unknown"
