"""Lazy public names for a package ``__init__`` (PEP 562): each name is imported from its
submodule on first access, so importing a package loads none of its heavy dependencies."""

from __future__ import annotations

import importlib


def lazy_exports(package: str, exports: dict[str, tuple[str, ...]], namespace: dict):
    """The ``(__getattr__, __dir__, __all__)`` of ``package`` exporting, for each submodule of
    ``exports``, the names listed under it. ``namespace`` is the package's ``globals()``: a
    name, once loaded, is cached there."""
    where = {name: module for module, names in exports.items() for name in names}
    public = sorted(where)

    def __getattr__(name: str):
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__, public
