"""Record the vcrpy cassettes in ``cassettes/`` (the one documented recording command).

    python scripts/record_cassettes.py                 # from the emulator on 127.0.0.1
    DEEPSEEKAPI_API_KEY=sk-... DEEPSEEKAPI_BASE_URL=https://api.deepseek.com/v1 \\
        python scripts/record_cassettes.py             # from the real service

From the emulator, it starts one ``EmulatorServer`` on the loopback interface, deletes the old
cassettes, and runs ``tests/cassette_suite`` with vcrpy's record mode ``all``: each test gets a
fresh, strict emulator on that server and scripts its replies and faults (402, 422, 429 with
``Retry-After``, 500, 503) before its requests go out. With ``DEEPSEEKAPI_API_KEY`` set, the
same tests record against ``DEEPSEEKAPI_BASE_URL`` (default: the core's default base URL);
tests whose faults the real service cannot be made to produce are skipped and keep their
emulator cassettes. Keys, the ``Authorization`` header and cookies are scrubbed before anything
is written. Extra arguments go to pytest (``-k 'core and chat'`` re-records a subset; old
cassettes are then kept).

Afterwards, ``pytest tests/cassette_suite`` replays them with record mode ``none``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASSETTES = ROOT / "cassettes"
SUITE = ROOT / "tests" / "cassette_suite"
MODE_ENV = "DEEPSEEKAPI_CASSETTE_MODE"
KEY_ENV = "DEEPSEEKAPI_API_KEY"


def _recording_plugin(server: object) -> types.ModuleType:
    """A pytest plugin whose ``deepseek_recording_server`` fixture is this process's server."""
    plugin = types.ModuleType("deepseekapi_cassette_recorder")

    @pytest.fixture(scope="session")
    def deepseek_recording_server() -> Iterator[object]:
        yield server

    plugin.deepseek_recording_server = deepseek_recording_server  # type: ignore[attr-defined]
    return plugin


def _clear_cassettes() -> int:
    removed = 0
    for path in CASSETTES.glob("*.yaml"):
        path.unlink()
        removed += 1
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--target",
        choices=("auto", "emulator", "real"),
        default="auto",
        help="where to record from (auto: the real service when DEEPSEEKAPI_API_KEY is set)",
    )
    args, pytest_args = parser.parse_known_args(argv)
    target = args.target
    if target == "auto":
        target = "real" if os.environ.get(KEY_ENV) else "emulator"
    if target == "real" and not os.environ.get(KEY_ENV):
        parser.error(f"--target real needs {KEY_ENV} (and usually DEEPSEEKAPI_BASE_URL)")

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ[MODE_ENV] = target
    options = [
        str(SUITE.relative_to(ROOT)),
        "-p",
        "no:cacheprovider",
        "-q",
        # The server is imported before pytest starts, so pytest cannot rewrite the core.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        *pytest_args,
    ]
    CASSETTES.mkdir(exist_ok=True)

    if target == "real":
        base = os.environ.get("DEEPSEEKAPI_BASE_URL", "the default base URL")
        print(f"Recording cassettes from the real service at {base}")
        code = int(pytest.main(options))
    else:
        from deepseekapi_core.testing import Emulator, EmulatorServer

        if not pytest_args:
            print(f"Removed {_clear_cassettes()} old cassettes")
        with EmulatorServer(Emulator()) as server:
            print(f"Recording cassettes from the emulator at {server.base_url}")
            code = int(pytest.main(options, plugins=[_recording_plugin(server)]))
    if code != 0:
        return code
    return _replay()


def _replay() -> int:
    """Replay the whole suite (record mode "none") and check the files, in a fresh process."""
    print("Replaying the cassettes and checking them for secrets")
    env = {name: value for name, value in os.environ.items() if name != MODE_ENV}
    command = [sys.executable, "-m", "pytest", str(SUITE.relative_to(ROOT))]
    return subprocess.run(
        [*command, "-p", "no:cacheprovider", "-q"], env=env, check=False
    ).returncode


if __name__ == "__main__":
    raise SystemExit(main())
