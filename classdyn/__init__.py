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


from classdyn._lazy import lazy_exports

#: public name -> submodule that defines it (imported on first use, PEP 562)
_EXPORTS = {
    "io": ("atomic_write_json", "atomic_save_npz", "read_json"),
    "provenance": ("code_version", "git_commit", "library_versions"),
    "cli": ("main",),
    "log": ("get_logger",),
    "readers": ("Dataset", "read_dataset"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, globals())
__all__ = __all__ + ["__version__"]
