"""The parts of a FIM completion call that do no I/O, shared by both clients: the request
checked and encoded, its exchange (to ``<beta base URL>/completions``), the reply parsed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ..accounting._limiter import AccountGate
from ..wire._fim import FIM_MAX_TOKENS, FIMCompletion, FIMRequest, build_fim_body
from ..wire._registry import Era
from ..wire._responses import attach_response_headers
from ._decode import FIM_STREAM, finish_fim, parse_body
from ._encode import coerce_request, serialise
from ._errors import InvalidRequestError
from ._exchange import Exchange
from ._options import RequestOptions
from ._retry import RetryPolicy

FIM_FEATURE = "FIM completion"
"""How a 404 at the beta endpoint names what needed it."""


def coerce_fim_request(request: FIMRequest | None, params: Mapping[str, Any]) -> FIMRequest:
    """A :class:`FIMRequest` from an instance or from keyword parameters, validated.

    Raises :class:`InvalidRequestError` naming each offending field (too many ``max_tokens``
    with the documented limit).
    """
    try:
        return coerce_request(FIMRequest, request, params, "fim")
    except InvalidRequestError as error:
        if error.param == "max_tokens" and "less than or equal" in str(error):
            raise InvalidRequestError(
                f"{error} (FIM completion generates at most {FIM_MAX_TOKENS} tokens: "
                '"The max tokens of FIM completion is 4K", DeepSeek\'s FIM guide)',
                param="max_tokens",
            ) from None
        raise


class FIMCalls:
    """What a client needs to make FIM calls (mixed into both clients' base)."""

    era: Era
    retry_policy: RetryPolicy
    deadline: float | None
    limits: AccountGate
    _fim_url: httpx.URL
    _beta_source: str
    _caps: tuple[int, int]

    def _build(
        self, method: str, url: httpx.URL, options: RequestOptions | None, content: bytes | None
    ) -> httpx.Request:
        raise NotImplementedError

    def build_fim_body(self, request: FIMRequest, *, stream: bool) -> dict[str, Any]:
        """The JSON body this client would send for the FIM ``request``."""
        return build_fim_body(request, stream=stream, era=self.era)

    def _fim_call(
        self,
        request: FIMRequest | None,
        params: Mapping[str, Any],
        options: RequestOptions | None,
        sleep: Callable[[float], Any],
        *,
        stream: bool,
    ) -> tuple[Exchange, Callable[[], httpx.Request]]:
        """A FIM call checked and encoded: its exchange, and how to build each attempt."""
        fim = coerce_fim_request(request, params)
        content = serialise(self.build_fim_body(fim, stream=stream), self.era)
        url = self._fim_url
        beta = (str(url), self._beta_source, (FIM_FEATURE,))
        ticket = self.limits.ticket(fim.model, sleep)
        exchange = Exchange(
            self.retry_policy, self.deadline, ticket, None, self._caps, beta, FIM_STREAM
        )
        return exchange, lambda: self._build("POST", url, options, content)

    @staticmethod
    def _fim_parse(response: httpx.Response) -> FIMCompletion:
        completion = finish_fim(parse_body(FIMCompletion, response), response.request)
        attach_response_headers(completion, response.headers)
        return completion
