#!/usr/bin/env python
"""Mutation testing of classdyn's numerical core: how many plausible one-line bugs do the tests catch?

Each *mutant* is one hand-written edit of one source line (a sign, a factor, an exponent, a branch,
a validator bound, a tolerance, ``+=`` -> ``=``, ``min`` -> ``max``, ...) in ``theory/``,
``simulate/``, ``validation/``, ``classdyn/io.py`` or ``classdyn/flags.py``. The table below
(``MUTANTS``) gives for each: where to look (a path or shell glob, alternatives joined by ``|``;
the package's ``*.py`` by default, so the table survives code moving between modules), an exact
source snippet that must occur exactly once there, its replacement, a short description, and the
test files to run: those of the first ``TESTS`` key (a path or glob) that matches the file where
the snippet was found (test globs, so new test files with matching names are picked up).

How a mutant is run
    The tracked files of the repository (``git ls-files``, working-tree contents; or a revision
    with ``--rev``) are copied into a temporary directory, one copy per job. For each mutant the
    snippet is replaced in the copy, the mapped tests run there with ``python -m pytest -x -q
    -p no:cacheprovider`` (PYTHONPATH = the copy, so the copy shadows the editable install of the
    real checkout), and the file is restored. The real checkout is never written to.
    Environment: ``CLASSDYN_NO_PROGRESS=1 CLASSDYN_SKIP_DDPM_MEMORISE=1 PYTHONDONTWRITEBYTECODE=1``
    and ``NUMBA_CACHE_DIR`` = one cache per job, shared by its mutants (a mutant in a file with
    compiled kernels gets a private copy of that cache without the entries of that file and of the
    kernel files importing it, because Numba does not track calls between cached files).

Before the mutants (unless ``--no-baseline``)
    1. import check: ``theory``, ``simulate``, ... imported in the copy's environment must come
       from the copy, not from the checkout;
    2. canary: the first mutant's file with ``raise RuntimeError`` appended must be killed by its
       tests (if it survives, the tests did not run the copy's code and the run stops);
    3. baseline: the union of all selected test files must pass on the unmutated copy (otherwise
       every mutant would look killed; the run stops and names the failing tests). Its per-file
       times set each mutant's timeout: ``--timeout-factor`` x (time of its test files) + 60 s,
       unless ``--timeout`` fixes it.

Statuses
    killed    the tests failed (or could not be collected) with the mutant;
    timeout   the tests ran past the mutant's timeout (counted as killed, reported separately);
    survived  the tests passed with the mutant;
    stale     the snippet no longer occurs exactly once where the mutant looks (the code changed;
              update the table) -- reported, never silently skipped;
    equivalent  marked in the table as not changing behaviour (with the reason); not run unless
              ``--run-equivalent``, and excluded from the kill rate either way;
    error     the mutant does not compile, or pytest failed for another reason (usage error,
              no tests collected): a problem of the table, not of the tests.

Kill rate = (killed + timeout) / (killed + timeout + survived), overall and per package.

Examples
    .venv/bin/python scripts/mutation_test.py --list
    .venv/bin/python scripts/mutation_test.py --only 'spec-*' --out mut.json
    .venv/bin/python scripts/mutation_test.py --rev HEAD --jobs 1 --out results/mutation.json

The full table takes about two hours on the shared 2-core machine (baseline ~20 min, then 10-15 s
per killed mutant and the full test selection, up to ~10 min, per survivor).

Exit status: 0 when the run completed (whatever the kill rate), 2 for bad arguments, 3 when the
machinery check (import check, canary, baseline) failed.
"""

from __future__ import annotations

import argparse
import configparser
import dataclasses
import fnmatch
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# ====================================================================== the table
@dataclasses.dataclass(frozen=True)
class Mutant:
    """One edit: replace ``old`` by ``new`` where ``old`` occurs exactly once among the files
    matching ``file`` (a path or shell glob; alternatives joined by ``|``)."""

    id: str
    file: str
    old: str
    new: str
    description: str
    tests: tuple[str, ...] | None = None  # None: from TESTS, by the file the snippet is in
    equivalent: str | None = None  # reason, when the mutant cannot change behaviour


#: Test files (globs, relative to the repository root) for a mutant found in a source file: the
#: first key (path or glob) matching that file wins. Most specific tests first (``-x`` stops at
#: the first failure); the package-wide keys at the end catch modules added later.
TESTS: dict[str, list[str]] = {
    "theory/params.py": ["tests/theory/test_params*.py", "tests/simulate/test_data.py",
                         "tests/theory/test_coefficients.py", "tests/theory/test_timescales.py",
                         "tests/theory/test_bulks.py"],
    "theory/coefficients.py": ["tests/theory/test_coefficients.py", "tests/theory/test_coeff_*.py",
                               "tests/theory/test_cli_coefficients.py",
                               "tests/theory/test_quadrature*.py",
                               "tests/validation/test_*coefficients*.py",
                               "tests/simulate/test_features.py"],
    "theory/*quadrature.py": ["tests/theory/test_quadrature*.py",
                              "tests/theory/test_coefficients.py", "tests/theory/test_coeff_*.py",
                              "tests/theory/test_cli_coefficients.py",
                              "tests/validation/test_*coefficients*.py",
                              "tests/simulate/test_features.py"],
    "theory/_spectrum_kernels.py": ["tests/theory/test_stieltjes*.py",
                                    "tests/theory/test_spectral_params*.py",
                                    "tests/theory/test_spectrum*.py",
                                    "tests/theory/test_curve*.py",
                                    "tests/theory/test_edges*.py"],
    "theory/bulks.py": ["tests/theory/test_bulks*.py", "tests/theory/test_timescales*.py",
                        "tests/theory/test_model*.py"],
    "theory/timescales.py": ["tests/theory/test_timescales*.py", "tests/theory/test_bulks*.py",
                             "tests/validation/test_*spectrum*.py",
                             "tests/simulate/test_dynamics.py"],
    "theory/_extensive_kernels.py": ["tests/theory/test_extensive*.py",
                                     "tests/theory/test_bulks*.py",
                                     "tests/theory/test_cli_spectrum*.py",
                                     "tests/theory/test_cli_speciation*.py"],
    "theory/extensive*.py": ["tests/theory/test_extensive_outliers*.py",
                             "tests/theory/test_extensive*.py", "tests/theory/test_bulks*.py",
                             "tests/theory/test_cli_spectrum*.py",
                             "tests/theory/test_cli_speciation*.py",
                             "tests/validation/test_*extensive*.py"],
    "theory/speciation.py": ["tests/theory/test_speciation*.py",
                             "tests/theory/test_extensive_outliers*.py",
                             "tests/theory/test_extensive_exact*.py",
                             "tests/simulate/test_speciation*.py",
                             "tests/validation/test_*dynamics*.py"],
    # the centred chain: spectral_params -> curve -> stieltjes -> edges -> spectrum, model
    "theory/*.py": ["tests/theory/test_spectral_params*.py", "tests/theory/test_curve*.py",
                    "tests/theory/test_stieltjes*.py", "tests/theory/test_spectrum*.py",
                    "tests/theory/test_edges*.py", "tests/theory/test_bulks*.py",
                    "tests/theory/test_timescales*.py", "tests/theory/test_model*.py",
                    "tests/validation/test_*spectrum*.py"],
    "simulate/data.py": ["tests/simulate/test_data*.py", "tests/simulate/test_features.py"],
    "simulate/features.py": ["tests/simulate/test_features*.py", "tests/theory/test_spectrum.py",
                             "tests/theory/test_stieltjes.py",
                             "tests/theory/test_spectral_params.py",
                             "tests/validation/test_*coefficients*.py"],
    "simulate/train.py": ["tests/simulate/test_train*.py", "tests/validation/test_*dynamics*.py"],
    "simulate/times.py": ["tests/simulate/test_times*.py", "tests/validation/test_*dynamics*.py"],
    "simulate/speciation.py": ["tests/simulate/test_speciation*.py",
                               "tests/validation/test_*dynamics*.py"],
    "simulate/*.py": ["tests/simulate/test_dynamics*.py", "tests/simulate/test_systems*.py",
                      "tests/simulate/test_train*.py", "tests/simulate/test_times*.py",
                      "tests/validation/test_*dynamics*.py"],
    "validation/checks_spectrum.py": ["tests/validation/test_*spectrum*.py"],
    "validation/checks_extensive.py": ["tests/validation/test_*extensive*.py"],
    "validation/checks_coefficients.py": ["tests/validation/test_*coefficients*.py"],
    "validation/checks_dynamics.py": ["tests/validation/test_*dynamics*.py"],
    "validation/*.py": ["tests/validation/test_runner*.py", "tests/validation/test_registry*.py",
                        "tests/validation/test_report*.py",
                        "tests/validation/test_cli_validation*.py", "tests/test_cli.py"],
    "classdyn/io.py": ["tests/test_io*.py", "tests/validation/test_runner*.py"],
    "classdyn/flags.py": ["tests/test_flags*.py", "tests/test_cli.py",
                          "tests/validation/test_cli_validation.py",
                          "tests/simulate/test_cli_simulate.py",
                          "tests/theory/test_cli_coefficients.py",
                          "tests/theory/test_cli_spectrum.py",
                          "tests/theory/test_cli_speciation.py"],
    "classdyn/*.py": ["tests/test_provenance*.py", "tests/test_progress*.py",
                      "tests/validation/test_runner*.py", "tests/test_cli.py",
                      "tests/validation/test_cli_validation.py"],
}

