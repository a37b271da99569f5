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

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, __file__)
