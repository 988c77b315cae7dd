r"""Spectra along a path of parameters by fold continuation (issue 14: maps of timescales;
docs/theory/edges.md, "Edges along a path").

The certified edges of :func:`classdyn.theory.edges.find_edges` cost ~0.1 s per parameter point
(an exact edge polynomial per point); a 100×100 map of timescales needs ~10⁴ of them. Along a
line of a map the edges move smoothly, so each is followed from the previous point by Newton's
method on the equations that define it, and the certified route is run again only where the
structure of the spectrum changes.

Edges as folds (docs/theory/spectrum-centred.md, eqs. 2–3): eliminating ``z`` with eq. (2),
``B q = 1 − A r``, turns eq. (3) into a ``z``-free curve and gives ``z`` explicitly on it,

.. math::

    H(q, r) = r\,(1 + \psi_p q A) - q = 0, \qquad
    z(q, r) = S - \frac{1 - A r}{q},

with ``D_c = 1 + k(α_c² r + v_c² q)``, ``k = ψ_p/ψ_n``, ``A = b̄² + Σ_c ρ_c α_c²/D_c``,
``S = s̄² + Σ_c ρ_c v_c²/D_c``. An edge is a critical value of ``z`` along the real curve
``H = 0``,

.. math::

    \Phi(q, r) = z_q H_r - z_r H_q = 0 ,

a regular solution of the 2×2 system ``(H, Φ) = 0`` at a square-root edge; :func:`fold_point`
solves it by Newton (analytic Jacobian, :mod:`classdyn.theory._fold_kernels`).

What is followed: every fold, real or complex. A gap opening inside a bulk is a pair of complex
folds reaching the real axis, so following the edges alone would miss a gap narrower than any
density grid. The first point of a path is computed by the certified route
(:func:`classdyn.theory.spectrum.spectrum`), and every root of its edge polynomial that is a
fold is seeded (:func:`_seed_folds`). From point to point every fold is carried by Newton
(linear predictor; where a fold fails or two meet, the step is cut down to 1/64; folds that
appear or disappear in pairs are restarted, :func:`_pair_events`). The real folds at or above
``s̄²`` are classified by the density on both sides as the certified route does (their kinds
carry over while the same real folds keep their order).

Checks at every continued point (:func:`spectra_along`); a point that fails any of them is
computed by the certified route, which also re-seeds the path:

1. every fold converged (Newton step below ``1e-13`` relative within :data:`FOLD_MAXIT`
   iterations) and no two folds coincide (``1e-7`` relative): the number of folds is fixed,
   so distinct folds are all of them;
2. no fold is about to change between real and complex (``1e-12 < |Im q|/|q| < 1e-6``);
3. the real folds at or above ``s̄²`` stay apart (``1e-7`` of the scale), the density does not
   start at ``s̄²``, the edges alternate lower/upper;
4. the density is positive at every quadrature node inside every bulk;
5. the bulk masses (cut at the non-edge real folds, Gauss–Legendre in the angle variable,
   adaptive to :data:`~classdyn.theory.spectrum.MASS_TOL`) plus the delta peak add up to 1
   within :data:`~classdyn.theory.spectrum.TOTAL_MASS_TOL`.

tests/theory/test_spectrum_path.py compares whole lines with the certified route point by point
(through a gap opening, a merger, and pairs of folds born and annihilated).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from classdyn.theory.spectral_params import SpectralParams

__all__ = ["FoldPoint", "fold_point", "PathSpectrum", "spectra_along",
           "compiled_kernels", "FOLD_MAXIT"]

#: Newton iterations allowed for one fold (a continued fold from a neighbouring grid point
#: needs 3-6; more means the predictor was poor or the fold is disappearing).
FOLD_MAXIT = 30
#: Relative Newton step at which a fold counts as converged: ~500 ulp, reached in one more
#: quadratic step once the step is ~1e-7, while a regular fold's rounding floor is ~1e-15
#: (continued edges equal the certified ones to 1.3e-16 of the scale, tests).
FOLD_RTOL = 1e-13
#: Two edges closer than this (relative to the scale) mean a gap closing or a bulk vanishing;
#: also the relative distance below which two folds count as one (:func:`_separated`). Far
#: above the folds' accuracy (1e-13); two distinct folds come this close only near a collision
#: (they part like the square root of the parameter distance), where the certified route is
#: the safe answer.
MIN_SEPARATION = 1e-7
#: ``|Im q|/|q|`` at or below which a fold is real (a real start stays exactly real in Newton's
#: complex arithmetic; a complex fold's imaginary part is ~1e-13 only within ~1e-26 of a
#: double fold), and above which it is complex: in between, a pair is about to meet.
REAL_RTOL, COMPLEX_RTOL = 1e-12, 1e-6
#: Smallest piece of a step along the straight path between two parameter points (1/64: six
#: halvings; a fold that still fails is lost, not just badly predicted).
MIN_STEP = 1.0 / 64


def _args(params: SpectralParams, compiled: bool):
    vecs = (np.ascontiguousarray(params.rho, float), np.ascontiguousarray(params.alpha2, float),
            np.ascontiguousarray(params.v2, float))
    if not compiled:  # Python lists: NumPy scalars would slow the plain loops
        vecs = tuple(v.tolist() for v in vecs)
    return (float(params.psi_p), float(params.k), *vecs, float(params.bbar2),
            float(params.sbar2))


def _newton(params, q0, r0, maxit=FOLD_MAXIT, compiled=None):
    """Newton on ``(H, Φ) = 0`` (:func:`classdyn.theory._fold_kernels.fold_newton`) from
    arrays of starting points; ``compiled=True`` runs the Numba twin. Returns
    ``(q, r, z, converged, iterations)`` arrays."""
    from classdyn.theory._fold_kernels import fold_newton

    q0 = np.ascontiguousarray(np.asarray(q0, dtype=complex).ravel())
    r0 = np.ascontiguousarray(np.asarray(r0, dtype=complex).ravel())
    kern = fold_newton.jit if compiled else fold_newton
    return kern(q0, r0, *_args(params, bool(compiled)), int(maxit), FOLD_RTOL)


@dataclass
class FoldPoint:
    """One edge as a fold of the real branch: ``(q, r)`` with ``H = Φ = 0`` and ``z`` its value.

    ``converged``: Newton's step fell below :data:`FOLD_RTOL` (relative) within
    :data:`FOLD_MAXIT` iterations; ``iterations`` used.

    Examples
    --------
    >>> from classdyn.theory.spectral_params import SpectralParams
    >>> from classdyn.theory.spectrum_path import FoldPoint, fold_point
    >>> f = fold_point(SpectralParams.marchenko_pastur(2.0, 1.0), -0.3, -0.1)
    >>> isinstance(f, FoldPoint), f.converged
    (True, True)
    """

    q: float
    r: float
    z: float
    converged: bool
    iterations: int


def fold_point(params: SpectralParams, q0: float, r0: float, *,
               maxit: int = FOLD_MAXIT) -> FoldPoint:
    r"""Newton's method on ``H(q, r) = 0, Φ(q, r) = 0`` (module docstring) from ``(q0, r0)``.

    ``H = r(1 + ψ_p q A) − q`` (eq. 3 with eq. 2), ``Φ = z_q H_r − z_r H_q`` with
    ``z = S − (1 − A r)/q``; the Jacobian from the analytic second derivatives of ``A`` and
    ``S`` (:func:`_fold_system`). Steps are capped at half of ``|q|`` and ``|r|`` (plus a
    floor) so that Newton cannot jump across the pole ``q = 0``.

    Parameters
    ----------
    params : SpectralParams
        The spectral parameters.
    q0, r0 : float
        The starting point (real).
    maxit : int
        Newton iterations allowed.

    Returns
    -------
    FoldPoint
        The fold found, ``converged`` telling whether Newton settled.

    Examples
    --------
    Marchenko–Pastur (``ψ_p = 2``, ``ψ_n = 1``): the upper edge ``(1 + √2)²``.

    >>> from classdyn.theory.spectral_params import SpectralParams
    >>> from classdyn.theory.spectrum_path import fold_point
    >>> mp = SpectralParams.marchenko_pastur(2.0, 1.0)
    >>> f = fold_point(mp, -0.3, -0.1)
    >>> f.converged, round(f.z, 12)
    (True, 5.828427124746)
    """
    q, r, z, conv, its = _newton(params, [q0], [r0], maxit)
    return FoldPoint(float(q[0].real), float(r[0].real), float(z[0].real), bool(conv[0]),
                     int(its[0]))


@dataclass
class PathSpectrum:
    """One point of :func:`spectra_along`: its spectrum (or the error that stopped it).

    Parameters
    ----------
    spectrum : Spectrum or None
        The :class:`~classdyn.theory.spectrum.Spectrum` of the point (``None`` on error).
    method : {"continuation", "certified"}
        ``"continuation"``: every fold followed from the previous point, all checks of
        :mod:`classdyn.theory.spectrum_path` passed; ``"certified"``: computed by
        :func:`classdyn.theory.spectrum.spectrum`.
    reason : str
        Why the point was not continued (empty for continued ones).
    error : Exception or None
        The exception raised by the certified route, if any.
    folds : tuple of numpy.ndarray or None
        ``(q, r, z)`` of every tracked fold (complex arrays): the seed of the next point.
    kinds : numpy.ndarray or None
        Per fold ``"lower"``/``"upper"`` (an edge), ``"none"`` (a real fold at or above
        ``s̄²`` that is not an edge) or ``""`` (complex, or below ``s̄²``).

    Examples
    --------
    >>> from classdyn.theory import Mixture, RandomFeatures
    >>> from classdyn.theory.spectral_params import SpectralParams
    >>> p = SpectralParams.from_model(Mixture((1.0, 4.0)), RandomFeatures(4.0, 2.0), 0.1)
    >>> from classdyn.theory.spectrum_path import spectra_along
    >>> first = next(spectra_along([p]))
    >>> first.method, first.reason, len(first.spectrum.bulks)
    ('certified', 'first point', 2)
    """

    spectrum: object
    method: str
    reason: str = ""
    error: Exception | None = None
    folds: tuple | None = field(default=None, repr=False)
    kinds: np.ndarray | None = field(default=None, repr=False)


def _classify(params, cands, compiled):
    """Kinds of the real folds ``cands`` (sorted, ``≥ s̄²``) by the density on both sides, as
    the certified route classifies the roots of ``E``
    (:func:`classdyn.theory.edges.classify_candidates`); plus whether the density is positive
    right above ``s̄²`` (or that probe is unresolved)."""
    from classdyn.theory.edges import classify_candidates

    kinds, _ = classify_candidates(params, [params.sbar2] + list(cands), compiled=compiled)
    return kinds[1:], kinds[0] != "none"


def _between(p0: SpectralParams, p1: SpectralParams, s: float) -> SpectralParams:
    """The parameters a fraction ``s`` of the way from ``p0`` to ``p1`` (each field linear)."""
    lin = lambda a, b: (1.0 - s) * a + s * b  # noqa: E731
    return SpectralParams(psi_p=lin(p0.psi_p, p1.psi_p), psi_n=lin(p0.psi_n, p1.psi_n),
                          rho=lin(p0.rho, p1.rho), alpha2=lin(p0.alpha2, p1.alpha2),
                          v2=lin(p0.v2, p1.v2), bbar2=lin(p0.bbar2, p1.bbar2),
                          sbar2=lin(p0.sbar2, p1.sbar2))


def _separated(q, r) -> bool:
    """Check 2: no two folds on one point (a jump onto another fold, or a collision)."""
    u = np.stack([q, r], axis=1)
    dist = np.abs(u[:, None, :] - u[None, :, :]).max(axis=2)
    size = np.maximum(np.abs(u[:, None, :]), np.abs(u[None, :, :])).max(axis=2)
    np.fill_diagonal(dist, np.inf)
    return not np.any(dist <= MIN_SEPARATION * size)


def _pair_events(p, q1, r1, q, r, z, conv, compiled):
    """Folds that appear or disappear in pairs between two parameter points (eq. (H, Φ) has a
    fixed number of solutions: at a double fold two real ones become a complex-conjugate pair,
    or the reverse).

    * Real folds that no longer converge from their real start (a real start stays real in
      Newton's complex arithmetic) are restarted in pairs, neighbours in ``z``, from their
      midpoint ± ``i`` half their distance (a conjugate pair born where they met).
    * Complex folds that converged onto one real point are restarted from the real part of
      their previous position ± the modulus of its imaginary part (a real pair).

    Returns ``(q, r, z, conv)``; the caller accepts them only if all converged and no two
    coincide: then the pairs are distinct solutions and, their number being fixed, all of them.
    """
    q, r, z, conv = q.copy(), r.copy(), z.copy(), conv.copy()
    realstart = np.abs(q1.imag) <= REAL_RTOL * np.abs(q1)
    lost = np.flatnonzero(~conv & realstart)
    lost = lost[np.argsort(q1[lost].real)]
    starts = {}
    for j, k in zip(lost[::2], lost[1::2]):
        qm, rm = 0.5 * (q1[j] + q1[k]), 0.5 * (r1[j] + r1[k])
        dq, dr = 0.5 * abs(q1[j] - q1[k]), 0.5 * abs(r1[j] - r1[k])
        starts[j] = (qm + 1j * dq, rm + 1j * dr)
        starts[k] = (qm - 1j * dq, rm - 1j * dr)
    u = np.stack([q, r], axis=1)
    dist = np.abs(u[:, None, :] - u[None, :, :]).max(axis=2)
    size = np.maximum(np.abs(u[:, None, :]), np.abs(u[None, :, :])).max(axis=2)
    np.fill_diagonal(dist, np.inf)
    for j, k in np.argwhere(np.triu(dist <= MIN_SEPARATION * size)):
        if realstart[j] or realstart[k] or j in starts or k in starts:
            continue
        for i, sign in ((j, 1.0), (k, -1.0)):
            starts[i] = (q1[i].real + sign * abs(q1[i].imag), r1[i].real + sign * abs(r1[i].imag))
    if not starts:
        return q, r, z, conv
    idx = np.array(sorted(starts))
    qs, rs, zs, cs, _ = _newton(p, [starts[i][0] for i in idx], [starts[i][1] for i in idx],
                                compiled=compiled)
    q[idx], r[idx], z[idx], conv[idx] = qs, rs, zs, cs
    return q, r, z, conv


def _track(p0, p1, q1, r1, before, compiled):
    """Every fold from ``p0`` to ``p1`` (checks 1 and 2): Newton at ``p1`` from the linear
    predictor (from ``before``, the folds one point earlier); where a fold fails or two meet,
    the step is cut along the straight path between the two parameter points and taken in
    pieces (halved down to 1/64). Returns ``(q, r, z, reason)``, ``q`` ``None`` on failure."""
    if p0 is None or p0.rho.size != p1.rho.size:
        return None, None, None, "the classes changed"
    if before is not None and before[0].size == q1.size:
        q0 = 2.0 * q1 - before[0]
        r0 = 2.0 * r1 - before[1]
        bad = (q0.real * q1.real < 0) | (np.abs(q0 - q1) > 0.5 * np.abs(q1))
        q0, r0 = np.where(bad, q1, q0), np.where(bad, r1, r0)
        q, r, z, conv, _ = _newton(p1, q0, r0, compiled=compiled)
        if np.all(conv) and _separated(q, r):
            return q, r, z, ""
    s, h = 0.0, 1.0
    while s < 1.0:
        t = min(1.0, s + h)
        q, r, z, conv, _ = _newton(_between(p0, p1, t) if t < 1.0 else p1, q1, r1,
                                   compiled=compiled)
        if not (np.all(conv) and _separated(q, r)):
            q, r, z, conv = _pair_events(_between(p0, p1, t) if t < 1.0 else p1, q1, r1, q, r,
                                         z, conv, compiled)
        if np.all(conv) and _separated(q, r):
            s, q1, r1 = t, q, r
            h = min(2.0 * h, 1.0)
            continue
        h *= 0.5
        if h < MIN_STEP:
            why = ("two folds met" if np.all(conv) else
                   f"{int(np.sum(~conv))} of {conv.size} folds did not converge")
            return None, None, None, why
    return q, r, z, ""


def _real_above(params, q, r, z):
    """Indices of the folds of the real branch at or above ``s̄²`` (an edge is such a fold:
    real ``q`` and ``r``; a real root of ``E`` with complex ``q, r`` is a pair of complex folds
    over a real ``z``, never an edge), or ``None`` and the reason when one is about to change
    between real and complex."""
    imq = np.maximum(np.abs(q.imag) / np.abs(q), np.abs(r.imag) / (np.abs(r) + 1e-300))
    if np.any((imq > REAL_RTOL) & (imq < COMPLEX_RTOL)):
        return None, "a fold is about to change between real and complex"
    real = imq <= REAL_RTOL
    return np.flatnonzero(real & (z.real >= params.sbar2 * (1 - 1e-12))), ""


def _order(ps: PathSpectrum) -> np.ndarray:
    """The real folds at or above ``s̄²`` of a point, in increasing ``z``."""
    idx = np.flatnonzero(ps.kinds != "")
    return idx[np.argsort(ps.folds[2].real[idx], kind="stable")]


def _continue(params, prev, prev2, nodes, compiled):
    """One continued point: every fold from the previous point(s), checks 1-5, the spectrum."""
    from classdyn.theory.bulks import Bulk
    from classdyn.theory.spectrum import TOTAL_MASS_TOL, Spectrum, _bulk_masses, delta_weight

    scale = params.scale
    q, r, z, why = _track(prev.spectrum.params, params, *prev.folds[:2],
                          None if prev2 is None or prev2.folds is None else prev2.folds[:2],
                          compiled)
    if q is None:
        return None, why
    above, why = _real_above(params, q, r, z)
    if above is None:
        return None, why
    order = above[np.argsort(z.real[above], kind="stable")]
    cands = [float(x) for x in z.real[order]]
    if any(x2 - x1 < MIN_SEPARATION * scale for x1, x2 in zip(cands[:-1], cands[1:])):
        return None, "two real folds met"
    if prev.kinds is not None and np.array_equal(order, _order(prev)):
        kinds = [str(k) for k in prev.kinds[order]]  # the same real folds in the same order
    else:  # a fold turned real, complex, or crossed s̄² or another: classify afresh
        kinds, starts_at_s2 = _classify(params, cands, compiled)
        if starts_at_s2 or "unresolved" in kinds:
            return None, "the density starts at s^2 or a probe did not converge"
    edges = [x for x, kd in zip(cands, kinds) if kd != "none"]
    ek = [kd for kd in kinds if kd != "none"]
    if ek != ["lower", "upper"] * (len(ek) // 2) or not ek:
        return None, "the edge kinds do not alternate"
    kind_arr = np.full(q.size, "", dtype=object)
    kind_arr[order] = kinds
    cuts = [x for x, kd in zip(cands, kinds) if kd == "none"]
    masses = _bulk_masses(params, edges, cuts, nodes=nodes, compiled=compiled, inside=True)
    if masses is None:
        return None, "a quadrature node inside a bulk has zero density"
    dw = delta_weight(params)
    total = sum(masses) + dw
    if abs(total - 1.0) > TOTAL_MASS_TOL:
        return None, f"total mass {total:.6g} (a bulk was missed)"
    bulks = [Bulk(a, b, m) for a, b, m in zip(edges[::2], edges[1::2], masses)]
    spec = Spectrum(bulks=bulks, delta_location=params.sbar2, delta_weight=dw,
                    total_mass=total, edges=[repr(e) for e in edges],
                    singular_lower_edge=False, params=params)
    return PathSpectrum(spec, "continuation", folds=(q, r, z), kinds=kind_arr), ""


def _is_node(q_try, r_try) -> bool:
    """Whether the curve points over a root ``z₀`` of ``E`` include two with the same ``q`` and
    different ``r``: a crossing of two branches in the ``(q, z)`` projection (``P(·, z₀)`` has a
    double root there), not a fold; such roots of ``E`` are never edges."""
    q, r = np.asarray(q_try), np.asarray(r_try)
    # the double root q of P(., z0) is split by rounding to ~sqrt(eps) ~ 1e-8 relative (1e-5
    # allows for ill-conditioning); distinct branches differ in r by O(1) (1e-3 relative)
    same_q = np.abs(q[:, None] - q[None, :]) <= 1e-5 * (np.abs(q[:, None]) + 1e-300)
    other_r = np.abs(r[:, None] - r[None, :]) > 1e-3 * (np.abs(r[:, None]) + np.abs(r[None, :]))
    return bool(np.any(same_q & other_r))


def _seed_folds(params, compiled=None):
    """``(q, r)`` of every fold among the roots of the edge polynomial ``E(z)`` (complex ones
    too): for each root ``z₀``, Newton on ``(H, Φ)`` from every point of the curve over ``z₀``;
    the fold is the one that lands on ``z₀``. Roots of ``E`` that are crossings of two branches
    (:func:`_is_node`) are not folds and are left out; ``None`` if a root is neither (it cannot
    be followed)."""
    import flint

    from classdyn.theory.curve import _check_params, _edge_coefficients, numeric_curve

    merged = _check_params(params)
    sqf = _edge_coefficients(merged.key(), merged.n_classes)[1]
    prec = flint.ctx.prec
    try:
        flint.ctx.dps = 30
        roots = flint.fmpz_poly(sqf).complex_roots()
    finally:
        flint.ctx.prec = prec
    zs = [complex(float(z.real.mid()), float(z.imag.mid())) for z, _ in roots]
    nc = numeric_curve(merged)
    scale = params.scale
    qs, rs, zs_fold = [], [], []
    for z0 in zs:
        # starting points: every (q, r) on the curve over z0 (roots q of P(., z0), then the
        # roots r of F(q, .)); Newton from each, keep the fold that lands on z0
        q_try, r_try = [], []
        for qv in np.roots((nc.P @ (z0 ** np.arange(nc.P.shape[1])))[::-1]):
            cr = (qv ** np.arange(nc.F.shape[0])) @ nc.F
            nz = np.flatnonzero(np.abs(cr) > 0)
            if qv == 0 or nz.size < 2:
                continue
            for rv in np.roots(cr[: nz[-1] + 1][::-1]):
                # a loose filter (the float curve's roots near a double root are good to
                # ~sqrt(eps)); Newton and the 1e-8 test below decide
                if abs(complex(nc.z_of(qv, rv)) - z0) <= 1e-3 * (scale + abs(z0)):
                    q_try.append(qv)
                    r_try.append(rv)
        if not q_try:
            return None
        q, r, z, conv, _ = _newton(params, q_try, r_try, compiled=compiled)
        miss = np.where(conv, np.abs(z - z0), np.inf)
        best = int(np.argmin(miss))
        # the fold lands on z0 to rounding (measured ~1e-15 relative); 1e-8 allows for z0 being
        # a 30-digit Arb midpoint rounded to float64 and an ill-conditioned fold
        if miss[best] <= 1e-8 * (scale + abs(z0)):
            qs.append(q[best])
            rs.append(r[best])
            zs_fold.append(z[best])
        elif not _is_node(q_try, r_try):
            return None  # neither a fold nor a crossing: it cannot be followed
    if not qs:
        return None
    return np.array(qs), np.array(rs), np.array(zs_fold)


def _certified(params, dps, nodes, reason, compiled):
    """The certified route at one point, and the folds of every root of its edge polynomial
    (the seeds of the next point)."""
    from classdyn.theory.curve import MAX_CLASSES
    from classdyn.theory.spectrum import spectrum

    try:
        spec = spectrum(params, dps=dps, nodes=nodes, compiled=compiled)
    except (ValueError, ArithmeticError) as exc:
        return PathSpectrum(None, "certified", reason, error=exc)
    folds = kinds = None
    if not spec.singular_lower_edge and params.merged().n_classes <= MAX_CLASSES:
        folds = _seed_folds(params, compiled)
    if folds is not None:
        kinds = _seed_kinds(params, folds, [float(e) for e in spec.edges])
        if kinds is None:
            folds = None
    return PathSpectrum(spec, "certified", reason, folds=folds, kinds=kinds)


def _seed_kinds(params, folds, edges):
    """Kinds of the seeded folds from the certified edges: a real fold at or above ``s̄²`` on a
    certified edge (within ``10⁻⁹`` of the scale) is that edge, the others ``"none"``; ``None``
    if the edges and the folds do not match one to one."""
    q, r, z = folds
    above, _ = _real_above(params, q, r, z)
    if above is None:
        return None
    kinds = np.full(q.size, "", dtype=object)
    kinds[above] = "none"
    tol = 1e-9 * params.scale
    for i, e in enumerate(edges):
        hit = above[np.abs(z.real[above] - e) <= tol]
        if hit.size != 1:
            return None
        kinds[hit[0]] = "lower" if i % 2 == 0 else "upper"
    return kinds


def compiled_kernels():
    """A context in which every kernel that chooses plain Python or Numba by the size of its
    work (Hermite coefficients, densities) runs compiled, for long runs of small calls such as
    the points of a sweep line (:class:`classdyn.theory._lazyjit.prefer_compiled`).

    Returns
    -------
    contextlib.AbstractContextManager
        Use as ``with compiled_kernels(): ...``; the previous choice is restored on exit.

    Examples
    --------
    >>> from classdyn.theory.coefficients import coefficients
    >>> from classdyn.theory.spectrum_path import compiled_kernels
    >>> with compiled_kernels():
    ...     c = coefficients("tanh", 0.0, 1.0, 0.1)
    >>> round(float(c.a), 6) == round(float(coefficients("tanh", 0.0, 1.0, 0.1).a), 6)
    True
    """
    from classdyn.theory._lazyjit import prefer_compiled

    return prefer_compiled()


def spectra_along(params_seq, *, dps: int = 30, nodes: int = 64, compiled: bool | None = None,
                  start: PathSpectrum | None = None):
    """Spectra at a sequence of parameter points, edges followed by continuation (module
    docstring).

    The first point, and every point where a check fails, is computed by
    :func:`classdyn.theory.spectrum.spectrum` (certified edges at ``dps`` digits), which also
    gives the seeds: every root of the edge polynomial, real or complex, as a fold ``(q, r)``.
    At the other points every fold is followed from the previous point by Newton's method
    (predictor: linear extrapolation from the two previous points), the real ones at or above
    ``s̄²`` are classified by the density on both sides as the certified route does, and the
    point is accepted only if all checks of the module docstring pass. Continued edges are
    float64 (Newton polishes each fold to rounding); certified ones have ``dps`` digits.

    Parameters
    ----------
    params_seq : iterable of SpectralParams
        Neighbouring parameter points (e.g. one line of a map); the closer the points, the more
        of them are continued.
    dps : int
        Working digits of the certified route.
    nodes : int
        Gauss–Legendre nodes per bulk piece of the masses (as :func:`~classdyn.theory.spectrum.spectrum`).
    compiled : bool, optional
        Density kernels compiled by Numba (``True``, for long paths), plain Python (``False``)
        or chosen by the size of each call (``None``), as in
        :func:`~classdyn.theory.stieltjes.stieltjes`.
    start : PathSpectrum, optional
        The point just before ``params_seq[0]`` on the path (e.g. from another call): the first
        point is then continued from it instead of computed by the certified route.

    Yields
    ------
    PathSpectrum
        One per point, in order; an error of the certified route is carried in ``error``
        (the path goes on).

    Examples
    --------
    >>> from classdyn.theory import Mixture, RandomFeatures
    >>> from classdyn.theory.spectral_params import SpectralParams
    >>> from classdyn.theory.spectrum_path import spectra_along
    >>> line = [SpectralParams.from_model(Mixture((1.0, 4.0)), RandomFeatures(p, 2.0), 0.1)
    ...         for p in (4.0, 4.1, 4.2)]
    >>> [s.method for s in spectra_along(line)]
    ['certified', 'continuation', 'continuation']
    """
    prev = start if start is not None and start.spectrum is not None else None
    prev2 = None
    for params in params_seq:
        if not isinstance(params, SpectralParams):
            raise TypeError(f"params_seq must hold SpectralParams, got {type(params)}")
        out, reason = None, "first point"
        if prev is not None and prev.folds is not None:
            params_m = params
            out, reason = _continue(params_m, prev, prev2, nodes, compiled)
        if out is None:
            out = _certified(params, dps, nodes, reason, compiled)
            prev2 = None
        else:
            prev2 = prev
        prev = out if out.spectrum is not None else None
        yield out
