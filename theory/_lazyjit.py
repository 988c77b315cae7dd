"""Plain-Python kernels with a Numba twin compiled on first use (cold-start rule of issue 16).

A function decorated with :func:`lazy_njit` stays an ordinary Python function: calling it runs
the plain-Python body (NumPy + ``math``), which is what small inputs use, so that a command
evaluating a handful of coefficients never imports Numba. ``kernel.jit`` compiles the *same*
function body with ``numba.njit(cache=True)`` the first time it is asked for (Numba is imported
only then): every global name of the body that is itself a lazy kernel is bound, in the compiled
copy, to that kernel's compiled twin, so compiled kernels call compiled kernels. The compiled copy
keeps the function's code object (file and line), so Numba's on-disk cache works as for a plain
``@njit(cache=True)`` function and is invalidated when the source file changes.
"""

from __future__ import annotations

import functools
import types


class LazyKernel:
    """A plain-Python kernel with a lazily compiled Numba twin (``.jit``).

    ``kernel(*args)`` runs the Python body; ``kernel.jit(*args)`` the compiled one;
    ``kernel.py`` is the undecorated function; ``kernel.source`` its source text (set by
    generated modules; else ``None``).
    """

    def __init__(self, func):
        self.py = func
        self._jit = None
        self.source = None
        functools.update_wrapper(self, func)

    def __call__(self, *args):
        return self.py(*args)

    @property
    def compiled(self) -> bool:
        """Whether the Numba twin has been built in this process."""
        return self._jit is not None

    @property
    def jit(self):
        """The ``numba.njit(cache=True)`` twin of the same body (compiled on first access)."""
        if self._jit is None:
            import numba

            func = self.py
            glb = dict(func.__globals__)
            for name in func.__code__.co_names:
                val = glb.get(name)
                if isinstance(val, LazyKernel) and val is not self:
                    glb[name] = val.jit
            twin = types.FunctionType(func.__code__, glb, func.__name__, func.__defaults__,
                                      func.__closure__)
            twin.__qualname__ = func.__qualname__
            twin.__module__ = func.__module__
            twin.__doc__ = func.__doc__
            disp = numba.njit(cache=True)(twin)
            _stamp_dependencies(disp, self)
            self._jit = disp
        return self._jit


def _dependency_files(kernel: "LazyKernel", seen=None) -> set:
    """The source files of ``kernel`` and of every lazy kernel it calls, transitively."""
    seen = set() if seen is None else seen
    if id(kernel) in seen:
        return set()
    seen.add(id(kernel))
    func = kernel.py
    files = {func.__code__.co_filename}
    for name in func.__code__.co_names:
        val = func.__globals__.get(name)
        if isinstance(val, LazyKernel):
            files |= _dependency_files(val, seen)
    return files


def _stamp_dependencies(disp, kernel: "LazyKernel") -> None:
    """Make the on-disk cache of ``disp`` depend on every file its machine code comes from.

    Numba checks a cached kernel against the stamp (modification time, size) of the file that
    defines it only; a kernel of one file calling a kernel of another (the generated
    closed forms call the Owen's-T rule of ``quadrature.py``) would be served stale after the
    other file changed. The stamp stored with and checked against the cache index becomes
    that of all the files (:func:`_dependency_files`). Where this Numba has no such stamp, the
    kernel is not cached at all rather than cached unsafely.
    """
    import os

    files = sorted(_dependency_files(kernel))
    if len(files) <= 1:
        return
    try:
        cache_file = disp._cache._cache_file
        cache_file._source_stamp = tuple((f, os.stat(f).st_mtime, os.stat(f).st_size)
                                         for f in files)
    except (AttributeError, OSError):
        from numba.core.caching import NullCache

        disp._cache = NullCache()


def lazy_njit(func):
    """Decorate ``func`` as a :class:`LazyKernel` (plain Python now, Numba on ``.jit``)."""
    return LazyKernel(func)


_PREFER_COMPILED = False


class prefer_compiled:
    """Within ``with prefer_compiled():`` kernels that choose between their plain-Python and
    compiled forms by the size of the work (the coefficients of
    :mod:`classdyn.theory.coefficients`, the densities of :mod:`classdyn.theory.stieltjes`
    called with ``compiled=None``) take the compiled twin
    even for small work: for long runs of small calls (a sweep line), where compiling once
    pays back. Process-wide; restores the previous choice on exit.

    Examples
    --------
    >>> from classdyn.theory._lazyjit import compiled_preferred, prefer_compiled
    >>> with prefer_compiled():
    ...     compiled_preferred()
    True
    >>> compiled_preferred()
    False
    """

    def __enter__(self):
        global _PREFER_COMPILED
        self._old = _PREFER_COMPILED
        _PREFER_COMPILED = True
        return self

    def __exit__(self, *exc):
        global _PREFER_COMPILED
        _PREFER_COMPILED = self._old
        return False


def compiled_preferred() -> bool:
    """Whether a :class:`prefer_compiled` block is active."""
    return _PREFER_COMPILED
