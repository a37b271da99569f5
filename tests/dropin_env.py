"""What the drop-in tests of both adapters share: a user's DeepSeek environment pointed at the
emulator, and the chat requests it received."""

from __future__ import annotations

import pytest

from deepseekapi_core.testing import EmulatorServer, RecordedRequest


def user_environment(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch, key: str
) -> EmulatorServer:
    """Set DEEPSEEK_API_KEY and DEEPSEEK_API_BASE as a DeepSeek user has them, to ``server``."""
    monkeypatch.setenv("DEEPSEEK_API_KEY", key)
    monkeypatch.setenv("DEEPSEEK_API_BASE", server.base_url)
    return server


def chats(server: EmulatorServer) -> list[RecordedRequest]:
    """The chat requests the emulator received (query strings kept)."""
    return [r for r in server.emulator.requests if "/chat/completions" in r.path]