_M = Mutant

#: The mutants. ``old`` must occur exactly once among the files ``file`` matches.
MUTANTS: list[Mutant] = [
    # ------------------------------------------------------------------ theory/params.py
    _M("params-gram-no-overlaps", "theory/*.py",
       "return np.outer(s, s) * np.asarray(self.overlaps)", "return np.outer(s, s)",
       "Gram matrix ignores the centroid overlaps"),
    _M("params-delta-t", "theory/*.py",
       "return -math.expm1(-2.0 * check_time(t))", "return -math.expm1(-check_time(t))",
       "Delta_t = 1 - exp(-t) instead of 1 - exp(-2t)"),
    _M("params-positive-zero", "theory/*.py",
       "if not math.isfinite(x) or x <= 0:", "if not math.isfinite(x) or x < 0:",
       "check_positive accepts 0 (t = 0, zero variance)"),
    # ------------------------------------------------------------------ theory/coefficients.py
    _M("coef-b-sqrt", "theory/*.py",
       "b=math.sqrt(D) * a, v2=v2, s2=s2,", "b=D * a, v2=v2, s2=s2,",
       "b = Delta a instead of sqrt(Delta) a"),
    _M("coef-table-tol", "theory/*.py",
       "TABLE_TOL = 2e-14", "TABLE_TOL = 2e-8",
       "Chebyshev table accepted at 2e-8 instead of 2e-14 (large m arrays)"),
    _M("coef-clusters", "theory/*.py",
       "for cl in _clusters(msorted, 2 * q.L_TRUNC * s):",
       "for cl in _clusters(msorted, 0.5 * q.L_TRUNC * s):",
       "projected centroids split into more lattice clusters",
       equivalent="lattices are anchored at multiples of the step, so every m meets the same "
                  "lattice nodes whichever cluster it falls in; only the work changes"),
    # ------------------------------------------------------------------ theory/quadrature.py
    _M("quad-log-eps", "theory/*.py",
       "LOG_EPS = 38.0", "LOG_EPS = 18.0",
       "trapezoid aliasing budget e^-18 instead of e^-38 (steps too coarse)"),
    _M("quad-s2-noise-linear-part", "theory/*.py",
       "r2 = lat[klo + j, 2] - bb", "r2 = lat[klo + j, 2]",
       "s^2 keeps the linear noise part (b^2 not subtracted)"),
    _M("quad-relu-dact-half", "theory/*.py",
       "        return 0.5\n    return 1.0", "        return 1.0\n    return 1.0",
       "ReLU derivative at exactly 0 is 1 instead of 1/2",
       equivalent="dact(relu) is reached only when sqrt(Delta) = 0, i.e. t = 0, which every "
                  "entry point rejects; ReLU inner integrals use the split Gauss-Legendre path"),
    # ------------------------------------------------------------------ theory/spectrum.py
    _M("spec-merge-weights", "theory/*.py",
       "weights[keys.index((a, v))] += r", "weights[keys.index((a, v))] = r",
       "merging identical classes keeps the last weight instead of adding them"),
    _M("spec-delta-rank-min", "theory/*.py",
       "rank = 1.0 if params.bbar2 > 0 else min(params.psi_n, 1.0)",
       "rank = 1.0 if params.bbar2 > 0 else max(params.psi_n, 1.0)",
       "delta-peak rank min(psi_n, 1) -> max(psi_n, 1) when bbar2 = 0 and v = 0"),
    _M("spec-delta-clip", "theory/*.py",
       "return max(0.0, 1.0 - rank / p)", "return 1.0 - rank / p",
       "negative delta weight when the rank exceeds p"),
    _M("spec-bulk-jacobian", "theory/*.py",
       "jac = (b - a) * np.sin(theta) / 2.0 * (math.pi / 2.0)",
       "jac = (b - a) * np.sin(theta) / 2.0",
       "bulk mass quadrature misses the d(theta)/dx factor pi/2"),
    _M("spec-mass-tol", "theory/*.py",
       "MASS_TOL = 1e-10", "MASS_TOL = 1e-4",
       "adaptive bulk-mass integration stops at 1e-4 instead of 1e-10"),
    _M("spec-alpha2-exponent", "theory/*.py",
       "alpha2 = a * a * math.exp(-2.0 * t) * var", "alpha2 = a * a * math.exp(-t) * var",
       "alpha_c^2 = a^2 e^{-t} sigma^2 instead of e^{-2t}"),
    _M("spec-bbar2-average", "theory/*.py",
       "bbar2=float(rho @ (b * b)), sbar2=s2v)", "bbar2=float(rho @ b) ** 2, sbar2=s2v)",
       "bbar^2 = (sum rho b)^2 instead of sum rho b^2"),
    _M("spec-ks-delta-left", "theory/*.py",
       "Ft_left = np.where(vals == s2, Ft - spec.delta_weight, Ft)", "Ft_left = Ft",
       "KS distance ignores the jump of the delta at s^2 (left limit)",
       equivalent="the next line sets Ft_left to 0 wherever vals <= s^2 (no mass below s^2), "
                  "which overwrites the value at vals == s^2 either way"),
    # ------------------------------------------------------------------ theory/_spectrum_kernels.py
    _M("speck-g2-sign", "theory/*.py",
       "g2 = r - psi_p * B * q * q - (1.0 - psi_p) * q",
       "g2 = r - psi_p * B * q * q - (1.0 + psi_p) * q",
       "second spectral equation with (1 + psi_p) instead of (1 - psi_p)"),
    _M("speck-conj-branch", "theory/*.py",
       "if ok2 and qn.imag < 0.0:", "if ok2 and qn.imag > 0.0:",
       "real-axis polish conjugates the physical root instead of the unphysical one"),
    # ------------------------------------------------------------------ theory/edges.py
    _M("edges-curve-sign", "theory/*.py",
       "for c in range(C)) - Pi) \\", "for c in range(C)) + Pi) \\",
       "z-free curve F(q, r) with +Pi instead of -Pi"),
    _M("edges-interp-points", "theory/*.py",
       "N = (2 * nq - 2) * nz + 1", "N = (2 * nq - 2) * nz",
       "discriminant interpolated through one point too few"),
    _M("edges-classify-threshold", "theory/*.py",
       "thr = 1e-7 * big", "thr = 1e-2 * big",
       "edge classification: 'zero density' up to 1e-2 of the other side"),
    _M("edges-lc-sign", "theory/*.py",
       "if Pint.LC() < 0:", "if Pint.LC() > 0:",
       "P(q, z) normalised to a negative leading coefficient",
       equivalent="only the overall sign of P changes; its roots, discriminant roots and the "
                  "density computed from them do not"),
    # ------------------------------------------------------------------ theory/timescales.py
    _M("ts-window-extrapolation", "theory/*.py",
       "h = np.asarray(psi_p_values, float) ** -0.5",
       "h = np.asarray(psi_p_values, float) ** -1.0",
       "window limits extrapolated in 1/psi_p instead of psi_p^{-1/2}"),
    _M("ts-error-bar-points", "theory/*.py",
       "first = float(np.polyval(np.polyfit(h[1:], y[1:], 1), 0.0))",
       "first = float(np.polyval(np.polyfit(h[:2], y[:2], 1), 0.0))",
       "extrapolation error bar from the two smallest psi_p instead of the two largest"),
    _M("ts-mass-match-tol", "theory/*.py",
       "MASS_MATCH_TOL = 1e-6", "MASS_MATCH_TOL = 1e-2",
       "bulk weights matched to 1/psi_p only within 1e-2"),
    _M("ts-lam-mem-edge", "theory/*.py",
       "lam_mem = (float(bulks[i_mem].upper) if", "lam_mem = (float(bulks[i_mem].lower) if",
       "lambda_mem is the lower instead of the upper edge of the memorisation bulk"),
    # ------------------------------------------------------------------ theory/extensive.py
    _M("ext-outlier-topleft", "theory/*.py",
       "Mat[:C, :C] += np.diag((1 + delta) / nodes.rho)", "Mat[:C, :C] += np.diag(1 / nodes.rho)",
       "outlier matrix top-left diag((1 + delta_c)/rho_c) -> diag(1/rho_c)"),
    _M("ext-kappa-delta", "theory/*.py",
       "kappa = nodes.rho * (nodes.e2 * nodes.sigma2 / (1 + delta) + nodes.Delta)",
       "kappa = nodes.rho * (nodes.e2 * nodes.sigma2 / (1 + delta))",
       "outlier matrix kappa misses the noise term Delta"),
    _M("ext-ell-block", "theory/*.py",
       "Mat[C:, C:] += d * np.kron(np.diag(1.0 / kappa), np.eye(r))",
       "Mat[C:, C:] += d * np.kron(np.diag(kappa), np.eye(r))",
       "centroid block d diag(kappa) instead of d diag(1/kappa)"),
    _M("ext-whitening-sqrt", "theory/*.py",
       "return evecs[:, keep] * np.sqrt(evals[keep])", "return evecs[:, keep] * evals[keep]",
       "whitening L with the Gram eigenvalues instead of their square roots"),
    _M("ext-legendre-gauss-weight", "theory/*.py",
       "w = (h[:, None] * wg[None]).ravel() * np.exp(-x ** 2 / 2)",
       "w = (h[:, None] * wg[None]).ravel() * np.exp(-x ** 2)",
       "Legendre rule weighted by exp(-x^2) (variance 1/2) instead of the standard Gaussian"),
    _M("ext-min-mass", "theory/*.py",
       "bulks = [bk for bk in bulks if bk[4] >= min_mass]",
       "bulks = [bk for bk in bulks if bk[4] >= 0.01 * min_mass]",
       "spurious bands kept down to mass 1e-5 instead of 1e-3"),
    _M("ext-naming-tol", "theory/*.py",
       "EXTENSIVE_MASS_MATCH_TOL = 1e-3", "EXTENSIVE_MASS_MATCH_TOL = 1e-1",
       "extensive bulks named with masses matched only to 0.1 (a 0.24 bulk taken for 1/4)"),
    _M("ext-class-dominance", "theory/*.py",
       "cls.append(int(np.argmax(cwk)) if cwk.max() >= 0.5 else -1)",
       "cls.append(int(np.argmax(cwk)) if cwk.max() >= 0.0 else -1)",
       "outlier assigned to a class even when no class dominates its null vector"),
    # ------------------------------------------------------------------ theory/_extensive_kernels.py
    _M("extk-delta-psi", "theory/*.py",
       "F[c] = x[c] - (e2s2[c] * Nm[c, c] + psi_p * EV[c]) / psi_n",
       "F[c] = x[c] - (e2s2[c] * Nm[c, c] + EV[c]) / psi_n",
       "delta_c equation misses psi_p in front of E[v^2 R]"),
    _M("extk-kappa-noise", "theory/*.py",
       "kappa[c] = rho[c] * (e2s2[c] / opd + Delta)", "kappa[c] = rho[c] * (e2s2[c] / opd)",
       "bulk kappa_c misses the noise term Delta"),
    # ------------------------------------------------------------------ theory/speciation.py
    _M("spc-leading-half", "theory/*.py",
       "ts = 0.5 * np.log(rho * n2 * d)", "ts = np.log(rho * n2 * d)",
       "leading-order t_s = log(rho |mu|^2) without the 1/2"),
    _M("spc-slopes-sign", "theory/*.py",
       "return 0.5 * (1.0 - g)", "return 0.5 * (1.0 + g)",
       "speciation slope (1 + gamma)/2 instead of (1 - gamma)/2"),
    # ------------------------------------------------------------------ simulate/data.py
    _M("data-largest-remainder", "simulate/*.py",
       'order = np.argsort(-(raw - counts), kind="stable")',
       'order = np.argsort(raw - counts, kind="stable")',
       "class counts: extra samples go to the smallest remainders"),
    _M("data-sigma-sqrt", "simulate/*.py",
       "sig = np.sqrt(np.asarray(mixture.variances))[labels]",
       "sig = np.asarray(mixture.variances)[labels]",
       "samples scaled by sigma^2 instead of sigma"),
    # ------------------------------------------------------------------ simulate/features.py
    _M("feat-V-sqrt-delta", "simulate/*.py",
       "V = math.sqrt(D) * F1[:, None] * W / math.sqrt(W.shape[1])",
       "V = D * F1[:, None] * W / math.sqrt(W.shape[1])",
       "exact V with Delta instead of sqrt(Delta)"),
    _M("feat-gep-s2-diag", "simulate/*.py",
       'U[np.diag_indices(p)] += rho @ co["s2"]', 'U[np.diag_indices(p)] += 0.0 * rho @ co["s2"]',
       "GEP U misses the s^2 identity shift"),
    _M("feat-mehler-factorial", "simulate/*.py",
       "Ck *= 1.0 / math.factorial(order)", "Ck *= 1.0 / order",
       "Mehler series divided by k instead of k!"),
    _M("feat-mehler-bound", "simulate/*.py",
       "bound = r ** (order + 1) * float(tail.max())", "bound = r ** (order + 3) * float(tail.max())",
       "Mehler truncation bound r^{k+3} instead of r^{k+1} (series stopped early)"),
    _M("feat-tanh-sech2", "simulate/*.py",
       "sech2 = 4.0 * e / (ope * ope)", "sech2 = 2.0 * e / (ope * ope)",
       "tanh kernel: sech^2 = 2e/(1+e)^2 instead of 4e/(1+e)^2"),
    # ------------------------------------------------------------------ simulate/dynamics.py
    _M("dyn-gd-guard", "simulate/*.py",
       "if lam.max() * step >= 1:", "if lam.max() * step >= 2:",
       "GD stability guard lambda_max step >= 1 -> >= 2"),
    _M("dyn-phi1-series", "simulate/*.py",
       "phi1 = np.where(small, 1.0 - 0.5 * x, -np.expm1(-xs) / xs)",
       "phi1 = np.where(small, 1.0 + 0.5 * x, -np.expm1(-xs) / xs)",
       "small-x series of phi_1 with +x/2 (|x| < 1e-8)"),
    _M("dyn-neg-eig-tol", "simulate/*.py",
       "NEG_EIG_RTOL = 1e-9", "NEG_EIG_RTOL = 1e-3",
       "negative eigenvalues down to -1e-3 lambda_max treated as rounding"),
    _M("dyn-train-factor", "simulate/*.py",
       "train = 1.0 + (G**2 @ (eb.lam * bdiag)) / d - 2.0 * (G @ bdiag) / d",
       "train = 1.0 + (G**2 @ (eb.lam * bdiag)) / d - 1.0 * (G @ bdiag) / d",
       "train loss cross term -1 instead of -2"),
    _M("dyn-mc-normalisation", "simulate/*.py",
       "logp = logw - 0.5 * d * np.log(2 * np.pi * gam2) - 0.5 * sq / gam2",
       "logp = logw - 0.5 * sq / gam2",
       "Monte Carlo score: posterior weights without the Gaussian normalisation"),
    # ------------------------------------------------------------------ simulate/train.py
    _M("train-step-coef", "simulate/*.py",
       "self.coef_step = self.step * math.sqrt(self.p) / (self.n * self.sqD)",
       "self.coef_step = self.step * math.sqrt(self.p) / (self.n * self.D)",
       "GD step with Delta instead of sqrt(Delta)"),
    _M("train-se-ddof", "simulate/*.py",
       "a.std(axis=0, ddof=1) / math.sqrt(S)", "a.std(axis=0, ddof=0) / math.sqrt(S)",
       "standard error over seeds with ddof = 0"),
    _M("train-excess-power", "simulate/*.py",
       "(1.0 - r[ok][None, :] ** (2 * steps[:, None]))", "(1.0 - r[ok][None, :] ** steps[:, None])",
       "noise excess with (1 - step lambda)^K instead of ^2K"),
    # ------------------------------------------------------------------ simulate/times.py
    _M("times-vertex", "simulate/*.py",
       "xv = -b / (2 * a) if a > 0 else x1", "xv = -b / a if a > 0 else x1",
       "parabola vertex -b/a instead of -b/(2a)"),
    _M("times-mem-interp", "simulate/*.py",
       "frac = 1.0 if yb == ya else (thr[c] - ya) / (yb - ya)",
       "frac = 1.0 if yb == ya else (thr[c] - yb) / (yb - ya)",
       "tau_mem interpolation from the wrong end"),
    # ------------------------------------------------------------------ simulate/speciation.py
    _M("sim-slope-se-centring", "simulate/*.py",
       "se = np.sqrt(s2 / np.sum((x - x.mean()) ** 2))", "se = np.sqrt(s2 / np.sum(x ** 2))",
       "slope standard error without centring log d"),
    _M("sim-crossing-interp", "simulate/*.py",
       "return float(t[i] + frac * (t[i + 1] - t[i])), True", "return float(t[i]), True",
       "speciation crossing not interpolated between sweep points"),
    _M("sim-overlap-top-C", "simulate/*.py",
       "ov[c, j] = float(np.sum(P[:C, c] ** 2))", "ov[c, j] = float(np.sum(P[:, c] ** 2))",
       "overlap with the top C + extra eigenvectors instead of the top C"),
    _M("sim-null-matrix", "simulate/*.py",
       "X0 = data.X - data.centroids[data.labels]", "X0 = data.X",
       "null matrix keeps the centroids (edge includes the spike)"),
    _M("sim-eigsh-threshold", "simulate/*.py",
       "if p > 500 and k < p // 10:", "if p > 50000 and k < p // 10:",
       "dense eigensolver up to p = 50000",
       equivalent="both branches return the same leading eigenpairs (to ~1e-12); the threshold "
                  "only picks the algorithm"),
    # ------------------------------------------------------------------ validation/checks_spectrum.py
    _M("vspec-edge-trend", "validation/*.py",
       "trend_ok = len(ds) < 2 or err[ds[-1]] < err[ds[0]]", "trend_ok = True",
       "density-vs-histogram passes without the edge-error trend in d"),
    _M("vspec-ks-slack", "validation/*.py",
       "ks_ok = ks_theory <= KS_FACTOR * ks_two_draws + 1.0 / p",
       "ks_ok = ks_theory <= KS_FACTOR * ks_two_draws + 10.0 / p",
       "KS criterion with 10x the 1/p slack"),
    _M("vspec-edge-tol", "validation/*.py",
       "EDGE_TOL = 0.1", "EDGE_TOL = 1.0",
       "mean relative edge error allowed up to 1 (10x)"),
    _M("vspec-windows-finite", "validation/*.py",
       "FINITE_TOL = 0.10", "FINITE_TOL = 1.0",
       "finite-size windows within 100 % instead of 10 %"),
    # ------------------------------------------------------------------ validation/checks_extensive.py
    _M("vext-outlier-floor", "validation/*.py",
       "OUTLIER_FLOOR = 0.01", "OUTLIER_FLOOR = 0.1",
       "outlier bias floor 10 % instead of 1 % of the prediction"),
    _M("vext-ks-factor", "validation/*.py",
       "bulk_ok = ks_th <= KS_FACTOR * ks_ab", "bulk_ok = ks_th <= 10 * KS_FACTOR * ks_ab",
       "bulk KS criterion 10x looser"),
    _M("vext-no-outliers", "validation/*.py",
       "count_ok = 1 <= k <= mat.shape[1]", "count_ok = k <= mat.shape[1]",
       "outlier criterion passes when no outlier is predicted"),
    # ------------------------------------------------------------------ validation/checks_coefficients.py
    _M("vcoef-s2-nonneg", "validation/*.py",
       's2_ok &= c["s2"] >= 0', "s2_ok &= True",
       "coefficients check does not require s^2 >= 0"),
    _M("vcoef-b-identity", "validation/*.py",
       "IDENTITY_TOL = 1e-14", "IDENTITY_TOL = 1e-2",
       "b = sqrt(Delta) a checked only to 1e-2"),
    _M("vcoef-var-sigma", "validation/*.py",
       '"var_sigma": c["a"] ** 2 * c["e2s2"] + c["v2"] + c["b"] ** 2 + c["s2"]}',
       '"var_sigma": c["a"] ** 2 * c["e2s2"] + c["v2"] + c["b"] ** 2}',
       "Monte Carlo Var sigma prediction misses s^2"),
    _M("vcoef-moments-both", "validation/*.py",
       "mom_ok = bool(np.all(rel_a <= allow) and np.all(rel_b <= allow))",
       "mom_ok = bool(np.all(rel_a <= allow))",
       "moments compared with one GEP draw only"),
    # ------------------------------------------------------------------ validation/checks_dynamics.py
    _M("vdyn-gd-excess", "validation/*.py",
       "z = np.abs(gd - sa - ex) / tol", "z = np.abs(gd - sa) / tol",
       "GD compared without subtracting the noise excess"),
    _M("vdyn-tradeoff-slope", "validation/*.py",
       "large = min(abs(s_gen), abs(s_mem)) > min_slope", "large = True",
       "trade-off passes without the minimum slope"),
    _M("vdyn-slopes-any", "validation/*.py",
       "ok = bool(np.all(err < tol))", "ok = bool(np.any(err < tol))",
       "speciation slopes pass if any class matches"),
    # ------------------------------------------------------------------ validation/registry.py, runner.py
    _M("vreg-status", "validation/*.py",
       'return "pass" if self.passed else "fail"', 'return "pass"',
       "an outcome with passed=False is reported as pass"),
    _M("vrun-code-version", "validation/*.py|classdyn/*.py",
       "h.update(path.read_bytes())", "pass",
       "cache key ignores the source contents (stale cached results)"),
    # ------------------------------------------------------------------ classdyn/io.py
    _M("io-neg-inf", "classdyn/*.py",
       '("inf" if x > 0 else "-inf")', '("inf" if x > 0 else "inf")',
       "-inf written as inf"),
    _M("io-bool-int", "classdyn/*.py",
       "if isinstance(obj, (np.bool_, bool)):\n        return bool(obj)",
       "if isinstance(obj, (np.bool_, bool)):\n        return int(obj)",
       "booleans written as 0/1"),
    _M("io-complex-imag", "classdyn/*.py",
       '"im": to_jsonable(float(obj.imag))', '"im": to_jsonable(float(obj.real))',
       "complex numbers written with im = re"),
    _M("io-permissions", "classdyn/*.py",
       "os.fchmod(fd, 0o666 & ~umask)", "os.fchmod(fd, 0o600)",
       "atomic writes leave mkstemp's 0600 permissions"),
    # ------------------------------------------------------------------ classdyn/flags.py
    _M("flags-nonneg-int", "classdyn/*.py",
       "if k < 0:", "if k < -1:",
       "non-negative integer flags (--seed) accept -1"),
    _M("flags-positive-float", "classdyn/*.py",
       "if x <= 0:", "if x < 0:",
       "positive float flags accept 0"),
    _M("flags-unit-interval", "classdyn/*.py",
       "if not 0 < x < 1:", "if not 0 <= x <= 1:",
       "open-interval flags accept 0 and 1"),
    _M("flags-finite", "classdyn/*.py",
       "if not math.isfinite(x):", "if math.isnan(x):",
       "float flags accept inf"),
]


