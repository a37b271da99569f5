"""The wire: what goes to the service and what comes back, and the rules that shape it.

The request and response models (:class:`ChatRequest` is the one list of request parameters:
the body is its dump less the fields it declares non-wire), the model registry (eras, profiles,
capabilities), the reasoner's history and thinking rules (:func:`build_request_body`), and
messages with their text and image parts.
"""

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, __file__)
