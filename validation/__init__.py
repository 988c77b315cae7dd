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


from classdyn._lazy import lazy_exports

#: public name -> submodule that defines it (imported on first use, PEP 562)
_EXPORTS = {
    "registry": ("Check", "CheckContext", "Outcome", "check", "discover", "get_checks"),
    "runner": ("run_checks", "make_executor", "SerialExecutor", "ProcessExecutor", "cache_key"),
    "executors": ("DaskExecutor",),
    "report": ("write_report", "results_verdicts"),
    "sweep": ("sweep", "parse_grid"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, globals())