# ====================================================================== applying a mutant
def mutate_source(text: str, old: str, new: str) -> tuple[str | None, str]:
    """``(mutated text, "")`` if ``old`` occurs exactly once in ``text``, else
    ``(None, reason)`` -- the mutant is stale."""
    n = text.count(old)
    if n == 1:
        return text.replace(old, new, 1), ""
    return None, "snippet not found" if n == 0 else f"snippet found {n} times (ambiguous)"


def file_patterns(mutant: Mutant) -> list[str]:
    return [p for p in mutant.file.split("|") if p]


def matching_files(mutant: Mutant, files: list[str]) -> list[str]:
    pats = file_patterns(mutant)
    return [f for f in files if any(fnmatch.fnmatchcase(f, p) for p in pats)]


def find_target(mutant: Mutant, files: list[str], read) -> tuple[str | None, str | None, str]:
    """Where ``mutant`` applies: ``(file, mutated text, "")`` when its snippet occurs exactly once
    in all the files matching its pattern(s) together, else ``(None, None, reason)`` (stale).
    ``read(file)`` returns a file's text (``None`` if unreadable)."""
    cands = matching_files(mutant, files)
    if not cands:
        return None, None, f"no file matches {mutant.file}"
    hits = []
    for f in cands:
        text = read(f)
        if text is not None and mutant.old in text:
            hits.append((f, text.count(mutant.old), text))
    total = sum(n for _, n, _ in hits)
    if total == 0:
        return None, None, "snippet not found"
    if total > 1:
        return None, None, (f"snippet found {total} times (ambiguous: "
                            f"{', '.join(f for f, _, _ in hits)})")
    f, _, text = hits[0]
    return f, text.replace(mutant.old, mutant.new, 1), ""


