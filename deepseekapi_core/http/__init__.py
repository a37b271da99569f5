"""The HTTP layer: the clients, their options, retries, server-sent events, deadlines and errors.

:class:`DeepSeekClient` and :class:`AsyncDeepSeekClient` are thin shells over one I/O-free
exchange (send, classify the reply, wait, retry, fold a stream); :class:`ClientOptions` is the
one list of what a client is built from. Every error the core raises is a
:class:`DeepSeekAPIError`, mapped from the status code as the design table says.
"""

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, __file__)
