"""HoldsClients on a pydantic model, as both adapters use it: lazy holder, shared copies,
followed fields, nothing added to the model's fields; and the module stays light."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, PrivateAttr

from deepseekapi_core import RetryPolicy
from deepseekapi_core._adapters._holder import ClientHolder
from deepseekapi_core._adapters._mixins import HoldsClients
from deepseekapi_core.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]


class Adapter(HoldsClients, BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    # The client fields are those named as ClientOptions' fields, or spelled so.
    _client_option_aliases: ClassVar[Mapping[str, str]] = {"async_http_client": "http_async_client"}
    _clients: ClientHolder | None = PrivateAttr(default=None)

    api_key: str = "sk-test"
    base_url: str = "https://a.example/v1"
    transport: Any = None
    retry_policy: Any = None
    http_async_client: Any = None
    temperature: float = 0.5


def test_the_mixin_adds_no_field() -> None:
    adapter = Adapter()
    assert set(Adapter.model_fields) == {
        "api_key",
        "base_url",
        "transport",
        "retry_policy",
        "http_async_client",
        "temperature",
    }
    assert set(adapter.model_dump()) == set(Adapter.model_fields)
    assert "_clients" not in repr(adapter) and "ClientHolder" not in repr(adapter)


def test_the_holder_is_built_on_first_use_from_the_client_fields() -> None:
    adapter = Adapter(transport=Emulator().transport())
    assert adapter._clients is None
    holder = adapter.clients
    assert holder is adapter.clients and holder.options.base_url == "https://a.example/v1"
    assert adapter.client is holder.client
    reply = adapter.client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert "[emulated" in str(reply.choices[0].message.content)
    adapter.close()
    assert holder._client is None


def test_a_changed_client_field_reaches_the_holder_and_others_do_not() -> None:
    adapter = Adapter(transport=Emulator().transport())
    first = adapter.client
    adapter.temperature = 0.1
    assert adapter.client is first
    adapter.base_url = "https://b.example/v1"
    assert adapter.clients.options.base_url == "https://b.example/v1"
    assert adapter.client is not first and adapter.client.base_url == "https://b.example/v1"


def test_setting_a_client_field_before_any_holder_is_fine() -> None:
    adapter = Adapter()
    adapter.base_url = "https://c.example/v1"
    assert adapter._clients is None
    assert adapter.clients.options.base_url == "https://c.example/v1"


def test_deep_copies_share_injected_objects_and_build_their_own_clients() -> None:
    http = httpx.AsyncClient()
    adapter = Adapter(
        transport=Emulator().transport(),
        retry_policy=RetryPolicy(max_retries=1),
        http_async_client=http,
    )
    _ = adapter.client
    twin = copy.deepcopy(adapter)
    assert isinstance(twin, Adapter)
    assert twin.transport is adapter.transport and twin.retry_policy is adapter.retry_policy
    assert twin.http_async_client is http
    assert twin.clients is not adapter.clients
    assert twin.client is not adapter.client


def test_importing_the_mixin_loads_neither_httpx_nor_pydantic() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from deepseekapi_core._adapters._mixins import HoldsClients\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'pydantic'))\n"
        "core = sorted(m for m in sys.modules if m.startswith('deepseekapi_core'))\n"
        "assert not heavy, heavy\n"
        "assert core == ['deepseekapi_core', 'deepseekapi_core._adapters',"
        " 'deepseekapi_core._adapters._mixins', 'deepseekapi_core._lazy'], core\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr
