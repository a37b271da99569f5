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


# Kept here rather than imported from ._keywords, which would load httpx and pydantic.
_EXTRA_CLIENT_OPTIONS = "extra_client_options"


def follow_client_field(
    holder: ClientHolder | None, model: object, fields: Mapping[str, str], name: str
) -> None:
    """After field ``name`` of ``model`` was set: pass it on to ``holder`` if it is a client
    option, or the field of further client options (its clients built from the old value are
    closed and rebuilt on next use)."""
    if holder is None:
        return
    option = fields.get(name)
    if option is not None:
        holder.update(**{option: getattr(model, name)})
    elif name == _EXTRA_CLIENT_OPTIONS:
        holder.update(**(getattr(model, name) or {}))


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
    extra = getattr(model, _EXTRA_CLIENT_OPTIONS, None) or {}
    given = [(option, getattr(model, name)) for name, option in fields.items()]
    for option, shared in [*given, *extra.items()]:
        if shared is not None and option in _SHARED_OPTIONS:
            memo[id(shared)] = shared
    return memo


class HoldsClients:
    """For an adapter (a pydantic model) whose fields configure the core clients.

    The adapter class declares fields named as :class:`~deepseekapi_core.http.ClientOptions`'
    fields (or spelled as ``_client_option_aliases`` says, ``{option: field}``), optionally an
    ``extra_client_options`` field for options it has no field of its own for, and a private
    attribute ``_clients`` (the holder, or None until first use), and puts this class before
    its framework base. Which fields configure the clients is derived from ``ClientOptions``
    (:meth:`_client_fields`), so an option added there needs no edit here or in the adapter.
    It gets the holder as ``clients``, its ``client``/``async_client`` and ``close``/``aclose``;
    deep copies that share the injected transports and HTTP clients and build their own core
    clients; and assignments to a client field that close the clients built from the old value.

    A plain mixin with no state of its own: nothing changes in the model's fields, ``repr``,
    serialisation or pickling.
    """

    __slots__ = ()

    #: The adapter's spellings of client options that differ from ClientOptions': {option: field}.
    _client_option_aliases: ClassVar[Mapping[str, str]] = {}

    if TYPE_CHECKING:
        _clients: ClientHolder | None

    @property
    def clients(self) -> ClientHolder:
        """The core's client holder: the options, the sync client and the async clients."""
        clients = self._clients
        if clients is None:
            from ._holder import ClientHolder
            from ._keywords import client_options_from

            options = client_options_from(self, self._client_fields())
            clients = self._clients = ClientHolder(options)
        return clients

    @classmethod
    def _client_fields(cls) -> Mapping[str, str]:
        """The fields that configure the core clients: ``{field name: ClientOptions name}``."""
        from ._keywords import client_fields

        return client_fields(cast(Any, cls), cls._client_option_aliases)

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
        copied = cast(Any, super()).__deepcopy__(sharing_memo(self, self._client_fields(), memo))
        return cast("Self", copied)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name[0] != "_":  # private attributes (the holder among them) configure no client
            # Clients built from the old settings are closed; new ones are built on next use.
            # (None before the model's private attributes exist: no clients to follow yet.)
            holder = getattr(self, "_clients", None)
            if holder is not None:
                follow_client_field(holder, self, self._client_fields(), name)
