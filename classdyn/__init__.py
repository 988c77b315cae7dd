"""classdyn: class-resolved learning dynamics of diffusion models.

The distribution ``classdyn`` ships four packages (``theory``, ``simulate``, ``ddpm``,
``validation``) and this small one, which holds what they share: the version, the command-line
interface, the shared flag vocabulary and atomic result I/O.
"""

__version__ = "0.1.0"


import importlib

#: public name -> submodule that defines it (imported on first use, PEP 562)
_EXPORTS = {
    "io": ("atomic_write_json", "atomic_save_npz", "read_json"),
    "provenance": ("code_version", "git_commit", "library_versions"),
    "cli": ("main",),
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
