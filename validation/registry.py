"""The registry of validation checks.

A check tests one claim of the paper (an equation, a figure, a Result) by measuring quantities
with one method and comparing them with another (theory against simulation, simulation against
DDPM), within a tolerance that has a stated reason.

Writing a check: in a module ``validation/checks_<topic>.py``, decorate a module-level function

.. code-block:: python

    @check(name="coefficients", claim="...", reference="docs/theory/gaussian-equivalence.md; paper App. D",
           sizes={"small": {...}, "paper": {...}})
    def coefficients(params: dict, ctx: CheckContext) -> Outcome:
        ...
        return Outcome(passed=err < tol, measured={...}, tolerance=f"{tol:g}",
                       tolerance_reason="...", figure=fig, summary="...")

The function receives the parameter dict of the requested size, does its work (it may use
``ctx.progress`` and ``ctx.results_dir``), and returns an :class:`Outcome`. Modules are discovered
by name; nothing else needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

SIZES = ("small", "paper")

#: Outcome statuses. ``waiting``: the check needs results that do not exist yet (e.g. DDPM runs)
#: and says how to produce them; ``skipped``: a requirement (torch, data) is missing here.
STATUSES = ("pass", "fail", "waiting", "skipped", "error")


@dataclass
class Outcome:
    """What a check function returns: the verdict, the numbers it rests on and why it was allowed.

    ``status`` defaults to ``"pass"``/``"fail"`` from ``passed``; ``resolved_status()`` returns it
    (``ValueError`` for a status outside ``STATUSES`` = pass, fail, waiting, skipped, error).

    Parameters
    ----------
    passed : bool or None
        The verdict (``None`` when there is none, e.g. waiting or skipped).
    measured : dict, optional
        The numbers the verdict rests on (JSON-able).
    tolerance : str, default ""
        What was allowed.
    tolerance_reason : str, default ""
        Why that tolerance.
    figure : matplotlib.figure.Figure or None, default None
        A figure for the report.
    summary : str, default ""
        One or two sentences for the report.
    status : str, optional
        One of ``STATUSES``: ``waiting`` (needs results that do not exist yet, and says how to
        produce them), ``skipped`` (a requirement such as torch or data is missing here), ...
    results : dict, optional
        The paper's Results (keys "1"-"4") the check speaks to: ``True``/``False`` whether this
        run reproduces them, or a sentence saying which part it could judge.

    Examples
    --------
    >>> from classdyn.validation.registry import Outcome
    >>> Outcome(passed=True, measured={"err": 1e-3}).resolved_status()
    'pass'
    >>> Outcome(passed=None, status="waiting", summary="run the DDPM first").resolved_status()
    'waiting'
    >>> Outcome(passed=False, status="late").resolved_status()
    Traceback (most recent call last):
    ...
    ValueError: status must be one of ('pass', 'fail', 'waiting', 'skipped', 'error'), got 'late'
    """

    passed: bool | None
    measured: dict[str, Any] = field(default_factory=dict)
    tolerance: str = ""
    tolerance_reason: str = ""
    figure: Any = None
    summary: str = ""
    status: str | None = None  # default: "pass"/"fail" from ``passed``
    results: dict[str, bool | str] = field(default_factory=dict)

    def resolved_status(self) -> str:
        if self.status is not None:
            if self.status not in STATUSES:
                raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
            return self.status
        return "pass" if self.passed else "fail"


@dataclass
class CheckContext:
    """Given to a check function: its size, where it may write, and a progress wrapper.

    ``progress(iterable, desc="", total=None)`` wraps an iterable in the package's progress bar
    (not left on screen).

    Parameters
    ----------
    size : str
        The size the check runs at (``"small"`` or ``"paper"``).
    results_dir : pathlib.Path
        The validation output folder (where results of other stages, e.g. DDPM gap tables, live).
    work_dir : pathlib.Path
        The check's own record folder, for any files it writes.

    Examples
    --------
    >>> from pathlib import Path
    >>> from classdyn.validation.registry import CheckContext
    >>> ctx = CheckContext(size="small", results_dir=Path("results"), work_dir=Path("work"))
    >>> sum(ctx.progress(range(4), desc="demo"))
    6
    """

    size: str
    results_dir: Path
    work_dir: Path

    def progress(self, iterable, desc: str = "", total: int | None = None):
        from classdyn.progress import progress

        return progress(iterable, desc=desc, total=total, leave=False)


@dataclass(frozen=True)
class Check:
    """A registered check (see the module docstring); made by the :func:`check` decorator.

    ``target`` is ``"module:function"``, so a worker process can find the function again;
    ``params(size)`` returns a copy of the parameters of ``size`` (those of ``"small"`` when the
    size has none of its own; ``ValueError`` for a size outside ``SIZES``).

    Parameters
    ----------
    name : str
        Unique name of the check.
    claim : str
        The claim of the paper it tests.
    reference : str
        Where the claim is (``docs/theory/<page>.md``; paper section).
    func : callable
        ``func(params: dict, ctx: CheckContext) -> Outcome``.
    sizes : dict
        Parameters per size, ``{"small": {...}, "paper": {...}}``.
    requires : tuple of str, default ()
        Modules that must be importable (else the check is ``skipped``).
    order : int, default 100
        Position in the registry and the report.
    inputs : callable, optional
        ``inputs(params, results_dir) -> [paths]``: files the check reads from disk (data sets,
        gap tables); their contents enter the cache key, so a new or changed file re-runs it.

    Examples
    --------
    >>> from classdyn.validation.checks_ddpm import fmnist_stats
    >>> from classdyn.validation.registry import Check
    >>> chk = Check(name="demo", claim="Sneaker has the lowest pixel variance",
    ...             reference="docs/theory/ddpm.md", func=fmnist_stats,
    ...             sizes={"small": {"per_class": 2000}})
    >>> chk.target
    'classdyn.validation.checks_ddpm:fmnist_stats'
    >>> chk.params("paper")          # no paper parameters: the small ones
    {'per_class': 2000}
    >>> chk.params("huge")
    Traceback (most recent call last):
    ...
    ValueError: size must be one of ('small', 'paper'), got 'huge'
    """

    name: str
    claim: str
    reference: str
    func: Callable[[dict, CheckContext], Outcome]
    sizes: dict[str, dict[str, Any]]
    requires: tuple[str, ...] = ()
    order: int = 100
    #: ``inputs(params, results_dir) -> [paths]``: files the check reads from disk (data sets,
    #: gap tables); their contents enter the cache key, so a new or changed file re-runs it.
    inputs: Callable[[dict, Path], list] | None = None

    @property
    def target(self) -> str:
        """``module:function``, so a worker process can find the function again."""
        return f"{self.func.__module__}:{self.func.__name__}"

    def params(self, size: str) -> dict[str, Any]:
        if size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, got {size!r}")
        return dict(self.sizes.get(size, self.sizes.get("small", {})))


_REGISTRY: dict[str, Check] = {}


def check(*, name: str, claim: str, reference: str, sizes: dict[str, dict[str, Any]],
          requires: tuple[str, ...] = (), order: int = 100,
          inputs: Callable[[dict, Path], list] | None = None):
    """Decorator registering a check function under ``name`` (unique).

    The function is returned unchanged; a :class:`Check` built from the arguments is stored in the
    registry that :func:`discover` returns. Registering another function under a name already
    taken raises ``ValueError`` (re-registering the same function, as on re-import, is fine).

    Parameters
    ----------
    name : str
        Unique name of the check.
    claim : str
        The claim of the paper it tests.
    reference : str
        Where the claim is (``docs/theory/<page>.md``; paper section).
    sizes : dict
        Parameters per size, ``{"small": {...}, "paper": {...}}``.
    requires : tuple of str, default ()
        Modules that must be importable (else the check is ``skipped``).
    order : int, default 100
        Position in the registry and the report.
    inputs : callable, optional
        ``inputs(params, results_dir) -> [paths]``: the files the check reads (see :class:`Check`).

    Returns
    -------
    callable
        The decorator; it returns the function it is applied to.

    Raises
    ------
    ValueError
        (when decorating) if ``name`` is already registered for another function.

    Examples
    --------
    >>> from classdyn.validation import registry
    >>> from classdyn.validation.registry import check, Outcome
    >>> @check(name="doc-demo", claim="1 + 1 = 2", reference="docs/theory/model.md",
    ...        sizes={"small": {"a": 1}})
    ... def doc_demo(params, ctx):
    ...     return Outcome(passed=params["a"] + 1 == 2)
    >>> registry._REGISTRY["doc-demo"].claim
    '1 + 1 = 2'
    >>> check(name="doc-demo", claim="", reference="", sizes={})(lambda p, c: None)
    Traceback (most recent call last):
    ...
    ValueError: check name 'doc-demo' registered twice
    >>> del registry._REGISTRY["doc-demo"]     # keep the registry to the package's checks
    """

    def deco(func):
        if name in _REGISTRY and _REGISTRY[name].target != f"{func.__module__}:{func.__name__}":
            raise ValueError(f"check name {name!r} registered twice")
        _REGISTRY[name] = Check(name=name, claim=claim, reference=reference, func=func,
                                sizes=sizes, requires=tuple(requires), order=order,
                                inputs=inputs)
        return func

    return deco


def discover() -> dict[str, Check]:
    """Import every ``validation/checks_*.py`` and return the registry, ordered.

    Modules are found by name, so a new ``checks_<topic>.py`` needs no other edit.

    Returns
    -------
    dict of str to Check
        Name -> check, ordered by ``(order, name)``.

    Examples
    --------
    >>> from classdyn.validation.registry import discover
    >>> reg = discover()
    >>> list(reg)[:2], "fmnist-stats" in reg
    (['coefficients', 'gep-vs-exact'], True)
    >>> reg["fmnist-stats"].reference
    'docs/theory/ddpm.md; paper Sec. 4 and App. J.1'
    """
    from classdyn import validation

    for info in pkgutil.iter_modules(validation.__path__):
        if info.name.startswith("checks_"):
            importlib.import_module(f"{validation.__name__}.{info.name}")
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_checks(names: list[str] | None = None) -> list[Check]:
    """The registered checks called ``names`` (all of them when ``None`` or empty).

    Parameters
    ----------
    names : list of str, optional
        Check names (the CLI's ``--only``).

    Returns
    -------
    list of Check
        In the order of ``names``, or the registry's order for all.

    Raises
    ------
    ValueError
        If a name is not registered, listing the known ones.

    Examples
    --------
    >>> from classdyn.validation.registry import get_checks
    >>> [c.name for c in get_checks(["windows", "coefficients"])]
    ['windows', 'coefficients']
    >>> len(get_checks()) >= 2
    True
    >>> get_checks(["no-such-check"])
    Traceback (most recent call last):
    ...
    ValueError: --only: unknown check(s) ['no-such-check']; known checks: [...]
    """
    reg = discover()
    if not names:
        return list(reg.values())
    unknown = [n for n in names if n not in reg]
    if unknown:
        raise ValueError(f"--only: unknown check(s) {unknown}; known checks: {list(reg) or 'none'}")
    return [reg[n] for n in names]