class SourceTree:
    """The Python files of a working tree (or of a git revision) and their texts."""

    def __init__(self, root: Path, packages: list[str], rev: str | None = None):
        self.root, self.rev = Path(root), rev
        if rev is None:
            self.files = sorted(str(p.relative_to(self.root)) for pkg in packages
                                for p in (self.root / pkg).rglob("*.py")
                                if (self.root / pkg).is_dir() and p.is_file())
        else:
            out = subprocess.run(["git", "-C", str(root), "ls-tree", "-r", "--name-only", rev,
                                  "--", *packages], capture_output=True, text=True,
                                 check=True).stdout
            self.files = sorted(f for f in out.splitlines() if f.endswith(".py"))
        self._texts: dict[str, str | None] = {}

    def read(self, file: str) -> str | None:
        if file not in self._texts:
            if self.rev is None:
                p = self.root / file
                self._texts[file] = p.read_text(encoding="utf-8") if p.is_file() else None
            else:
                r = subprocess.run(["git", "-C", str(self.root), "show", f"{self.rev}:{file}"],
                                   capture_output=True)
                self._texts[file] = r.stdout.decode("utf-8") if r.returncode == 0 else None
        return self._texts[file]

    def target(self, mutant: Mutant) -> tuple[str | None, str | None, str]:
        return find_target(mutant, self.files, self.read)


