"""A local ``awsglue``: the AWS Glue ETL library's Python API on plain Spark DataFrames.

Only jobs run by the embedded AWS Glue see this package (the driver puts its
folder first on ``sys.path``). It implements the API real Glue scripts use;
what it cannot do raises ``NotImplementedError`` naming the feature as "not
supported locally". The README ("Your Glue scripts, unchanged") lists what is
there and what is approximated (DynamicFrame choice types).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:  # ``from awsglue import DynamicFrame`` without importing pyspark eagerly
    if name in ("DynamicFrame", "DynamicFrameCollection", "DynamicFrameReader", "DynamicFrameWriter"):
        from awsglue import dynamicframe

        return getattr(dynamicframe, name)
    raise AttributeError(f"module 'awsglue' has no attribute {name!r}")
