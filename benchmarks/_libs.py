"""One driver per library: the same calls, each through that library's own public API.

Every driver imports its library only in :meth:`Driver.setup`, so a probe process (import time,
peak memory) loads nothing else. The caller's inputs (messages in each library's own type) are
built once in ``setup``; the timed part is the call itself and touching its answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

PROMPT = "Say something short."
CHAT = "deepseek-chat"
REASONER = "deepseek-reasoner"
API_KEY = "sk-bench"


class Unavailable(Exception):
    """The library (or the adapter, still being written) cannot be imported or built."""


class Driver:
    """A library under test. Subclasses fill in the four calls."""

    key = ""
    label = ""
    family = ""  # "baseline", "langchain" or "llama-index"

    def setup(self, base_url: str) -> None:
        raise NotImplementedError

    def chat(self) -> str:
        """One non-streaming chat; returns the answer text."""
        raise NotImplementedError

    def stream(self, model: str) -> Iterator[Any]:
        """Iterate the library's own streaming API over one stream."""
        raise NotImplementedError

    def stream_text(self, model: str) -> tuple[str, str]:
        """(reasoning, answer) assembled from one stream: used to check the driver."""
        raise NotImplementedError

    async def asetup(self, base_url: str) -> None:
        """Build the async client (inside the running event loop)."""
        raise NotImplementedError

    async def achat(self) -> str:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        return None


# --------------------------------------------------------------------------------------------
# Baselines: the floor (raw httpx) and the openai SDK


class RawSocket(Driver):
    """A blocking socket sending a prebuilt request: the floor (loopback + the server itself)."""

    key = "socket"
    label = "raw socket (server floor)"
    family = "baseline"

    def setup(self, base_url: str) -> None:
        import socket
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.path = parts.path.rstrip("/") + "/chat/completions"
        self.host = f"{host}:{port}"
        self.requests = {
            (model, stream): self._request(model, stream=stream)
            for model in (CHAT, REASONER)
            for stream in (False, True)
        }
        self.chat_length = 0
        self.chat_length = len(self._exchange_chat())

    def _request(self, model: str, *, stream: bool) -> bytes:
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": PROMPT}]}
        if stream:
            body["stream"] = True
        data = json.dumps(body).encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {API_KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

    def _exchange_chat(self) -> bytes:
        self.sock.sendall(self.requests[(CHAT, False)])
        buffer = b""
        if self.chat_length:
            while len(buffer) < self.chat_length:
                buffer += self.sock.recv(65536)
            return buffer
        while b"\r\n\r\n" not in buffer:
            buffer += self.sock.recv(65536)
        head, _, rest = buffer.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += self.sock.recv(65536)
        return head + b"\r\n\r\n" + rest

    def chat(self) -> str:
        reply = self._exchange_chat()
        return str(json.loads(reply.partition(b"\r\n\r\n")[2])["choices"][0]["message"]["content"])

    def stream(self, model: str) -> Iterator[Any]:
        self.sock.sendall(self.requests[(model, True)])
        tail = b""
        while True:
            data = self.sock.recv(262144)
            yield data
            tail = (tail + data)[-7:]
            if tail == b"\r\n0\r\n\r\n":
                return

    def close(self) -> None:
        self.sock.close()


class RawHttpx(Driver):
    """httpx with a prebuilt header set, ``json.dumps`` of the body and ``json.loads`` back."""

    key = "httpx"
    label = "raw httpx"
    family = "baseline"

    def _common(self, base_url: str) -> None:
        import httpx

        self.url = f"{base_url}/chat/completions"
        self.headers = {
            "Authorization": f"Bearer {API_KEY}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.messages = [{"role": "user", "content": PROMPT}]
        self.limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)

    def _body(self, model: str, *, stream: bool) -> bytes:
        body: dict[str, Any] = {"model": model, "messages": self.messages}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return json.dumps(body).encode()

    def setup(self, base_url: str) -> None:
        import httpx

        self._common(base_url)
        self.client = httpx.Client(limits=self.limits)

    def chat(self) -> str:
        response = self.client.post(
            self.url, content=self._body(CHAT, stream=False), headers=self.headers
        )
        response.raise_for_status()
        return str(json.loads(response.content)["choices"][0]["message"]["content"])

    def stream(self, model: str) -> Iterator[Any]:
        content = self._body(model, stream=True)
        with self.client.stream("POST", self.url, content=content, headers=self.headers) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    yield json.loads(data)

    def stream_text(self, model: str) -> tuple[str, str]:
        reasoning, answer = [], []
        for chunk in self.stream(model):
            if chunk["choices"]:
                delta = chunk["choices"][0]["delta"]
                reasoning.append(delta.get("reasoning_content") or "")
                answer.append(delta.get("content") or "")
        return "".join(reasoning), "".join(answer)

    async def asetup(self, base_url: str) -> None:
        import httpx

        self._common(base_url)
        self.aclient = httpx.AsyncClient(limits=self.limits)

    async def achat(self) -> str:
        body = self._body(CHAT, stream=False)
        response = await self.aclient.post(self.url, content=body, headers=self.headers)
        response.raise_for_status()
        return str(json.loads(response.content)["choices"][0]["message"]["content"])

    async def aclose(self) -> None:
        await self.aclient.aclose()

    def close(self) -> None:
        self.client.close()


class RawHttpxBytes(RawHttpx):
    """httpx reading the stream's bytes without parsing them: the transport's own ceiling."""

    key = "httpx_bytes"
    label = "raw httpx, bytes only"

    def stream(self, model: str) -> Iterator[Any]:
        content = self._body(model, stream=True)
        with self.client.stream("POST", self.url, content=content, headers=self.headers) as r:
            yield from r.iter_bytes()


class OpenAISDK(Driver):
    key = "openai"
    label = "openai SDK"
    family = "baseline"

    def setup(self, base_url: str) -> None:
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=API_KEY)
        self.messages = [{"role": "user", "content": PROMPT}]

    def chat(self) -> str:
        completion = self.client.chat.completions.create(model=CHAT, messages=self.messages)
        return completion.choices[0].message.content or ""

    def stream(self, model: str) -> Iterator[Any]:
        return iter(
            self.client.chat.completions.create(
                model=model,
                messages=self.messages,
                stream=True,
                stream_options={"include_usage": True},
            )
        )

    def stream_text(self, model: str) -> tuple[str, str]:
        reasoning, answer = [], []
        for chunk in self.stream(model):
            if chunk.choices:
                delta = chunk.choices[0].delta
                reasoning.append(getattr(delta, "reasoning_content", None) or "")
                answer.append(delta.content or "")
        return "".join(reasoning), "".join(answer)

    async def asetup(self, base_url: str) -> None:
        import openai

        self.aclient = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY)
        self.messages = [{"role": "user", "content": PROMPT}]

    async def achat(self) -> str:
        completion = await self.aclient.chat.completions.create(model=CHAT, messages=self.messages)
        return completion.choices[0].message.content or ""

    async def aclose(self) -> None:
        await self.aclient.close()

    def close(self) -> None:
        self.client.close()


