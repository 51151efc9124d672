"""Rows of the two authorization matrices, one module per area, so that an area's pages and
endpoints bring their rows with them. Each module may define `API` (rows of test_authz_matrix)
and `WEB` (rows of test_web_authz_matrix), in the same shapes as those files' MATRIX."""

from __future__ import annotations

import importlib
import pkgutil


def _rows(name: str) -> list:
    rows: list = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        rows.extend(getattr(module, name, []))
    return rows


def api_rows() -> list:
    return _rows("API")


def web_rows() -> list:
    return _rows("WEB")