def tests_for(file: str, tests_map: dict[str, list[str]]) -> list[str]:
    """Test globs of a source file: the first key of ``tests_map`` (a path or glob) matching it."""
    for key, pats in tests_map.items():
        if fnmatch.fnmatchcase(file, key):
            return list(pats)
    return []


def resolve_tests(root: Path, patterns: list[str]) -> list[str]:
    """Existing test files (relative paths, in pattern order, no duplicates) matching the globs."""
    out: list[str] = []
    for pat in patterns:
        hits = sorted(str(p.relative_to(root)) for p in root.glob(pat) if p.is_file())
        for h in hits:
            if h not in out:
                out.append(h)
    return out


def table_packages(mutants: list[Mutant]) -> list[str]:
    """Top-level folders the table's file patterns point into (``theory``, ``classdyn``...)."""
    out = set()
    for m in mutants:
        for p in file_patterns(m):
            parts = Path(p).parts
            if len(parts) > 1:
                out.add(parts[0])
    return sorted(out)


def load_table(path: Path) -> tuple[list[Mutant], dict[str, list[str]]]:
    """A mutant table from JSON: ``{"mutants": [{id, file, old, new, description, tests?,
    equivalent?}, ...], "tests": {file or glob: [test globs]}}`` (replaces the built-in one)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    muts = []
    for m in data["mutants"]:
        tests = m.get("tests")
        muts.append(Mutant(id=m["id"], file=m["file"], old=m["old"], new=m["new"],
                           description=m.get("description", ""),
                           tests=None if tests is None else tuple(tests),
                           equivalent=m.get("equivalent")))
    return muts, dict(data.get("tests", {}))


def check_table(mutants: list[Mutant]) -> None:
    ids = [m.id for m in mutants]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SystemExit(f"mutation_test: duplicate mutant ids {dup}")
    for m in mutants:
        if m.old == m.new:
            raise SystemExit(f"mutation_test: mutant {m.id} does not change anything")


def select(mutants: list[Mutant], patterns: list[str] | None) -> list[Mutant]:
    """Mutants whose id or file pattern matches one of ``patterns`` (shell glob; a pattern
    without wildcards matches as a substring)."""
    if not patterns:
        return list(mutants)

    def hit(m, pat):
        if any(ch in pat for ch in "*?["):
            return fnmatch.fnmatch(m.id, pat) or any(fnmatch.fnmatch(f, pat)
                                                     for f in file_patterns(m))
        return pat in m.id or pat in m.file

    return [m for m in mutants if any(hit(m, p) for p in patterns)]


# ====================================================================== the copy and its runs
def tracked_files(repo: Path, untracked: bool) -> list[str]:
    cmd = ["git", "-C", str(repo), "ls-files", "-z", "--cached"]
    if untracked:
        cmd += ["--others", "--exclude-standard"]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    return sorted({f for f in out.decode().split("\0") if f})


def make_copy(repo: Path, files: list[str], dest: Path, rev: str | None = None) -> None:
    """Copy ``files`` (working-tree contents, times kept) from ``repo`` to ``dest``; with
    ``rev``, the files of that git revision instead (``git archive``)."""
    dest.mkdir(parents=True, exist_ok=True)
    if rev is not None:
        import io
        import tarfile

        blob = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", rev],
                              capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            tar.extractall(dest, filter="data")
        return
    for f in files:
        src = repo / f
        if not src.is_file() or src.is_symlink():
            continue  # deleted in the working tree, or a link: not code
        target = dest / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def package_dirs(root: Path) -> dict[str, str]:
    """``{dotted package: folder}`` from ``setup.cfg``'s ``[options] package_dir`` (e.g.
    ``classdyn.theory = theory``: the import name of a top-level folder)."""
    cfg = configparser.ConfigParser()
    cfg.read(Path(root) / "setup.cfg", encoding="utf-8")
    out = {}
    for line in cfg.get("options", "package_dir", fallback="").splitlines():
        key, sep, val = line.partition("=")
        if sep and key.strip() and val.strip():
            out[key.strip()] = val.strip()
    return out


def link_package_dirs(copy: Path) -> list[str]:
    """Make the copy importable under the ``package_dir`` names without an install: a link
    ``classdyn/theory -> ../theory`` for ``classdyn.theory = theory`` (otherwise the editable
    install of the checkout would answer ``import classdyn.theory``). Returns the links made."""
    made = []
    for dotted, folder in package_dirs(copy).items():
        dest = copy.joinpath(*dotted.split("."))
        src = copy / folder
        if dest.exists() or dest.is_symlink() or not src.is_dir() or not dest.parent.is_dir():
            continue
        dest.symlink_to(os.path.relpath(src, dest.parent), target_is_directory=True)
        made.append(dotted)
    return made


def import_names(root: Path, packages: list[str]) -> list[str]:
    """The names the tests import the table's folders by (``package_dir`` names, else the
    folder names)."""
    pdirs = package_dirs(root)
    out = []
    for pkg in packages:
        out += [d for d, f in pdirs.items() if f.strip("/") == pkg] or [pkg]
    return out


def base_env(copy: Path, numba_cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                     else "")
    env.update(CLASSDYN_NO_PROGRESS="1", CLASSDYN_SKIP_DDPM_MEMORISE="1",
               PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg",
               NUMBA_CACHE_DIR=str(numba_cache))
    return env


@dataclasses.dataclass
class RunResult:
    rc: int | None  # None: timed out
    seconds: float
    output: str


def run_pytest(python: str, copy: Path, tests: list[str], env: dict, timeout: float,
               extra: list[str] | None = None, stop_first: bool = True) -> RunResult:
    cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE"]
    if stop_first:
        cmd.append("-x")
    cmd += (extra or []) + ["--", *tests]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            rc = None
        log.seek(0)
        out = log.read().decode("utf-8", "replace")
    return RunResult(rc, time.perf_counter() - t0, out)


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop the pytest process and its children (its own session, started by us)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


_FAIL_RE = re.compile(r"^(FAILED|ERROR) (\S+)", re.M)


def first_failure(output: str) -> str | None:
    """The first failing test (or collection error) named in pytest's short summary."""
    m = _FAIL_RE.search(output)
    return m.group(2) if m else None