class Core(Driver):
    key = "core"
    label = "deepseekapi_core"
    family = "baseline"

    def setup(self, base_url: str) -> None:
        from deepseekapi_core import DeepSeekClient

        self.client = DeepSeekClient(base_url=base_url, api_key=API_KEY)
        self.messages = [{"role": "user", "content": PROMPT}]

    def chat(self) -> str:
        return self.client.chat(model=CHAT, messages=self.messages).message.content or ""

    def stream(self, model: str) -> Iterator[Any]:
        return iter(self.client.stream_chat(model=model, messages=self.messages))

    def stream_text(self, model: str) -> tuple[str, str]:
        reasoning, answer = [], []
        for chunk in self.stream(model):
            delta = chunk.delta
            if delta is not None:
                reasoning.append(delta.reasoning_content or "")
                answer.append(delta.content or "")
        return "".join(reasoning), "".join(answer)

    async def asetup(self, base_url: str) -> None:
        from deepseekapi_core import AsyncDeepSeekClient

        self.aclient = AsyncDeepSeekClient(base_url=base_url, api_key=API_KEY)
        self.messages = [{"role": "user", "content": PROMPT}]

    async def achat(self) -> str:
        completion = await self.aclient.chat(model=CHAT, messages=self.messages)
        return completion.message.content or ""

    async def aclose(self) -> None:
        await self.aclient.aclose()

    def close(self) -> None:
        self.client.close()


# --------------------------------------------------------------------------------------------
# LangChain: langchain-deepseek's ChatDeepSeek against our ChatDeepSeekAPI


