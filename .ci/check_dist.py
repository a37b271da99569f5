"""Assert what the built distributions hold: the wheel exactly the three packages (each with its
``py.typed``), the license and metadata naming it; the sdist the license and the sources.

Usage: ``python .ci/check_dist.py DIST_DIR`` (after ``python -m build --outdir DIST_DIR``).
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

PACKAGES = {"deepseekapi_core", "langchain_deepseekapi", "llama_index_deepseekapi"}


def check_wheel(path: Path) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
        top_level = {name.split("/")[0] for name in names} - {dist_info}
        if top_level != PACKAGES | {"llama_index"}:
            problems.append(f"wheel top level is {sorted(top_level)}, not {sorted(PACKAGES)}")
        # The llama_index.llms.deepseekapi path; its parents are namespaces shared with llama-index.
        if "llama_index/llms/deepseekapi/__init__.py" not in names or any(
            n in names for n in ("llama_index/__init__.py", "llama_index/llms/__init__.py")
        ):
            problems.append("llama_index/llms/deepseekapi missing, or its parents not namespaces")
        for package in sorted(PACKAGES):
            if f"{package}/py.typed" not in names:
                problems.append(f"{package}/py.typed missing: mypy users would get no types")
            if f"{package}/__init__.py" not in names:
                problems.append(f"{package}/__init__.py missing")
        if f"{dist_info}/licenses/LICENSE" not in names:
            problems.append("the LICENSE file is not in the wheel's dist-info/licenses")
        metadata = Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode("utf-8"))
        if metadata.get("License-Expression") != "MIT":
            problems.append(f"License-Expression is {metadata.get('License-Expression')!r}")
        if "LICENSE" not in (metadata.get_all("License-File") or []):
            problems.append("metadata names no License-File")
        extras = set(metadata.get_all("Provides-Extra") or [])
        for extra in ("langchain", "llama-index", "all"):
            if extra not in extras:
                problems.append(f"the wheel lacks the extra [{extra}]")
        stray = [n for n in names if "/tests/" in n or n.endswith((".pyc", ".yaml"))]
        if stray:
            problems.append(f"stray files in the wheel: {stray[:5]}")
        print(
            f"{path.name}: {len(names)} files, packages {sorted(top_level)}, "
            f"version {metadata['Version']}, license {metadata.get('License-Expression')}"
        )
    return problems


def check_sdist(path: Path) -> list[str]:
    problems: list[str] = []
    with tarfile.open(path) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for required in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "PKG-INFO"):
        if required not in names:
            problems.append(f"sdist lacks {required}")
    for package in sorted(PACKAGES):
        if f"{package}/py.typed" not in names:
            problems.append(f"sdist lacks {package}/py.typed")
    if any(name.startswith((".venv/", ".ci-work/")) for name in names):
        problems.append("sdist holds a virtual environment")
    print(f"{path.name}: {len(names)} files")
    return problems


def main(dist: Path) -> int:
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"expected one wheel and one sdist in {dist}, found {wheels + sdists}")
        return 1
    problems = check_wheel(wheels[0]) + check_sdist(sdists[0])
    for problem in problems:
        print(f"error: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
