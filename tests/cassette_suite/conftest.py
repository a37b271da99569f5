"""Fixtures of the cassette suite: where requests go, and the cassette each test plays.

Three modes, chosen by ``DEEPSEEKAPI_CASSETTE_MODE`` (``scripts/record_cassettes.py`` sets it):

``replay`` (default, CI)
    vcrpy record mode ``none``: every request must match the test's cassette (method, path,
    query, JSON body), every recorded interaction must be played, and a request that would
    reach the network fails instead.
``emulator``
    Record mode ``all`` against the emulator on 127.0.0.1; each test gets a fresh, strict
    emulator (newest era, only ``TEST_KEY`` accepted) and scripts its replies and faults.
``real``
    Record mode ``all`` against ``DEEPSEEKAPI_BASE_URL`` with ``DEEPSEEKAPI_API_KEY``; tests of
    faults the real service cannot be made to produce are skipped (their cassettes are kept).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from deepseekapi_core.http import API_KEY_ENV_VARS, BASE_URL_ENV_VAR, DEFAULT_BASE_URL
from deepseekapi_core.testing import Emulator, EmulatorServer

from ._support import CASSETTE_DIR, CASSETTE_ERA, REPLAY_BASE_URL, TEST_KEY, make_vcr, mode


@dataclass
class Sleeps:
    """A retry ``sleep`` that records the waits and never waits (sync and async)."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    def asleep(self) -> Callable[[float], Awaitable[None]]:
        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        return sleep


@dataclass
class Backend:
    """Where this test's requests go, and (when recording from it) the emulator to script."""

    mode: str
    base_url: str
    api_key: str
    emulator: Emulator | None
    sleeps: Sleeps = field(default_factory=Sleeps)

    @property
    def recording(self) -> bool:
        return self.mode != "replay"

    def need_emulator(self, what: str) -> None:
        """Skip when recording against the real service, which cannot be made to do ``what``."""
        if self.mode == "real":
            pytest.skip(
                f"{what} cannot be provoked on the real service; the emulator's cassette is kept"
            )


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a real recording sees the developer's key and base URL."""
    if mode() != "real":
        for name in (*API_KEY_ENV_VARS, BASE_URL_ENV_VAR):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _loopback_server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer | None]:
    """The recording server: the one ``scripts/record_cassettes.py`` started, else our own."""
    if mode() != "emulator":
        yield None
        return
    try:
        server: EmulatorServer = request.getfixturevalue("deepseek_recording_server")
    except pytest.FixtureLookupError:
        with EmulatorServer(Emulator(api_key=TEST_KEY, era=CASSETTE_ERA)) as own:
            yield own
        return
    yield server


@pytest.fixture
def backend(_loopback_server: EmulatorServer | None) -> Backend:
    """This test's target: the cassette (replay), a fresh emulator, or the real service."""
    run_mode = mode()
    if run_mode == "real":
        key = next((os.environ[n] for n in API_KEY_ENV_VARS if os.environ.get(n)), "")
        if not key:
            pytest.fail("real recording needs DEEPSEEKAPI_API_KEY")
        base_url = os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
        return Backend(run_mode, base_url.rstrip("/"), key, None)
    if run_mode == "emulator":
        assert _loopback_server is not None
        emulator = Emulator(api_key=TEST_KEY, era=CASSETTE_ERA)
        _loopback_server.emulator = emulator  # a fresh, deterministic emulator per test
        return Backend(run_mode, _loopback_server.base_url, TEST_KEY, emulator)
    return Backend(run_mode, REPLAY_BASE_URL, TEST_KEY, None)


UseCassette = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def cassette(backend: Backend) -> UseCassette:
    """``with cassette("core-chat") as cass:`` plays (or records) ``cassettes/core-chat.yaml``.

    ``shared=True`` replays a cassette another test records (async tests reuse their sync
    twin's: the same bytes must go out), even while recording.
    """

    @contextmanager
    def use(name: str, *, shared: bool = False) -> Iterator[Any]:
        record_mode = "none" if shared or not backend.recording else "all"
        path = CASSETTE_DIR / f"{name}.yaml"
        if record_mode == "none" and not path.exists():
            pytest.fail(f"no cassette {path.name}: run `python scripts/record_cassettes.py`")
        if record_mode == "all":
            path.unlink(missing_ok=True)  # the cassette then holds this run's exchanges only
        with make_vcr(record_mode).use_cassette(path.name) as cass:
            yield cass
        if record_mode == "none":
            assert cass.all_played, (
                f"{path.name}: {cass.play_count} of {len(cass)} recorded interactions were "
                "replayed; the code sent fewer requests than were recorded"
            )

    return use