class _LangChain(Driver):
    family = "langchain"

    def _build(self, base_url: str, model: str) -> Any:
        raise NotImplementedError

    def setup(self, base_url: str) -> None:
        from langchain_core.messages import HumanMessage

        self.messages = [HumanMessage(content=PROMPT)]
        self.base_url = base_url
        self.llm = self._build(base_url, CHAT)
        self.reasoner: Any = None

    def _model(self, model: str) -> Any:
        if model != REASONER:
            return self.llm
        if self.reasoner is None:
            self.reasoner = self._build(self.base_url, REASONER)
        return self.reasoner

    def chat(self) -> str:
        return str(self.llm.invoke(self.messages).content)

    def stream(self, model: str) -> Iterator[Any]:
        return iter(self._model(model).stream(self.messages))

    def stream_text(self, model: str) -> tuple[str, str]:
        reasoning, answer = [], []
        for chunk in self.stream(model):
            reasoning.append(chunk.additional_kwargs.get("reasoning_content") or "")
            answer.append(chunk.text if isinstance(chunk.text, str) else chunk.text())
        return "".join(reasoning), "".join(answer)

    async def asetup(self, base_url: str) -> None:
        self.setup(base_url)

    async def achat(self) -> str:
        return str((await self.llm.ainvoke(self.messages)).content)


class LangChainPeer(_LangChain):
    key = "lc_peer"
    label = "langchain-deepseek ChatDeepSeek"

    def _build(self, base_url: str, model: str) -> Any:
        from langchain_deepseek import ChatDeepSeek

        return ChatDeepSeek(model=model, api_key=API_KEY, api_base=base_url)


class LangChainOurs(_LangChain):
    key = "lc_ours"
    label = "ChatDeepSeekAPI (ours)"

    def _build(self, base_url: str, model: str) -> Any:
        try:
            from langchain_deepseekapi import ChatDeepSeekAPI
        except ImportError as exc:
            raise Unavailable(f"langchain_deepseekapi.ChatDeepSeekAPI: {exc}") from None
        return ChatDeepSeekAPI(model=model, api_key=API_KEY, base_url=base_url)


# --------------------------------------------------------------------------------------------
# LlamaIndex: llama-index-llms-deepseek's DeepSeek against our DeepSeekAPI


class _LlamaIndex(Driver):
    family = "llama-index"

    def _build(self, base_url: str, model: str) -> Any:
        raise NotImplementedError

    def setup(self, base_url: str) -> None:
        from llama_index.core.llms import ChatMessage

        self.messages = [ChatMessage(role="user", content=PROMPT)]
        self.base_url = base_url
        self.llm = self._build(base_url, CHAT)
        self.reasoner: Any = None

    def _model(self, model: str) -> Any:
        if model != REASONER:
            return self.llm
        if self.reasoner is None:
            self.reasoner = self._build(self.base_url, REASONER)
        return self.reasoner

    def chat(self) -> str:
        return self.llm.chat(self.messages).message.content or ""

    def stream(self, model: str) -> Iterator[Any]:
        return iter(self._model(model).stream_chat(self.messages))

    def stream_text(self, model: str) -> tuple[str, str]:
        reasoning, answer = [], []
        for response in self.stream(model):
            answer.append(response.delta or "")
            kwargs = response.additional_kwargs or {}
            piece = kwargs.get("reasoning_content_delta")
            if piece is None:
                piece = kwargs.get("thinking_delta")
            reasoning.append(piece or "")
        return "".join(reasoning), "".join(answer)

    async def asetup(self, base_url: str) -> None:
        self.setup(base_url)

    async def achat(self) -> str:
        return (await self.llm.achat(self.messages)).message.content or ""


class LlamaIndexPeer(_LlamaIndex):
    key = "li_peer"
    label = "llama-index-llms-deepseek DeepSeek"

    def _build(self, base_url: str, model: str) -> Any:
        from llama_index.llms.deepseek import DeepSeek

        return DeepSeek(model=model, api_key=API_KEY, api_base=base_url)


class LlamaIndexOurs(_LlamaIndex):
    key = "li_ours"
    label = "DeepSeekAPI (ours)"

    def _build(self, base_url: str, model: str) -> Any:
        try:
            from llama_index_deepseekapi import DeepSeekAPI
        except ImportError as exc:
            raise Unavailable(f"llama_index_deepseekapi.DeepSeekAPI: {exc}") from None
        return DeepSeekAPI(model=model, api_key=API_KEY, base_url=base_url)


# --------------------------------------------------------------------------------------------
# Composed floors: each framework's own machinery over raw httpx and json, nothing else. What an
# integration costs beyond its framework is measured against these, not against raw httpx.


