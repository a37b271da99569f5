"""An offline stand-in for the DeepSeek API, faithful to its wire format; a test double, no model.

It answers chat completions (plain JSON and SSE), lists models, returns ``reasoning_content`` in
thinking mode, calls tools with schema-valid arguments, answers JSON mode with schema-valid
JSON, reports usage with cache hits, and rejects what the service rejects, era by era, with the
service's own error bodies. Replies are deterministic and labelled ``[emulated <model>]``.

In-process (no sockets)::

    from deepseekapi_core.testing import Emulator

    emulator = Emulator()                       # newest era; Emulator(era="r1") for the old rules
    emulator.script.reply_text("Hello!")        # optional: decide the next replies
    emulator.faults.status(429, retry_after=1)  # optional: inject faults
    emulator.faults.leaked_tool_call("dsml")    # ... including the service's own bad replies
    client = httpx.Client(transport=emulator.transport(), base_url="https://emulated/v1")

On the loopback interface (for the OpenAI SDK, curl, other processes)::

    with EmulatorServer(emulator) as server:
        openai.OpenAI(base_url=server.base_url, api_key="sk-anything")

pytest users get the ``deepseek_emulator``, ``deepseek_emulator_transport`` and
``deepseek_emulator_server`` fixtures automatically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# Imported lazily, so the pytest plugin costs nothing until a fixture is used.
_EXPORTS = {
    "..wire._registry": ("Era",),
    "._app": ("Emulator",),
    "._faults": ("LEAK_SHAPES", "FaultKind", "FaultRule", "Faults", "FaultStage"),
    "._in_flight": ("InFlight",),
    "._script": ("Script", "ScriptedError", "ScriptedReply", "ScriptedToolCall"),
    "._server": ("EmulatorServer",),
    "._transport": ("EmulatorTransport",),
    "._vision": ("ImageServer",),
    "._wire": ("EmulatedResponse", "RecordedRequest"),
}

if TYPE_CHECKING:  # written from _EXPORTS by scripts/public_surface.py
    from ..wire._registry import (
        Era,
    )
    from ._app import (
        Emulator,
    )
    from ._faults import (
        LEAK_SHAPES,
        FaultKind,
        FaultRule,
        Faults,
        FaultStage,
    )
    from ._in_flight import (
        InFlight,
    )
    from ._script import (
        Script,
        ScriptedError,
        ScriptedReply,
        ScriptedToolCall,
    )
    from ._server import (
        EmulatorServer,
    )
    from ._transport import (
        EmulatorTransport,
    )
    from ._vision import (
        ImageServer,
    )
    from ._wire import (
        EmulatedResponse,
        RecordedRequest,
    )

    __all__ = [
        "LEAK_SHAPES",
        "EmulatedResponse",
        "Emulator",
        "EmulatorServer",
        "EmulatorTransport",
        "Era",
        "FaultKind",
        "FaultRule",
        "FaultStage",
        "Faults",
        "ImageServer",
        "InFlight",
        "RecordedRequest",
        "Script",
        "ScriptedError",
        "ScriptedReply",
        "ScriptedToolCall",
    ]
else:
    __all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
