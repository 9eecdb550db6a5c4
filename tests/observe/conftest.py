"""The observe tests share one set of pipeline runs (see observe_support)."""

from observe_support import observed  # noqa: F401  (the session fixture)
