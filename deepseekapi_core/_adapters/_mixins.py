"""What an adapter's model class inherits from the core: its clients, copies and setters.

Both adapters keep a :class:`~deepseekapi_core._adapters.ClientHolder` built from some of
their fields; :class:`HoldsClients` gives them, written once, the holder (built on first use),
the ``client``/``async_client`` accessors, ``close``/``aclose``, deep copies that share the
injected transports and HTTP clients, and setters that pass a changed client field on to the
holder.

This module is light on purpose: at import it loads nothing beyond the standard library's
``typing`` and ``collections.abc`` (httpx, pydantic and the clients come with the first holder
built), so an adapter can inherit from it and still import in a few milliseconds.
:mod:`deepseekapi_core._adapters` re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..http._client import AsyncDeepSeekClient, DeepSeekClient
    from ._holder import ClientHolder

__all__ = ["HoldsClients", "follow_client_field", "sharing_memo"]


def follow_client_field(
    holder: ClientHolder | None, model: object, fields: Mapping[str, str], name: str
) -> None:
    """After field ``name`` of ``model`` was set: pass it on to ``holder`` if it is a client
    option (its clients built from the old value are closed and rebuilt on next use)."""
    option = fields.get(name)
    if option is not None and holder is not None:
        holder.update(**{option: getattr(model, name)})


_SHARED_OPTIONS = frozenset(
    {"transport", "async_transport", "http_client", "async_http_client", "retry_policy"}
)


def sharing_memo(
    model: object, fields: Mapping[str, str], memo: dict[int, Any] | None = None
) -> dict[int, Any]:
    """A ``copy.deepcopy`` memo by which copies of ``model`` share its injected transports,
    HTTP clients (they hold locks and connections) and retry policy (immutable): each is
    recorded as its own copy. ``fields`` maps field names to option names, as in
    :func:`~deepseekapi_core._adapters.client_options_from`."""
    memo = {} if memo is None else memo
    for name, option in fields.items():
        shared = getattr(model, name) if option in _SHARED_OPTIONS else None
        if shared is not None:
            memo[id(shared)] = shared
    return memo


class HoldsClients:
    """For an adapter (a pydantic model) whose fields configure the core clients.

    The adapter class sets ``_client_fields`` (a class variable mapping each such field's name
    to its :class:`~deepseekapi_core._adapters.ClientOptions` name) and a private attribute
    ``_clients`` (the holder, or None until first use), and puts this class before its
    framework base. It gets the holder as ``clients``, its ``client``/``async_client`` and
    ``close``/``aclose``; deep copies that share the injected transports and HTTP clients and
    build their own core clients; and assignments to a client field that close the clients
    built from the old value.

    A plain mixin with no state of its own: nothing changes in the model's fields, ``repr``,
    serialisation or pickling.
    """

    __slots__ = ()

    #: The adapter's fields that configure the core clients, by their ClientOptions names.
    _client_fields: ClassVar[Mapping[str, str]] = {}

    if TYPE_CHECKING:
        _clients: ClientHolder | None

    @property
    def clients(self) -> ClientHolder:
        """The core's client holder: the options, the sync client and the async clients."""
        clients = self._clients
        if clients is None:
            from ._holder import ClientHolder
            from ._keywords import client_options_from

            clients = self._clients = ClientHolder(client_options_from(self, self._client_fields))
        return clients

    @property
    def client(self) -> DeepSeekClient:
        """The core's synchronous client (built on first use and reused)."""
        return self.clients.client

    @property
    def async_client(self) -> AsyncDeepSeekClient:
        """The core's asynchronous client for the running event loop."""
        return self.clients.async_client

    def close(self) -> None:
        """Close the clients' connection pools (injected HTTP clients stay open)."""
        self.clients.close()

    async def aclose(self) -> None:
        """Close the clients' connection pools, awaiting the running loop's."""
        await self.clients.aclose()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """Deep copies share the injected transports and HTTP clients (which hold locks and
        connections) and build their own core clients."""
        copied = cast(Any, super()).__deepcopy__(sharing_memo(self, self._client_fields, memo))
        return cast("Self", copied)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in self._client_fields:
            # Clients built from the old settings are closed; new ones are built on next use.
            # (None before the model's private attributes exist: no clients to follow yet.)
            follow_client_field(getattr(self, "_clients", None), self, self._client_fields, name)
