"""validation: theory-versus-simulation-versus-DDPM checks, the paper's figures and the report.

- :mod:`~classdyn.validation.registry` — ``@check`` declares a check (claim, reference, sizes);
  ``discover`` / ``get_checks`` find them; a check returns an ``Outcome``.
- :mod:`~classdyn.validation.runner` — ``run_checks`` runs them on an executor, caches each
  record by a key of its parameters, inputs and code version.
- :mod:`~classdyn.validation.report` — ``write_report`` turns the records into ``report.html``.
- ``checks_coefficients``, ``checks_spectrum``, ``checks_extensive``, ``checks_dynamics``,
  ``checks_fmnist``, ``checks_ddpm`` — the checks; each has pure ``judge_*``/``compare_*``
  verdict functions tested clause by clause.
- :mod:`~classdyn.validation.cli_validation` — ``classdyn validate`` and ``classdyn report``.
"""


import importlib

#: public name -> submodule that defines it (imported on first use, PEP 562)
_EXPORTS = {
    "registry": ("Check", "CheckContext", "Outcome", "check", "discover", "get_checks"),
    "runner": ("run_checks", "make_executor", "SerialExecutor", "ProcessExecutor", "cache_key"),
    "report": ("write_report", "results_verdicts"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
