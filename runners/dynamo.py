"""Binding pynamodb models to a table chosen at run time (never at import time)."""

from __future__ import annotations

from typing import TypeVar

from pynamodb.models import Model

M = TypeVar("M", bound=Model)


def bind(model: type[M], table_name: str, region: str, host: str | None) -> type[M]:
    """A subclass of ``model`` stored in ``table_name`` at ``host`` (None: AWS)."""
    meta = type("Meta", (), {"table_name": table_name, "region": region, "host": host, "billing_mode": "PAY_PER_REQUEST"})
    return type(f"{model.__name__}_{table_name}", (model,), {"Meta": meta})  # type: ignore[return-value]


def ensure_table(model: type[Model]) -> None:
    """Create the table if missing (local runs; the stack owns it on AWS)."""
    if not model.exists():
        model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