def _sse_json(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if line.startswith("data: "):
            data = line[6:]
            if data == "[DONE]":
                return
            yield json.loads(data)


class LangChainFloor(_LangChain):
    """A minimal ``BaseChatModel``: ``_generate``/``_stream`` over raw httpx and ``json``, chunks
    handed to the callbacks as any chat model must. The framework's own cost, and no more."""

    key = "lc_floor"
    label = "LangChain over raw httpx (floor)"

    def _build(self, base_url: str, model: str) -> Any:
        import httpx
        from langchain_core.language_models import BaseChatModel
        from langchain_core.messages import AIMessage, AIMessageChunk
        from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

        client = httpx.Client()
        url = f"{base_url}/chat/completions"
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

        def body(messages: Any, *, stream: bool) -> bytes:
            wire = [{"role": "user", "content": m.content} for m in messages]
            return json.dumps({"model": model, "messages": wire, "stream": stream}).encode()

        class Floor(BaseChatModel):
            @property
            def _llm_type(self) -> str:
                return "floor"

            def _generate(
                self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
            ) -> ChatResult:
                reply = client.post(url, content=body(messages, stream=False), headers=headers)
                message = json.loads(reply.content)["choices"][0]["message"]
                extra = {"reasoning_content": message.get("reasoning_content")}
                ai = AIMessage(content=message["content"] or "", additional_kwargs=extra)
                return ChatResult(generations=[ChatGeneration(message=ai)])

            def _stream(
                self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
            ) -> Iterator[ChatGenerationChunk]:
                content = body(messages, stream=True)
                with client.stream("POST", url, content=content, headers=headers) as reply:
                    for chunk in _sse_json(reply.iter_lines()):
                        if not chunk["choices"]:
                            continue
                        delta = chunk["choices"][0]["delta"]
                        text = delta.get("content") or ""
                        reasoning = delta.get("reasoning_content")
                        extra = {"reasoning_content": reasoning} if reasoning else {}
                        piece = ChatGenerationChunk(
                            message=AIMessageChunk(content=text, additional_kwargs=extra)
                        )
                        if run_manager is not None:
                            run_manager.on_llm_new_token(text, chunk=piece)
                        yield piece

        return Floor()


class LlamaIndexFloor(_LlamaIndex):
    """A minimal LlamaIndex ``LLM``: ``chat``/``stream_chat`` over raw httpx and ``json``, behind
    the framework's own callback decorators, yielding cumulative ``ChatResponse``s."""

    key = "li_floor"
    label = "LlamaIndex over raw httpx (floor)"

    def _build(self, base_url: str, model: str) -> Any:
        import httpx
        from llama_index.core.base.llms.types import (
            ChatMessage,
            ChatResponse,
            LLMMetadata,
        )
        from llama_index.core.llms import LLM
        from llama_index.core.llms.callbacks import llm_chat_callback

        client = httpx.Client()
        url = f"{base_url}/chat/completions"
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

        def body(messages: Any, *, stream: bool) -> bytes:
            wire = [{"role": "user", "content": m.content} for m in messages]
            return json.dumps({"model": model, "messages": wire, "stream": stream}).encode()

        def unsupported(*args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        class Floor(LLM):
            @property
            def metadata(self) -> LLMMetadata:
                return LLMMetadata(model_name=model, is_chat_model=True)

            @llm_chat_callback()
            def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:
                reply = client.post(url, content=body(messages, stream=False), headers=headers)
                message = json.loads(reply.content)["choices"][0]["message"]
                return ChatResponse(
                    message=ChatMessage(role="assistant", content=message["content"] or "")
                )

            @llm_chat_callback()
            def stream_chat(self, messages: Any, **kwargs: Any) -> Any:
                def gen() -> Iterator[ChatResponse]:
                    content = body(messages, stream=True)
                    text = ""
                    with client.stream("POST", url, content=content, headers=headers) as reply:
                        for chunk in _sse_json(reply.iter_lines()):
                            if not chunk["choices"]:
                                continue
                            delta = chunk["choices"][0]["delta"]
                            piece = delta.get("content") or ""
                            text += piece
                            extra = {}
                            if delta.get("reasoning_content"):
                                extra["reasoning_content_delta"] = delta["reasoning_content"]
                            yield ChatResponse(
                                message=ChatMessage(role="assistant", content=text),
                                delta=piece,
                                additional_kwargs=extra,
                            )

                return gen()

            complete = stream_complete = achat = acomplete = unsupported
            astream_chat = astream_complete = unsupported

        return Floor()


DRIVERS: dict[str, type[Driver]] = {
    cls.key: cls
    for cls in (
        RawSocket,
        RawHttpx,
        RawHttpxBytes,
        OpenAISDK,
        Core,
        LangChainPeer,
        LangChainOurs,
        LlamaIndexPeer,
        LlamaIndexOurs,
        LangChainFloor,
        LlamaIndexFloor,
    )
}