def failures(output: str) -> list[str]:
    return [m.group(2) for m in _FAIL_RE.finditer(output)]


# ---------------------------------------------------------------------- numba caches
_NJIT_RE = re.compile(r"@(?:numba\.)?(?:njit|jit)\b")


def njit_files(root: Path, packages: list[str]) -> list[Path]:
    out = []
    for pkg in packages:
        for p in sorted((root / pkg).rglob("*.py")) if (root / pkg).is_dir() else []:
            if _NJIT_RE.search(p.read_text(encoding="utf-8", errors="replace")):
                out.append(p)
    return out


def cache_stems_to_drop(root: Path, mutated: str, packages: list[str]) -> set[str] | None:
    """Module stems whose cached kernels a mutant of ``mutated`` invalidates, or ``None`` when
    the mutated file has no compiled kernels (the shared cache is then safe to use)."""
    kernels = njit_files(root, packages)
    mpath = root / mutated
    if mpath not in kernels:
        return None
    modname = re.escape(".".join(Path(mutated).with_suffix("").parts))
    stem = re.escape(mpath.stem)
    # absolute (any prefix: theory.x or classdyn.theory.x) or relative (from .x import)
    imp = re.compile(rf"^\s*(from\s+([\w.]+\.)?{modname}\s+import|import\s+([\w.]+\.)?"
                     rf"{modname}\b|from\s+\.+([\w.]+\.)?{stem}\s+import)", re.M)
    stems = {mpath.stem}
    for k in kernels:
        if k != mpath and imp.search(k.read_text(encoding="utf-8", errors="replace")):
            stems.add(k.stem)
    return stems


