"""classdyn: class-resolved learning dynamics of diffusion models.

The distribution ``classdyn`` ships four packages (``theory``, ``simulate``, ``ddpm``,
``validation``) and this small one, which holds what they share: the version, the command-line
interface, the shared flag vocabulary and atomic result I/O.

Compiled kernels (Numba) are cached on disk, once per machine and code version: next to the
sources when they are writable, else in Numba's per-user cache. ``CLASSDYN_CACHE_DIR`` moves the
cache (``$CLASSDYN_CACHE_DIR/numba``; it sets ``NUMBA_CACHE_DIR`` unless that is set already),
e.g. for a read-only install or a shared cluster home.
"""

import os as _os

__version__ = "0.1.0"

if _os.environ.get("CLASSDYN_CACHE_DIR"):  # before anything imports numba
    _os.environ.setdefault("NUMBA_CACHE_DIR",
                           _os.path.join(_os.environ["CLASSDYN_CACHE_DIR"], "numba"))


import importlib

#: public name -> submodule that defines it (imported on first use, PEP 562)
_EXPORTS = {
    "io": ("atomic_write_json", "atomic_save_npz", "read_json"),
    "provenance": ("code_version", "git_commit", "library_versions"),
    "cli": ("main",),
    "log": ("get_logger",),
    "readers": ("Dataset", "read_dataset"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE) + ["__version__"]


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
