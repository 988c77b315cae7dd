"""Parameter objects shared by theory, simulate and validation (docs/theory/model.md).

All are frozen dataclasses that validate themselves on construction and raise ``ValueError``
naming the parameter, its value and the allowed range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

#: The activation registry (docs/theory/model.md): name → integer code of the compiled (Numba) kernels
#: in :mod:`classdyn.theory.quadrature` (``act``/``dact`` branch on it). The NumPy functions are
#: :func:`activation_function` / :func:`activation_derivative_function`, the SymPy expressions
#: :func:`classdyn.theory.activations.activation_expr`; all three are keyed by these names.
ACTIVATION_CODES = {"tanh": 0, "erf": 1, "relu": 2, "linear": 3}

#: Activations known to the package, in registry order.
ACTIVATIONS = tuple(ACTIVATION_CODES)

#: Tolerance on ``sum(weights) == 1``: weights typed by hand with 3-4 digits (e.g. 1/3) must
#: pass after normalisation is asked for explicitly, so the check is tight but not exact.
WEIGHT_SUM_TOL = 1e-9

#: Tolerance on the smallest eigenvalue of the overlap (Gram) matrix: a cosine matrix typed with
#: ~12 digits may be PSD only up to rounding.
GRAM_EIG_TOL = 1e-10


def _as_vector(name: str, value, n: int | None = None) -> tuple[float, ...]:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty list of numbers, got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must have one entry per class ({n}), got {arr.size}: "
                         f"{arr.tolist()}")
    return tuple(float(x) for x in arr)


def overlaps_from_upper(values: Sequence[float], n_classes: int) -> np.ndarray:
    """Cosine matrix from its ``C(C-1)/2`` strict upper-triangle entries, row by row."""
    vals = np.asarray(values, dtype=float).ravel()
    need = n_classes * (n_classes - 1) // 2
    if vals.size != need:
        raise ValueError(f"overlaps: {n_classes} classes need {need} upper-triangle cosine(s), "
                         f"got {vals.size}: {vals.tolist()}")
    mat = np.eye(n_classes)
    iu = np.triu_indices(n_classes, 1)
    mat[iu] = vals
    mat[(iu[1], iu[0])] = vals
    return mat


@dataclass(frozen=True)
class Mixture:
    r"""Gaussian mixture of ``C`` classes, the data model (docs/theory/model.md).

    .. math:: x \sim \sum_c \rho_c\, \mathcal N(\mu_c, \sigma_c^2 I_d)

    Validated on construction; stored as tuples of floats (frozen).

    Parameters
    ----------
    variances : sequence of float
        Per-class variances ``σ_c² > 0`` (per coordinate, dimensionless).
    weights : sequence of float, optional
        Sampling weights ``ρ_c > 0`` summing to 1 within ``WEIGHT_SUM_TOL``; default equal.
    norms2 : sequence of float, optional
        Centroid norms ``‖μ_c‖²/d ≥ 0``; default 0 (centred classes). Extensive centroids have
        ``norms2 = O(1)``.
    overlaps : array_like, optional
        ``C×C`` cosine-similarity matrix of the centroids (unit diagonal, symmetric, entries in
        ``[-1, 1]``, positive semi-definite), or its ``C(C−1)/2`` upper-triangle entries;
        default orthogonal (identity).

    Raises
    ------
    ValueError
        A parameter out of its range, named with the value given.

    Examples
    --------
    >>> from classdyn.theory import Mixture
    >>> mix = Mixture(variances=(1.0, 2.0), weights=(0.25, 0.75))
    >>> mix.n_classes, mix.centred
    (2, True)
    >>> Mixture((1.0, 1.0), norms2=(1.0, 4.0), overlaps=[0.5]).gram.round(3).tolist()
    [[1.0, 1.0], [1.0, 4.0]]
    """

    variances: tuple[float, ...]
    weights: tuple[float, ...] | None = None
    norms2: tuple[float, ...] | None = None
    overlaps: tuple[tuple[float, ...], ...] | None = field(default=None)

    def __post_init__(self):
        var = _as_vector("variances", self.variances)
        C = len(var)
        if any(v <= 0 for v in var):
            raise ValueError(f"variances must be > 0, got {list(var)}")
        if self.weights is None:
            w = tuple(1.0 / C for _ in range(C))
        else:
            w = _as_vector("weights", self.weights, C)
            if any(x <= 0 for x in w):
                raise ValueError(f"weights must be > 0, got {list(w)}")
            if abs(sum(w) - 1.0) > WEIGHT_SUM_TOL:
                raise ValueError(f"weights must sum to 1 (within {WEIGHT_SUM_TOL:g}), got "
                                 f"{list(w)} (sum {sum(w):.12g})")
        if self.norms2 is None:
            n2 = tuple(0.0 for _ in range(C))
        else:
            n2 = _as_vector("norms2", self.norms2, C)
            if any(x < 0 for x in n2):
                raise ValueError(f"norms2 must be >= 0, got {list(n2)}")
        if self.overlaps is None:
            ov = np.eye(C)
        else:
            raw = np.asarray(self.overlaps, dtype=float)
            ov = raw if raw.ndim == 2 else overlaps_from_upper(raw, C)
            if ov.shape != (C, C):
                raise ValueError(f"overlaps must be a {C}x{C} matrix, got shape {ov.shape}")
            if not np.all(np.isfinite(ov)):
                raise ValueError(f"overlaps must be finite, got {ov.tolist()}")
            if not np.allclose(ov, ov.T, atol=1e-12):
                raise ValueError(f"overlaps must be symmetric, got {ov.tolist()}")
            if not np.allclose(np.diag(ov), 1.0, atol=1e-12):
                raise ValueError(f"overlaps must have a unit diagonal (cos of a centroid with "
                                 f"itself), got diagonal {np.diag(ov).tolist()}")
            if np.any(np.abs(ov) > 1 + 1e-12):
                raise ValueError(f"overlaps entries must lie in [-1, 1], got {ov.tolist()}")
            lo = float(np.linalg.eigvalsh(ov).min())
            if lo < -GRAM_EIG_TOL:
                raise ValueError(f"overlaps must be a valid Gram matrix (positive "
                                 f"semi-definite); smallest eigenvalue {lo:.3g} < 0")
        object.__setattr__(self, "variances", var)
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "norms2", n2)
        object.__setattr__(self, "overlaps", tuple(tuple(float(x) for x in row) for row in ov))

    @property
    def n_classes(self) -> int:
        return len(self.variances)

    @property
    def centred(self) -> bool:
        """True when every centroid is subextensive (norms2 = 0)."""
        return all(x == 0 for x in self.norms2)

    @property
    def gram(self) -> np.ndarray:
        """``Gram_cc' = μ_c·μ_c'/d = √(n2_c n2_c') cos_cc'`` (docs/theory/extensive.md)."""
        s = np.sqrt(np.asarray(self.norms2))
        return np.outer(s, s) * np.asarray(self.overlaps)

    def to_dict(self) -> dict:
        return {"variances": list(self.variances), "weights": list(self.weights),
                "norms2": list(self.norms2), "overlaps": [list(r) for r in self.overlaps]}

    @classmethod
    def from_data(cls, X, y, *, normalise: str = "dataset", classes=None,
                  bootstrap: int = 200, **kwargs) -> "Mixture":
        r"""The mixture measured on a labelled dataset ``(X, y)`` (docs/theory/model.md).

        A thin wrapper: ``classdyn.theory.class_stats.data_statistics(X, y, ...).mixture()``,
        which streams ``X`` in chunks and gives ρ_c = n_c/n, ``variance_c = (1/d) tr Cov_c``,
        ``norms2_c = ‖μ_c‖²/d`` and the centroid cosines as overlaps. Call ``data_statistics``
        itself for the bootstrap error bars and the eigenvalue spread.

        Parameters
        ----------
        X : array_like
            ``(n, d)`` samples (NumPy array, ``numpy.memmap``, Zarr array).
        y : array_like
            ``(n,)`` labels.
        normalise : {"dataset", "none"}
            Per-dataset centring and scaling, or none.
        classes : sequence, optional
            The classes to keep, in order (default: all labels, sorted).
        bootstrap : int
            Bootstrap replicates (they do not change the point estimates).
        **kwargs
            Passed on to :func:`~classdyn.theory.class_stats.data_statistics`.

        Returns
        -------
        Mixture
            The isotropic Gaussian mixture with the measured statistics.

        Raises
        ------
        ValueError
            Labels of the wrong length, a missing class or one with fewer than 2 samples,
            NaN or inf in ``X``.

        Examples
        --------
        >>> import numpy as np
        >>> from classdyn.theory import Mixture
        >>> X = np.random.default_rng(0).normal(size=(60, 10))
        >>> Mixture.from_data(X, np.repeat([0, 1], [20, 40]), bootstrap=0).weights
        (0.3333333333333333, 0.6666666666666666)
        """
        from classdyn.theory.class_stats import data_statistics

        return data_statistics(X, y, normalise=normalise, classes=classes,
                               bootstrap=bootstrap, **kwargs).mixture()


@dataclass(frozen=True)
class RandomFeatures:
    r"""The random-features score model and its sizes (docs/theory/model.md).

    .. math:: s_A(x) = \frac{1}{\sqrt p} A\, \sigma\!\left(\frac{W x}{\sqrt d}\right)

    Parameters
    ----------
    psi_p : float
        ``p/d > 0``, hidden neurons per input dimension.
    psi_n : float
        ``n/d > 0``, training samples per input dimension.
    activation : str, optional
        One of :data:`ACTIVATIONS` (``"tanh"``, ``"erf"``, ``"relu"``, ``"linear"``); default
        ``"tanh"``.

    Raises
    ------
    ValueError
        ``psi_p`` or ``psi_n`` not a finite number > 0, or an unknown activation.

    Examples
    --------
    >>> from classdyn.theory import RandomFeatures
    >>> RandomFeatures(4, 2).to_dict()
    {'psi_p': 4.0, 'psi_n': 2.0, 'activation': 'tanh'}
    """

    psi_p: float
    psi_n: float
    activation: str = "tanh"

    def __post_init__(self):
        for name in ("psi_p", "psi_n"):
            v = getattr(self, name)
            if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v) \
                    or v <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
            object.__setattr__(self, name, float(v))
        check_activation(self.activation)

    def to_dict(self) -> dict:
        return {"psi_p": self.psi_p, "psi_n": self.psi_n, "activation": self.activation}


def check_positive(value, name: str, meaning: str = "") -> float:
    """Validate a finite number > 0.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Parameter name used in the error message.
    meaning : str, optional
        What the parameter means (e.g. ``"diffusion time"``), added to the message.

    Returns
    -------
    float
        ``value`` as a float.

    Raises
    ------
    ValueError
        ``value`` is not a finite number > 0; the message names the parameter and the value.

    Examples
    --------
    >>> from classdyn.theory import check_positive
    >>> check_positive("0.5", "tol")
    0.5
    >>> check_positive(-1, "tol")
    Traceback (most recent call last):
    ...
    ValueError: tol must be a finite number > 0, got -1
    """
    label = f"{name} ({meaning})" if meaning else name
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label} must be a finite number > 0, got {value!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{label} must be a finite number > 0, got {value!r}")
    return x


def check_time(t, name: str = "t") -> float:
    """Validate a diffusion time of the OU forward process (dimensionless, finite, > 0).

    Parameters
    ----------
    t : object
        The diffusion time.
    name : str, optional
        Parameter name for the message (default ``"t"``).

    Returns
    -------
    float
        ``t`` as a float.

    Raises
    ------
    ValueError
        ``t`` is not a finite number > 0.

    Examples
    --------
    >>> from classdyn.theory import check_time
    >>> check_time(0.01)
    0.01
    """
    return check_positive(t, name, "diffusion time")


def delta_t(t: float) -> float:
    r"""Noise variance of the OU forward process at diffusion time ``t`` (docs/theory/model.md).

    .. math:: \Delta_t = 1 - e^{-2t}

    computed as ``-expm1(-2t)``, accurate to the last digit at small ``t``.

    Parameters
    ----------
    t : float
        Diffusion time (dimensionless, > 0).

    Returns
    -------
    float
        ``Δ_t`` in ``(0, 1)``.

    Examples
    --------
    >>> from classdyn.theory import delta_t
    >>> round(delta_t(0.5), 12)
    0.632120558829
    >>> delta_t(1e-12)  # no cancellation
    1.999999999998e-12
    """
    return -math.expm1(-2.0 * check_time(t))


def check_choice(value, name: str, choices) -> str:
    """Validate one of a set of strings (a method, a quadrature rule, ...).

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Parameter name for the message.
    choices : sequence of str
        The allowed values.

    Returns
    -------
    str
        ``value`` unchanged.

    Raises
    ------
    ValueError
        ``value`` is not one of ``choices``; the message lists them.

    Examples
    --------
    >>> from classdyn.theory import check_choice
    >>> check_choice("outlier", "method", ("leading", "outlier"))
    'outlier'
    """
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_instance(value, cls: type, name: str):
    """Validate the type of an argument.

    Parameters
    ----------
    value : object
        The value to check.
    cls : type
        The expected class.
    name : str
        Parameter name for the message.

    Returns
    -------
    object
        ``value`` unchanged.

    Raises
    ------
    TypeError
        ``value`` is not an instance of ``cls``; the message names the class with its module.

    Examples
    --------
    >>> from classdyn.theory import Mixture, check_instance
    >>> check_instance("x", Mixture, "mixture")
    Traceback (most recent call last):
    ...
    TypeError: mixture must be a classdyn.theory.params.Mixture, got str
    """
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__module__}.{cls.__qualname__}, got "
                        f"{type(value).__name__}")
    return value


def check_activation(name, param: str = "activation") -> str:
    """Validate an activation name (the one activation check of the package).

    Parameters
    ----------
    name : object
        The activation, one of :data:`ACTIVATIONS`.
    param : str, optional
        Parameter name for the message (default ``"activation"``).

    Returns
    -------
    str
        ``name`` unchanged.

    Raises
    ------
    ValueError
        Unknown activation; the message lists the allowed ones.

    Examples
    --------
    >>> from classdyn.theory import check_activation
    >>> check_activation("erf")
    'erf'
    """
    return check_choice(name, param, ACTIVATIONS)


def activation_code(name) -> int:
    """Integer code of activation ``name`` for the compiled kernels (:data:`ACTIVATION_CODES`)."""
    return ACTIVATION_CODES[check_activation(name)]


def _linear(h):
    return h


def _relu(h):
    return np.maximum(h, 0.0)


def _erf(h):
    from scipy.special import erf

    return erf(h)


def _dtanh(h):
    th = np.tanh(h)
    return 1.0 - th * th


def _derf(h):
    return (2.0 / math.sqrt(math.pi)) * np.exp(-np.square(h))


def _drelu(h):
    # Heaviside step, ½ at 0 (as the compiled kernel ``quadrature.dact``)
    return np.heaviside(h, 0.5)


def _dlinear(h):
    return np.ones_like(np.asarray(h, dtype=float))


_NUMPY_SIGMA = {"tanh": np.tanh, "erf": _erf, "relu": _relu, "linear": _linear}
_NUMPY_DSIGMA = {"tanh": _dtanh, "erf": _derf, "relu": _drelu, "linear": _dlinear}


def activation_function(name: str):
    """NumPy (elementwise) ``σ``: ``tanh``, ``erf(x)``, ``relu = max(x, 0)``, ``linear = x``."""
    return _NUMPY_SIGMA[check_activation(name)]


def activation_derivative_function(name: str):
    """NumPy (elementwise) ``σ'``: ``1 − tanh²x``, ``(2/√π) e^{−x²}``, Heaviside (½ at 0), 1."""
    return _NUMPY_DSIGMA[check_activation(name)]


def check_positive_int(value, name: str, meaning: str = "") -> int:
    """Validate an integer > 0 (booleans refused).

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Parameter name for the message.
    meaning : str, optional
        What the parameter means, added to the message.

    Returns
    -------
    int
        ``value`` as an int.

    Raises
    ------
    ValueError
        ``value`` is not an integer > 0.

    Examples
    --------
    >>> from classdyn.theory import check_positive_int
    >>> check_positive_int(500, "d", "input dimension")
    500
    """
    label = f"{name} ({meaning})" if meaning else name
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{label} must be an integer > 0, got {value!r}")
    return int(value)


def check_int(value, name: str, lo: int = 1, hi: int | None = None) -> int:
    """Validate an integer in ``[lo, hi]``.

    Parameters
    ----------
    value : object
        The value to check (an integral float such as ``4.0`` is accepted; booleans are not).
    name : str
        Parameter name for the message.
    lo : int, optional
        Smallest allowed value (default 1).
    hi : int or None, optional
        Largest allowed value; ``None`` (default): no upper bound.

    Returns
    -------
    int
        ``value`` as an int.

    Raises
    ------
    ValueError
        ``value`` is not an integer in the range; the message names the range.

    Examples
    --------
    >>> from classdyn.theory import check_int
    >>> check_int(20, "order", 2, 400)
    20
    >>> check_int(1, "order", 2, 400)
    Traceback (most recent call last):
    ...
    ValueError: order must be an integer in [2, 400], got 1
    """
    rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
    try:
        ok = (not isinstance(value, bool) and int(value) == value and value >= lo
              and (hi is None or value <= hi))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be an integer {rng}, got {value!r}")
    return int(value)
