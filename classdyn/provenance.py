"""Where a result came from: the code version (a hash of the package sources), the git commit
when the sources sit in a git checkout, and the versions of the main libraries.

Long runs put :func:`code_version` in their resume keys, and saved tables carry
:func:`provenance`, so a result can be traced to the code that made it.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from pathlib import Path

from . import __version__

#: The import packages whose sources make up the code version.
PACKAGES = ("classdyn", "theory", "simulate", "ddpm", "validation")

_ROOT = Path(__file__).resolve().parent.parent


def code_version() -> str:
    """First 16 hex digits of the SHA-256 over the package version and every ``.py`` source of
    :data:`PACKAGES` (path and bytes, in sorted order): it changes whenever the code does."""
    h = hashlib.sha256(__version__.encode())
    for pkg in PACKAGES:
        for path in sorted((_ROOT / pkg).rglob("*.py")):
            h.update(str(path.relative_to(_ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def git_commit() -> str | None:
    """The commit of the checkout holding the sources (with ``+dirty`` when files differ), or
    ``None`` outside a git checkout (an installed wheel)."""
    if not (_ROOT / ".git").exists():
        return None
    try:
        rev = subprocess.run(["git", "-C", str(_ROOT), "rev-parse", "HEAD"], check=True,
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(_ROOT), "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("+dirty" if dirty else "")


def library_versions() -> dict[str, str]:
    """Versions of Python, the platform and the main libraries."""
    from importlib.metadata import PackageNotFoundError, version

    env = {"python": sys.version.split()[0], "platform": platform.platform(),
           "classdyn": __version__}
    for mod in ("numpy", "scipy", "sympy", "mpmath", "numba", "matplotlib", "torch"):
        try:
            env[mod] = version(mod)
        except PackageNotFoundError:
            env[mod] = "not installed"
    return env


def provenance(command: str | None = None) -> dict:
    """``{"command", "code_version", "git_commit", "versions"}`` for a saved result."""
    if command is None:
        argv = list(sys.argv)
        if argv and Path(argv[0]).name in ("__main__.py", "classdyn"):
            argv[0] = "classdyn"
        command = " ".join(argv)
    return {"command": command,
            "code_version": code_version(), "git_commit": git_commit(),
            "versions": library_versions()}