def private_cache(shared: Path, dest: Path, stems: set[str]) -> Path:
    """A copy of ``shared`` without the cache files of the modules ``stems``."""
    if dest.exists():
        shutil.rmtree(dest, ignore_errors=True)
    if shared.is_dir():
        shutil.copytree(shared, dest, dirs_exist_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    for p in list(dest.rglob("*")):
        if p.is_file() and any(p.name.startswith(s + ".") for s in stems):
            p.unlink()
    return dest


# ====================================================================== one worker
def new_record(m: Mutant, file: str | None, tests: list[str], timeout: float) -> dict:
    f = file or m.file
    parts = Path(file_patterns(m)[0] if file is None else file).parts
    return {"id": m.id, "file": f, "pattern": m.file,
            "package": parts[0] if len(parts) > 1 else ".", "description": m.description,
            "tests": tests, "equivalent": m.equivalent, "status": None, "seconds": 0.0,
            "failing_test": None, "detail": "", "timeout_s": round(timeout, 1)}


class Worker:
    """One copy of the repository and its Numba cache; runs mutants one at a time."""

    def __init__(self, index: int, repo: Path, files: list[str], workdir: Path, python: str,
                 packages: list[str], rev: str | None = None):
        self.index = index
        self.copy = workdir / f"job{index}" / "repo"
        self.cache = workdir / f"job{index}" / "numba-cache"
        self.private = workdir / f"job{index}" / "numba-private"
        self.python = python
        self.packages = packages
        make_copy(repo, files, self.copy, rev)
        link_package_dirs(self.copy)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.tree = SourceTree(self.copy, packages)

    def env(self, cache: Path | None = None) -> dict:
        return base_env(self.copy, cache or self.cache)

    def run_mutant(self, m: Mutant, tests: list[str], timeout: float, run_equivalent: bool,
                   append: str | None = None) -> dict:
        """Apply ``m`` (or, with ``append``, add that text at the end of its file), run ``tests``,
        restore the file. Returns the mutant's record."""
        file, new_text, why = self.tree.target(m)
        rec = new_record(m, file, tests, timeout)
        if m.equivalent and not run_equivalent:
            rec["status"] = "equivalent"
            return rec
        if file is None:
            rec.update(status="stale", detail=why)
            return rec
        path = self.copy / file
        original = path.read_bytes()
        st = path.stat()
        if append is not None:
            new_text = original.decode("utf-8") + append
        try:
            compile(new_text, str(path), "exec")
        except SyntaxError as exc:
            rec.update(status="error", detail=f"the mutated file does not compile: {exc}")
            return rec
        if not tests:
            rec.update(status="error", detail="no test file matches the mutant's test patterns")
            return rec
        stems = cache_stems_to_drop(self.copy, file, self.packages)
        cache = self.cache if stems is None else private_cache(self.cache, self.private, stems)
        try:
            path.write_text(new_text, encoding="utf-8")
            res = run_pytest(self.python, self.copy, tests, self.env(cache), timeout)
        finally:
            path.write_bytes(original)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
            if stems is not None:
                shutil.rmtree(self.private, ignore_errors=True)
        rec["seconds"] = round(res.seconds, 2)
        if res.rc is None:
            rec.update(status="timeout", detail=f"no verdict within {timeout:.0f} s")
        elif res.rc == 0:
            rec["status"] = "survived"
        elif res.rc in (1, 2):  # tests failed / collection errors or interruption
            rec.update(status="killed", failing_test=first_failure(res.output))
        else:
            tail = "\n".join(res.output.strip().splitlines()[-5:])
            rec.update(status="error", detail=f"pytest exit code {res.rc}: {tail}")
        return rec


# ====================================================================== summary
def summarize(records: list[dict]) -> dict:
    def rate(recs):
        k = sum(r["status"] in ("killed", "timeout") for r in recs)
        s = sum(r["status"] == "survived" for r in recs)
        return {"killed": sum(r["status"] == "killed" for r in recs),
                "timeout": sum(r["status"] == "timeout" for r in recs), "survived": s,
                "kill_rate": (k / (k + s)) if k + s else None}

    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    pkgs = sorted({r["package"] for r in records})
    return {"counts": counts, "overall": rate(records),
            "per_package": {p: rate([r for r in records if r["package"] == p]) for p in pkgs},
            "survivors": [{"id": r["id"], "file": r["file"], "description": r["description"]}
                          for r in records if r["status"] == "survived"],
            "stale": [{"id": r["id"], "file": r["file"], "detail": r["detail"]}
                      for r in records if r["status"] == "stale"],
            "errors": [{"id": r["id"], "detail": r["detail"]}
                       for r in records if r["status"] == "error"]}


def _pct(x):
    return "n/a" if x is None else f"{100 * x:.1f} %"


def print_summary(summary: dict, seconds: float, file=sys.stdout) -> None:
    o = summary["overall"]
    print("\n=== mutation testing summary ===", file=file)
    print(f"statuses: {', '.join(f'{k} {v}' for k, v in sorted(summary['counts'].items()))}",
          file=file)
    print(f"kill rate (non-equivalent, excluding stale/error): {_pct(o['kill_rate'])}  "
          f"[killed {o['killed']} + timeout {o['timeout']} of "
          f"{o['killed'] + o['timeout'] + o['survived']}]", file=file)
    for p, r in summary["per_package"].items():
        n = r["killed"] + r["timeout"] + r["survived"]
        if n:
            print(f"  {p:12s} {_pct(r['kill_rate']):>8s}  ({r['killed']} killed, "
                  f"{r['timeout']} timeout, {r['survived']} survived)", file=file)
    if summary["survivors"]:
        print("survivors:", file=file)
        for s in summary["survivors"]:
            print(f"  {s['id']:28s} {s['file']:34s} {s['description']}", file=file)
    for key in ("stale", "errors"):
        if summary[key]:
            print(f"{key}:", file=file)
            for s in summary[key]:
                print(f"  {s['id']:28s} {s['detail']}", file=file)
    print(f"wall time: {seconds:.0f} s", file=file)


def write_json(path: Path, obj) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def git_rev(repo: Path, rev: str) -> str | None:
    r = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet",
                        f"{rev}^{{commit}}"], capture_output=True, text=True)
    return r.stdout.strip() or None


def git_head(repo: Path) -> str | None:
    return git_rev(repo, "HEAD")


# ====================================================================== main
def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="mutation_test.py",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true",
                    help="list the (selected) mutants, where they apply (or why they are "
                         "stale) and their test files, then exit")
    ap.add_argument("--only", action="append", metavar="PATTERN",
                    help="run only mutants whose id or file pattern matches PATTERN (shell "
                         "glob, or a substring when it has no wildcard); may be repeated")
    ap.add_argument("--jobs", type=int, default=1, metavar="N",
                    help="mutants run in parallel, each job with its own copy (default 1; the "
                         "shared 2-core machine wants 1)")
    ap.add_argument("--out", type=Path, metavar="FILE",
                    help="JSON report: per mutant its status (killed/survived/timeout/stale/"
                         "equivalent/error), seconds and the failing test, plus the summary; "
                         "rewritten after every mutant")
    ap.add_argument("--timeout", type=float, metavar="S",
                    help="fixed per-mutant timeout in seconds (default: from the baseline, "
                         "see --timeout-factor; 900 s with --no-baseline)")
    ap.add_argument("--timeout-factor", type=float, default=3.0, metavar="F",
                    help="per-mutant timeout = F x the baseline time of its test files + 60 s "
                         "(default 3)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the import check, the canary and the baseline run (faster, but "
                         "nothing then shows that the copy is the code under test)")
    ap.add_argument("--run-equivalent", action="store_true",
                    help="also run the mutants marked equivalent (still excluded from the rate)")
    ap.add_argument("--rev", metavar="REV",
                    help="mutate the files of this git revision (e.g. HEAD) instead of the "
                         "working tree: uncommitted edits, yours or anyone's, stay out")
    ap.add_argument("--untracked", action="store_true",
                    help="also copy untracked files that git does not ignore (e.g. new test "
                         "files not committed yet; working tree only)")
    ap.add_argument("--repo", type=Path, default=REPO,
                    help="repository to mutate (default: the one holding this script)")
    ap.add_argument("--table", type=Path, metavar="JSON",
                    help="use this mutant table instead of the built-in one (see load_table)")
    ap.add_argument("--workdir", type=Path,
                    help="where the copies and Numba caches go (default: a new temporary "
                         "directory, removed at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter that runs pytest (default: this one)")
    return ap


