"""Smoke-test the installed wheel, run from outside the source tree with ``python -I``.

Usage: ``python -I smoke_installed.py EXTRA`` where EXTRA is the extra the wheel was installed
with (``langchain``, ``llama-index`` or ``all``). Checks that the packages come from the venv's
site-packages (not a checkout), carry ``py.typed``, answer through the offline emulator, that an
adapter whose extra is missing names it, and (``all``) that mypy sees the packages' types.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

EXTRA = sys.argv[1]
ADAPTERS = {"langchain": "langchain_deepseekapi", "llama-index": "llama_index_deepseekapi"}
WANTED = set(ADAPTERS) if EXTRA == "all" else {EXTRA}
KEY = "sk-smoke-test-key"


def installed_here(module_name: str) -> Path:
    module = importlib.import_module(module_name)
    path = Path(module.__file__ or "").resolve()
    assert "site-packages" in path.parts, f"{module_name} imported from {path}, not the wheel"
    assert (path.parent / "py.typed").is_file(), f"{module_name} has no py.typed"
    return path


def core() -> None:
    import deepseekapi_core
    from deepseekapi_core import DeepSeekClient
    from deepseekapi_core.testing import Emulator

    print("deepseekapi_core from", installed_here("deepseekapi_core").parent)
    version = importlib.metadata.version("deepseekapi-integrations")
    assert deepseekapi_core.__version__ == version, (deepseekapi_core.__version__, version)
    emulator = Emulator(api_key=KEY)
    with DeepSeekClient(api_key=KEY, transport=emulator.transport()) as client:
        reply = client.chat(
            model="deepseek-reasoner", messages=[{"role": "user", "content": "Is 9.11 > 9.9?"}]
        )
    assert reply.message.content and reply.message.reasoning_content, reply
    print(f"  core: {version}, reasoner answered {len(reply.message.content)} chars")


def langchain() -> None:
    from deepseekapi_core.testing import Emulator
    from langchain_deepseekapi import ChatDeepSeekAPI

    installed_here("langchain_deepseekapi")
    llm = ChatDeepSeekAPI(
        model="deepseek-chat", api_key=KEY, transport=Emulator(api_key=KEY).transport()
    )
    message = llm.invoke("Say hello")
    assert isinstance(message.content, str) and message.content, message
    chunks = list(llm.stream("Count to three"))
    assert len(chunks) > 1, chunks
    print(f"  langchain: invoke and stream ({len(chunks)} chunks)")


def llama_index() -> None:
    from llama_index.core.llms import ChatMessage

    from deepseekapi_core.testing import Emulator
    from llama_index_deepseekapi import DeepSeekAPI

    installed_here("llama_index_deepseekapi")
    llm = DeepSeekAPI(
        model="deepseek-chat", api_key=KEY, transport=Emulator(api_key=KEY).transport()
    )
    response = llm.chat([ChatMessage(role="user", content="Say hello")])
    assert response.message.content, response
    pieces = list(llm.stream_chat([ChatMessage(role="user", content="Count to three")]))
    assert len(pieces) > 1, pieces
    print(f"  llama-index: chat and stream_chat ({len(pieces)} pieces)")


def missing_extra_is_named(extra: str) -> None:
    # llama_index itself is a namespace this wheel adds to (llama_index.llms.deepseekapi).
    framework = {"langchain": "langchain_core", "llama-index": "llama_index.core"}[extra]
    assert importlib.util.find_spec(framework) is None, f"{framework} installed without [{extra}]"
    try:
        importlib.import_module(ADAPTERS[extra])
    except ImportError as error:
        assert f"deepseekapi-integrations[{extra}]" in str(error), error
        print(f"  without [{extra}]: ImportError names the extra")
    else:
        raise AssertionError(f"{ADAPTERS[extra]} imported without its framework")


def mypy_sees_the_types() -> None:
    """A user's file type-checks under --strict: the packages ship their types (py.typed)."""
    code = (
        "from deepseekapi_core import DeepSeekClient, ChatCompletion\n"
        "from langchain_deepseekapi import ChatDeepSeekAPI\n"
        "from llama_index_deepseekapi import DeepSeekAPI\n"
        "def first(client: DeepSeekClient) -> ChatCompletion:\n"
        "    return client.chat(model='deepseek-chat', messages=[])\n"
        "llm: ChatDeepSeekAPI = ChatDeepSeekAPI(model='deepseek-chat')\n"
        "index_llm: DeepSeekAPI = DeepSeekAPI(model='deepseek-chat')\n"
        "wrong: int = first\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "user_code.py")
        path.write_text(code)
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
            capture_output=True,
            text=True,
            cwd=folder,
            env={**os.environ, "MYPYPATH": ""},
        )
    output = result.stdout + result.stderr
    # Exactly the planted error: the types were found (no "missing library stubs or py.typed").
    assert "py.typed" not in output and "import-untyped" not in output, output
    assert "import-not-found" not in output, output
    assert result.returncode == 1 and output.count("error:") == 1 and ":8:" in output, output
    print("  mypy --strict: the packages' types are seen (only the planted error reported)")


core()
if "langchain" in WANTED:
    langchain()
else:
    missing_extra_is_named("langchain")
if "llama-index" in WANTED:
    llama_index()
else:
    missing_extra_is_named("llama-index")
if EXTRA == "all":
    mypy_sees_the_types()
print(f"smoke test of the wheel with [{EXTRA}]: ok")
