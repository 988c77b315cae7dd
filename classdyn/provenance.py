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
    """First 16 hex digits of the SHA-256 over the package version and every ``.py`` source.

    The hash covers the package version and every ``.py`` source of :data:`PACKAGES` (path and
    bytes, in sorted order): it changes whenever the code does. Long runs put it in their resume
    keys.

    Returns
    -------
    str
        16 lowercase hexadecimal digits.

    Examples
    --------
    >>> from classdyn import code_version
    >>> v = code_version()
    >>> len(v), all(c in "0123456789abcdef" for c in v)
    (16, True)
    >>> v == code_version()
    True
    """
    h = hashlib.sha256(__version__.encode())
    for pkg in PACKAGES:
        for path in sorted((_ROOT / pkg).rglob("*.py")):
            h.update(str(path.relative_to(_ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def git_commit() -> str | None:
    """The commit of the checkout holding the sources, or ``None`` outside a git checkout.

    ``+dirty`` is appended when tracked files differ from the commit (untracked files are
    ignored). ``None`` is returned for an installed wheel, or when ``git`` is missing or fails
    (10 s timeout per call).

    Returns
    -------
    str or None
        The 40-hex-digit commit hash, possibly followed by ``+dirty``; ``None`` outside a
        git checkout.

    Examples
    --------
    >>> from classdyn import git_commit
    >>> c = git_commit()
    >>> c is None or len(c.removesuffix("+dirty")) == 40
    True
    """
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
    """Versions of Python, the platform and the main libraries.

    Returns
    -------
    dict of str to str
        ``python``, ``platform``, ``classdyn`` and the distribution versions of NumPy, SciPy,
        SymPy, mpmath, Numba, Matplotlib and torch (``"not installed"`` for a missing one).

    Examples
    --------
    >>> from classdyn import library_versions
    >>> sorted(library_versions())  # doctest: +NORMALIZE_WHITESPACE
    ['classdyn', 'matplotlib', 'mpmath', 'numba', 'numpy', 'platform', 'python', 'scipy',
     'sympy', 'torch']
    """
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
    """``{"command", "code_version", "git_commit", "versions"}`` for a saved result.

    Saved tables carry it, so a result can be traced to the code that made it.

    Parameters
    ----------
    command : str or None, optional
        The command line that made the result; ``None`` (default) takes ``sys.argv`` joined by
        spaces, with a ``__main__.py`` or ``classdyn`` program name written as ``classdyn``.

    Returns
    -------
    dict
        ``command`` (str), ``code_version`` (:func:`code_version`), ``git_commit``
        (:func:`git_commit`, may be ``None``) and ``versions`` (:func:`library_versions`).

    Examples
    --------
    >>> from classdyn.provenance import provenance
    >>> p = provenance("classdyn theory spectrum")
    >>> sorted(p), p["command"]
    (['code_version', 'command', 'git_commit', 'versions'], 'classdyn theory spectrum')
    """
    if command is None:
        argv = list(sys.argv)
        if argv and Path(argv[0]).name in ("__main__.py", "classdyn"):
            argv[0] = "classdyn"
        command = " ".join(argv)
    return {"command": command,
            "code_version": code_version(), "git_commit": git_commit(),
            "versions": library_versions()}
