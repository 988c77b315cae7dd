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
    """What a check function returns.

    ``passed`` is the verdict; ``measured`` the numbers it rests on (JSON-able); ``tolerance``
    and ``tolerance_reason`` say what was allowed and why; ``figure`` is a matplotlib figure (or
    ``None``); ``summary`` one or two sentences for the report; ``results`` names the paper's
    Results (1-4) the check speaks to, with ``reproduced`` saying whether this run reproduces them.
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
    """Given to a check function: where it may write, and a progress wrapper."""

    size: str
    results_dir: Path
    work_dir: Path

    def progress(self, iterable, desc: str = "", total: int | None = None):
        from classdyn.progress import progress

        return progress(iterable, desc=desc, total=total, leave=False)


@dataclass(frozen=True)
class Check:
    """A registered check (see the module docstring)."""

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
    """Decorator registering a check function under ``name`` (unique); ``inputs`` lists the
    files it reads (see :class:`Check`)."""

    def deco(func):
        if name in _REGISTRY and _REGISTRY[name].target != f"{func.__module__}:{func.__name__}":
            raise ValueError(f"check name {name!r} registered twice")
        _REGISTRY[name] = Check(name=name, claim=claim, reference=reference, func=func,
                                sizes=sizes, requires=tuple(requires), order=order,
                                inputs=inputs)
        return func

    return deco


def discover() -> dict[str, Check]:
    """Import every ``validation/checks_*.py`` and return the registry (name -> Check), ordered."""
    from classdyn import validation

    for info in pkgutil.iter_modules(validation.__path__):
        if info.name.startswith("checks_"):
            importlib.import_module(f"{validation.__name__}.{info.name}")
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_checks(names: list[str] | None = None) -> list[Check]:
    """The checks called ``names`` (all when ``None``); unknown names raise ``ValueError``."""
    reg = discover()
    if not names:
        return list(reg.values())
    unknown = [n for n in names if n not in reg]
    if unknown:
        raise ValueError(f"--only: unknown check(s) {unknown}; known checks: {list(reg) or 'none'}")
    return [reg[n] for n in names]
