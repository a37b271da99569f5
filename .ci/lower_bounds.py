"""Print a pip/uv constraints file pinning every runtime requirement to its lower bound.

`.ci/run`'s lowest-versions leg installs the project with this file, so the suite runs against
the oldest httpx, pydantic, langchain-core, llama-index-core, ... that ``pyproject.toml`` claims
to support (the dependencies and the runtime extras; the dev tools stay as locked). A bound that
cannot be installed or fails the suite is a wrong bound: raise it in ``pyproject.toml``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RUNTIME_EXTRAS = ("langchain", "llama-index", "agents", "tokenizer", "redis")
SELF = "deepseekapi-integrations"


def lower_bounds(pyproject: Path, *, core_only: bool = False) -> list[str]:
    """``name==floor`` for each runtime requirement (the core's only, or with the extras)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in () if core_only else RUNTIME_EXTRAS:
        requirements += project["optional-dependencies"].get(extra, [])
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)", requirement)
        if match is None:
            raise ValueError(f"cannot read the requirement {requirement!r}")
        name, specifiers = match.group(1).lower(), match.group(3)
        if name == SELF:
            continue
        bound = re.search(r">=\s*([0-9][^,;\s]*)", specifiers)
        if bound is None:
            raise ValueError(f"{requirement!r} has no lower bound (>=) to test")
        pins[name] = bound.group(1)
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def check(floors: list[str], installed_file: Path, exact: list[str]) -> int:
    """Print floor against installed for each runtime requirement; fail unless those named in
    ``exact`` are installed at their floor (the leg then really ran at the lower bound)."""
    installed = {}
    for line in installed_file.read_text(encoding="utf-8").splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            installed[name.strip().lower().replace("_", "-")] = version.split(";")[0].strip()
    failures = 0
    for pin in floors:
        name, floor = pin.split("==")
        have = installed.get(name, "(not installed)")
        at_floor = _release(have) == _release(floor)
        note = "at the floor" if at_floor else "above: another requirement's floor is higher"
        print(f"  {name:<18} floor {floor:<8} installed {have:<10} {note}")
        if name in exact and not at_floor:
            print(f"  error: {name} should install at its floor {floor}")
            failures += 1
    return 1 if failures else 0


def _release(version: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", version.split("+")[0])
    numbers = [int(part) for part in parts[:3]]
    return tuple(numbers + [0] * (3 - len(numbers)))


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    arguments = sys.argv[1:]
    core_only = "--core" in arguments
    arguments = [argument for argument in arguments if argument != "--core"]
    floors = lower_bounds(root / "pyproject.toml", core_only=core_only)
    if arguments and arguments[0] == "--check":
        sys.exit(
            check(floors, Path(arguments[1]), arguments[2].split(",") if arguments[2:] else [])
        )
    print("\n".join(floors))
