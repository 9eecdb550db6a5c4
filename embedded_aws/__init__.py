"""Embedded AWS for local runs and tests: moto's server plus our extensions.

Start it with ``EmbeddedAws().start()`` (or as a context manager) and point
boto3 at ``endpoint_url``. See ``server`` for the settings and
``stepfunctions``, ``glue`` and ``athena`` for what is added
to moto.
"""

from embedded_aws.compat import EmulatorCompatibilityError
from embedded_aws.server import EmbeddedAws, GlueControl, serve_forever

__all__ = ["EmbeddedAws", "EmulatorCompatibilityError", "GlueControl", "serve_forever"]
