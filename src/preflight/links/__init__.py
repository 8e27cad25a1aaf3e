"""The live link checker (``--online``): results, the address guard, the cache, the run.

``results`` is light (rules import it); ``checker``, ``guard`` and ``cache`` import
the HTTP client and load only when a run is online.
"""
