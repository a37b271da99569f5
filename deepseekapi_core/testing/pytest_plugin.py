"""pytest fixtures for testing your own code offline against the DeepSeek emulator.

Registered automatically (``pytest11`` entry point) when ``deepseekapi-integrations`` is
installed. Importing this module costs almost nothing: the emulator is imported only when a
fixture is used.

Fixtures:

``deepseek_emulator``
    A fresh :class:`~deepseekapi_core.testing.Emulator` for each test.
``deepseek_emulator_transport``
    An httpx transport (sync and async) backed by ``deepseek_emulator``.
``deepseek_emulator_server``
    A running loopback :class:`~deepseekapi_core.testing.EmulatorServer` backed by
    ``deepseek_emulator``; point any OpenAI-compatible client at ``server.base_url``.

Mark a test to configure its emulator::

    @pytest.mark.deepseek_emulator(era="r1", api_key="sk-test")
    def test_old_reasoner(deepseek_emulator): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from deepseekapi_core.testing import Emulator, EmulatorServer, EmulatorTransport

__all__ = [
    "deepseek_emulator",
    "deepseek_emulator_server",
    "deepseek_emulator_transport",
]

_MARKER = "deepseek_emulator"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``deepseek_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**options): options for the deepseek_emulator fixture's Emulator "
        "(era=..., api_key=..., seed=..., keep_alive_comments=..., extra_models=...)",
    )


@pytest.fixture
def deepseek_emulator(request: pytest.FixtureRequest) -> Emulator:
    """A fresh, deterministic DeepSeek emulator (newest era unless the marker says otherwise)."""
    from deepseekapi_core.testing import Emulator

    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker(_MARKER)
    if marker is not None:
        options.update(marker.kwargs)
    return Emulator(**options)


@pytest.fixture
def deepseek_emulator_transport(deepseek_emulator: Emulator) -> EmulatorTransport:
    """An in-process httpx transport (sync and async) serving ``deepseek_emulator``."""
    return deepseek_emulator.transport()


@pytest.fixture
def deepseek_emulator_server(deepseek_emulator: Emulator) -> Iterator[EmulatorServer]:
    """A loopback HTTP server (127.0.0.1, ephemeral port) serving ``deepseek_emulator``."""
    from deepseekapi_core.testing import EmulatorServer

    with EmulatorServer(deepseek_emulator) as server:
        yield server
