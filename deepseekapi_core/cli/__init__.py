"""The ``deepseekapi`` command (``chat``, ``models``, ``emulator``, ``demo``) and the demo's
content, which is the same for every adapter (:mod:`deepseekapi_core.cli.demo`)."""

from __future__ import annotations

from . import _demo as demo
from ._main import ADAPTERS, ChatHook, DemoHook, HookContext, ReplyPart, main, write_reply

__all__ = [
    "ADAPTERS",
    "ChatHook",
    "DemoHook",
    "HookContext",
    "ReplyPart",
    "demo",
    "main",
    "write_reply",
]