def _log(msg: str) -> None:
    print(msg, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    repo = args.repo.resolve()
    if args.table is not None:
        table, tests_map = load_table(args.table)
    else:
        table, tests_map = MUTANTS, TESTS
    check_table(table)
    chosen = select(table, args.only)
    if not chosen:
        print("mutation_test: no mutant matches --only", file=sys.stderr)
        return 2
    packages = table_packages(table)
    if args.rev is not None:
        args.rev = git_rev(repo, args.rev)
        if args.rev is None:
            print("mutation_test: --rev is not a revision of the repository", file=sys.stderr)
            return 2

    def patterns(m, file):
        if m.tests is not None:
            return list(m.tests)
        return tests_for(file, tests_map) if file else []

    if args.list:
        tree = SourceTree(repo, packages, args.rev)
        n_stale = 0
        for m in chosen:
            file, _, why = tree.target(m)
            n_stale += file is None
            state = (f"STALE ({why})" if file is None else
                     file + ("  [equivalent: " + m.equivalent + "]" if m.equivalent else ""))
            tests = resolve_tests(repo, patterns(m, file)) if file else []
            print(f"{m.id:28s} {state}\n    {m.description}\n    tests: "
                  f"{' '.join(tests) if tests else '(none)'}")
        print(f"{len(chosen)} mutants ({sum(bool(m.equivalent) for m in chosen)} marked "
              f"equivalent, {n_stale} stale)")
        return 0

    t_start = time.perf_counter()
    own = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="classdyn-mutation-")) if own else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    files = tracked_files(repo, args.untracked)
    meta = {"repo": str(repo), "git_head": git_head(repo), "rev": args.rev, "jobs": args.jobs,
            "started": time.strftime("%Y-%m-%d %H:%M:%S"), "python": args.python,
            "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None
                                                             else sys.argv[1:]))}
    records: list[dict] = []
    lock = threading.Lock()
    order = {m.id: i for i, m in enumerate(chosen)}
    file_time: dict[str, float] = {}

    def save():
        if args.out is not None:
            with lock:
                recs = sorted(records, key=lambda r: order[r["id"]])
                write_json(args.out, {"meta": {**meta, "seconds": round(
                    time.perf_counter() - t_start, 1), "baseline_seconds_per_file": {
                        f: round(v, 2) for f, v in file_time.items()}}, "mutants": recs,
                    "summary": summarize(recs)})

    try:
        _log(f"copying {'revision ' + args.rev[:12] if args.rev else len(files)} "
             f"{'' if args.rev else 'files '}of {repo} into {workdir} ({args.jobs} job(s))")
        workers = [Worker(i, repo, files, workdir, args.python, packages, args.rev)
                   for i in range(args.jobs)]
        w0 = workers[0]
        where = {m.id: w0.tree.target(m)[0] for m in chosen}
        tests_of = {m.id: resolve_tests(w0.copy, patterns(m, where[m.id])) for m in chosen}
        runnable = [m for m in chosen if where[m.id] is not None
                    and (args.run_equivalent or not m.equivalent) and tests_of[m.id]]
        if not args.no_baseline and runnable:
            code = machinery_checks(w0, runnable, tests_of, packages, file_time)
            if code:
                return code
        q: queue.Queue = queue.Queue()
        for w in workers:
            q.put(w)

        def timeout_for(m):
            if args.timeout is not None:
                return args.timeout
            if file_time:
                return args.timeout_factor * sum(file_time.get(f, 0.0)
                                                 for f in tests_of[m.id]) + 60.0
            return 900.0

        def job(m):
            w = q.get()
            try:
                rec = w.run_mutant(m, tests_of[m.id], timeout_for(m), args.run_equivalent)
            except Exception as exc:  # noqa: BLE001 - recorded as an error of this mutant
                rec = new_record(m, where[m.id], tests_of[m.id], timeout_for(m))
                rec.update(status="error", detail=f"{type(exc).__name__}: {exc}")
            finally:
                q.put(w)
            with lock:
                records.append(rec)
                n = len(records)
            extra = rec["failing_test"] or rec["detail"] or ""
            _log(f"[{n}/{len(chosen)}] {rec['status']:10s} {rec['seconds']:7.1f} s  "
                 f"{m.id:28s} {rec['file']}" + (f"  ({extra})" if extra else ""))
            save()
            return rec

        _log(f"running {len(chosen)} mutants")
        with ThreadPoolExecutor(max_workers=args.jobs) as ex:
            list(ex.map(job, chosen))
    finally:
        if own and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            _log(f"work directory kept: {workdir}")
    records.sort(key=lambda r: order[r["id"]])
    save()
    print_summary(summarize(records), time.perf_counter() - t_start)
    if args.out is not None:
        _log(f"report: {args.out}")
    return 0


def junit_file_times(junit: Path, files: list[str]) -> dict[str, float]:
    """Seconds spent in each test file, from a JUnit XML report (``classname`` is the test
    module's dotted path, possibly followed by a class name)."""
    dotted = {f: ".".join(Path(f).with_suffix("").parts) for f in files}
    out = {f: 0.0 for f in files}
    for case in ET.parse(junit).getroot().iter("testcase"):
        cls = case.get("classname", "")
        best = max((f for f, d in dotted.items() if cls == d or cls.startswith(d + ".")),
                   key=lambda f: len(dotted[f]), default=None)
        if best is not None:
            out[best] += float(case.get("time", 0.0) or 0.0)
    return out


def machinery_checks(w0: Worker, runnable: list[Mutant], tests_of: dict, packages: list[str],
                     file_time: dict) -> int:
    """Import check, canary and baseline (module docstring). Returns 0 or the exit code 3."""
    # 1. the copy's packages are the ones imported
    names = import_names(w0.copy, packages)
    code = ("import importlib, json, sys\n"
            f"pk = {names!r}\n"
            "print(json.dumps({p: getattr(importlib.import_module(p), '__file__', None) "
            "for p in pk}))\n")
    r = subprocess.run([w0.python, "-c", code], cwd=w0.copy, env=w0.env(), capture_output=True,
                       text=True)
    if r.returncode != 0:
        _log(f"import check failed:\n{r.stderr}")
        return 3
    where = json.loads(r.stdout.strip().splitlines()[-1])
    outside = {p: f for p, f in where.items()
               if f is None or not Path(f).resolve().is_relative_to(w0.copy.resolve())}
    if outside:
        _log(f"import check failed: these packages do not come from the copy: {outside}")
        return 3
    _log(f"import check: {', '.join(names)} imported from the copy")
    # 2. canary: the first mutant's file raising at import must be killed by its tests
    m = runnable[0]
    canary = dataclasses.replace(m, id="canary", equivalent=None)
    rec = w0.run_mutant(canary, tests_of[m.id], 900.0, False,
                        append='\nraise RuntimeError("mutation_test canary")\n')
    if rec["status"] != "killed":
        _log(f"canary ({rec['file']} raising at import, tests {tests_of[m.id]}): "
             f"{rec['status']} -- the tests do not run the copy's code; stopping")
        return 3
    _log(f"canary: killed in {rec['seconds']:.1f} s ({rec['failing_test']})")
    # 3. baseline: the unmutated copy passes every selected test file
    union: list[str] = []
    for mm in runnable:
        for f in tests_of[mm.id]:
            if f not in union:
                union.append(f)
    junit = w0.copy.parent / "baseline-junit.xml"
    _log(f"baseline: {len(union)} test files on the unmutated copy ...")
    res = run_pytest(w0.python, w0.copy, union, w0.env(), 4 * 3600.0,
                     extra=[f"--junitxml={junit}"], stop_first=False)
    if res.rc != 0:
        bad = failures(res.output)
        _log(f"baseline failed (exit {res.rc}) in {res.seconds:.0f} s: the unmutated code does "
             f"not pass its tests, so no mutant can be judged. Failing: "
             f"{bad or res.output[-2000:]}")
        return 3
    file_time.update(junit_file_times(junit, union))
    _log(f"baseline: passed in {res.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
