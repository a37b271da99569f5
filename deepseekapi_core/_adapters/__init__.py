"""Private support that the LangChain and LlamaIndex adapters share; outside semver.

The client holder and the mixin an adapter's model class inherits, the request composer, the
keyword and per-call options policies, and the fast trusted model construction. Adapters import
each from its module; this package imports nothing, so the light mixin stays light.
"""
