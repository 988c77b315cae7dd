"""The one door to the spectral theory: ``model(mixture, rf, t)`` (docs/theory/spectrum-centred.md).

``model`` returns a :class:`CentredModel` when every centroid is subextensive
(``mixture.norms2 = 0``: docs/theory/spectrum-centred.md, the centred chain ``spectrum`` → ``edges`` →
``timescales``) and an :class:`ExtensiveModel` otherwise (docs/theory/extensive.md, ``E_m`` over the
Gaussian law of the projected centroids, :mod:`classdyn.theory.extensive`). Both have the same
methods:

``stieltjes(z)``, ``density(lam)``, ``spectrum()`` (bulks, masses, delta peak), ``edges(dps=...)``,
``outliers(d)``, ``timescales()``, ``speciation(d, ...)``.

A method that does not apply to a kind raises :class:`NotApplicableError` (a ``ValueError``)
saying why. The CLI commands ``classdyn spectrum|edges|times|speciation`` call only this door.

Units: eigenvalues of the feature covariance ``U`` (dimensionless); training time ``τ`` such that
a mode of eigenvalue ``λ`` relaxes as ``exp(−λ τ)``; diffusion time ``t`` of the OU process.
"""

from __future__ import annotations

from classdyn.theory.params import (Mixture, RandomFeatures, check_instance, check_positive_int,
                                    check_time)

#: Quadrature order per axis of the Gaussian law of ``m`` (extensive centroids) for the density
#: and outliers; the edges use twice as many composite Gauss–Legendre points
#: (:meth:`ExtensiveModel.edge_nodes`).
EXTENSIVE_ORDER = 30

#: Budget of tensor-rule nodes for ``E_m`` (the order per axis shrinks with the rank).
EXTENSIVE_NODE_BUDGET = 30000


class NotApplicableError(ValueError):
    """A method of the model does not apply to its kind (a ``ValueError``).

    Parameters
    ----------
    *args
        The message, saying why (as for any exception).

    Examples
    --------
    >>> from classdyn.theory import Mixture, RandomFeatures, NotApplicableError, model
    >>> try:
    ...     model(Mixture((1.0, 2.0)), RandomFeatures(4.0, 2.0), t=0.1).outliers(500)
    ... except NotApplicableError as e:
    ...     print("no low-rank part" in str(e))
    True
    """


def extensive_order(mixture: Mixture) -> int:
    """Order per axis of the tensor rule for ``E_m``: ``EXTENSIVE_ORDER``, reduced so that
    ``order^r ≤ EXTENSIVE_NODE_BUDGET`` for ``r`` extensive classes (at least 6)."""
    r = max(1, sum(1 for x in mixture.norms2 if x > 0))
    return max(6, min(EXTENSIVE_ORDER, int(round(EXTENSIVE_NODE_BUDGET ** (1.0 / r)))))


def model(mixture: Mixture, rf: RandomFeatures, t: float | None = None, **kw):
    """The one door to the spectral theory: the model of the feature covariance ``U``.

    Returns a :class:`CentredModel` when every centroid is subextensive (``mixture.centred``,
    all ``norms2 = 0``; docs/theory/spectrum-centred.md) and an :class:`ExtensiveModel`
    otherwise (docs/theory/extensive.md). Both have the same methods: ``stieltjes``,
    ``density``, ``spectrum``, ``edges``, ``outliers``, ``timescales``, ``speciation``; one that
    does not apply to a kind raises :class:`NotApplicableError` saying why.

    Parameters
    ----------
    mixture : Mixture
        The data model.
    rf : RandomFeatures
        The random-features model (``ψ_p``, ``ψ_n``, activation).
    t : float, optional
        Diffusion time of the OU forward process (dimensionless, > 0). May be left out for
        what does not depend on it (``speciation``); the other methods then ask for it.
    **kw
        ``m`` (projected means) for centred classes, ``order`` (quadrature nodes per axis of
        ``E_m``) for extensive centroids.

    Returns
    -------
    CentredModel or ExtensiveModel

    Raises
    ------
    TypeError
        ``mixture`` or ``rf`` of the wrong type.
    ValueError
        Invalid ``t``.

    Examples
    --------
    >>> from classdyn.theory import Mixture, RandomFeatures, model
    >>> m = model(Mixture((1.0, 2.0)), RandomFeatures(4.0, 2.0), t=0.01)
    >>> m.kind
    'centred'
    >>> ts = m.timescales()
    >>> ts.roles, round(ts.tau_gen, 4), round(ts.tau_mem, 4)
    (['fin', 'mem', 'gen'], 5.6607, 6.299)
    """
    check_instance(mixture, Mixture, "mixture")
    check_instance(rf, RandomFeatures, "rf")
    cls = CentredModel if mixture.centred else ExtensiveModel
    return cls(mixture, rf, t, **kw)


class _Model:
    kind = ""

    def __init__(self, mixture: Mixture, rf: RandomFeatures, t: float | None):
        self.mixture, self.rf = mixture, rf
        self._t = None if t is None else check_time(t)

    @property
    def t(self) -> float:
        """Diffusion time of the OU process (dimensionless); ``ValueError`` if not given."""
        if self._t is None:
            raise ValueError(f"t (diffusion time) is needed here: model(mixture, rf, t) with "
                             f"t > 0 ({type(self).__name__} was made without t)")
        return self._t

    def __repr__(self):
        t = "None" if self._t is None else f"{self._t:g}"
        return (f"{type(self).__name__}(t={t}, psi_p={self.rf.psi_p:g}, "
                f"psi_n={self.rf.psi_n:g}, activation={self.rf.activation!r}, "
                f"C={self.mixture.n_classes})")


class CentredModel(_Model):
    """Spectral model of centred classes (docs/theory/spectrum-centred.md).

    The :class:`~classdyn.theory.spectral_params.SpectralParams` of the mixture at ``t`` go
    through the Stieltjes solver (``stieltjes``, ``density``), the edge polynomial (``edges``,
    30 digits by default), the bulks (``spectrum``) and their naming (``timescales``). Made by
    :func:`model`; ``outliers`` and ``speciation`` raise :class:`NotApplicableError`.

    Parameters
    ----------
    mixture : Mixture
        All ``norms2 = 0``.
    rf : RandomFeatures
        The random-features model.
    t : float, optional
        Diffusion time (needed by every method here).
    m : array_like, optional
        Projected means per class (default 0).

    Examples
    --------
    >>> from classdyn.theory import Mixture, RandomFeatures, model
    >>> m = model(Mixture((1.0, 2.0)), RandomFeatures(4.0, 2.0), t=0.01)
    >>> spec = m.spectrum()
    >>> [round(b.weight, 6) for b in spec.bulks], round(spec.total_mass, 8)
    ([0.25, 0.25, 0.25], 1.0)
    """

    kind = "centred"

    def __init__(self, mixture, rf, t=None, *, m=None):
        super().__init__(mixture, rf, t)
        self._m = m
        self._params = None
        if t is not None:
            self._params = self.params  # invalid parameters fail here, not at first use

    @property
    def params(self):
        """:class:`~classdyn.theory.spectral_params.SpectralParams` at this model's ``t``."""
        if self._params is None:
            from classdyn.theory.spectrum import SpectralParams

            self._params = SpectralParams.from_model(self.mixture, self.rf, self.t, m=self._m)
        return self._params

    def stieltjes(self, z, **kw):
        """``q(z)``, ``r(z)`` (:func:`classdyn.theory.spectrum.stieltjes`)."""
        from classdyn.theory.spectrum import stieltjes

        return stieltjes(self.params, z, **kw)

    def density(self, lam, **kw):
        """``ρ(λ) = Im q(λ + i0⁺)/π`` (:func:`classdyn.theory.spectrum.density`)."""
        from classdyn.theory.spectrum import density

        return density(self.params, lam, **kw)

    def spectrum(self, *, dps: int = 30, nodes: int = 64):
        """Bulks (support, weights) and the delta peak at ``s̄²``
        (:func:`classdyn.theory.spectrum.spectrum`)."""
        from classdyn.theory.spectrum import spectrum

        return spectrum(self.params, dps=dps, nodes=nodes)

    def edges(self, *, dps: int = 30):
        """Real roots of the edge polynomial, classified (:func:`classdyn.theory.edges.find_edges`)."""
        from classdyn.theory.edges import find_edges

        return find_edges(self.params, dps=dps)

    def timescales(self, *, dps: int = 30):
        """``τ_gen, τ_mem, τ_fin`` and the windows (:func:`classdyn.theory.timescales.timescales`,
        a :class:`~classdyn.theory.bulks.Timescales`)."""
        from classdyn.theory.timescales import timescales

        return timescales(self.params, dps=dps)

    def equations(self):
        """The spectral system this model solves, as SymPy equations
        (:func:`classdyn.theory.equations.centred_equations`; docs/theory/spectrum-centred.md,
        paper eqs. (114)). ``.latex()`` typesets it; ``.residuals(self.params.to_dict(), z, q,
        r)`` evaluates it at a solution."""
        from classdyn.theory.equations import centred_equations

        return centred_equations(self.params.n_classes)

    def edge_polynomial(self):
        """``(P(q, z), E(z))``: the eliminated polynomial and the square-free edge polynomial
        for this model's numbers, exact integer :class:`sympy.Poly` (docs/theory/edges.md)."""
        from classdyn.theory.curve import edge_polynomial, eliminated_polynomial

        return eliminated_polynomial(self.params), edge_polynomial(self.params)

    def outliers(self, d: int):
        """The outlier of the mean term of a non-odd activation (ReLU: ``μ0_c ≠ 0``), the root
        above the bulk of ``1 + p q(λ) Σ_c ρ_c μ0_c²/(1 + δ_c(λ)) = 0``, ``p = ψ_p d``
        (:func:`classdyn.theory.centred_outlier.centred_mean_outlier`); an odd activation
        (``μ0 = 0``) has none and raises :class:`NotApplicableError`."""
        from classdyn.theory.centred_outlier import (MU0_ZERO, centred_mean_outlier,
                                                     mean_coefficients)

        d = check_positive_int(d, "d", "input dimension")
        mu0 = mean_coefficients(self.mixture, self.rf, self.t, m=self._m)
        if max(abs(float(x)) for x in mu0) <= MU0_ZERO:
            raise NotApplicableError(
                "outliers: centred classes (norms2 = 0) with an odd activation (mu0 = 0) give U "
                "no low-rank part in docs/theory/spectrum-centred.md, so there are no outliers "
                "to locate; a non-odd activation (relu) has the mean outlier, extensive "
                "centroids (norms2 > 0) have theirs (docs/theory/extensive.md)")
        return centred_mean_outlier(self.mixture, self.rf, self.t, d, m=self._m)

    def speciation(self, d: int, **kw):
        raise NotApplicableError(
            "speciation needs extensive centroids (some norms2 > 0, docs/theory/speciation.md): centred "
            "classes never speciate")


class ExtensiveModel(_Model):
    """Spectral model of classes with extensive centroids (docs/theory/extensive.md).

    Averages ``E_m`` over the Gaussian law of the projected centroids by quadrature with
    ``order`` nodes per axis; bulks (float64 edges), outliers for a given ``d``, timescales named
    by the same rule as for centred classes, speciation times. Made by :func:`model`.

    Parameters
    ----------
    mixture : Mixture
        Some ``norms2 > 0``.
    rf : RandomFeatures
        The random-features model.
    t : float, optional
        Diffusion time (not needed by ``speciation``).
    order : int, optional
        Quadrature nodes per axis (default :func:`extensive_order`).

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory import Mixture, RandomFeatures, model
    >>> e = model(Mixture((1.0, 1.0), norms2=(1.0, 1.0)), RandomFeatures(2.0, 1.0), t=1.0)
    >>> ed = e.edges()
    >>> np.round(ed.intervals, 4).tolist(), np.round(ed.masses, 3).tolist()
    ([[0.0281, 0.0448], [0.0886, 2.0774]], [0.5, 0.5])
    >>> np.round(e.outliers(500).locations, 2).tolist()
    [24.07, 24.07]
    """

    kind = "extensive"

    def __init__(self, mixture, rf, t=None, *, order: int | None = None):
        super().__init__(mixture, rf, t)
        self.order = (extensive_order(mixture) if order is None
                      else check_positive_int(order, "order", "quadrature nodes per axis"))
        self._nodes = None
        self._edge_nodes = None

    @property
    def nodes(self):
        """Gauss–Hermite nodes of ``E_m`` (:func:`classdyn.theory.extensive.gaussian_nodes`)."""
        if self._nodes is None:
            from classdyn.theory.extensive import gaussian_nodes

            self._nodes = gaussian_nodes(self.mixture, self.rf, self.t, order=self.order)
        return self._nodes

    @property
    def edge_nodes(self):
        """Composite Gauss–Legendre nodes, ``max(16, 2 order)`` per axis: fewer spurious
        quadrature bands in gaps than Gauss–Hermite at the same cost
        (:func:`classdyn.theory.extensive.extensive_edges`)."""
        if self._edge_nodes is None:
            from classdyn.theory.extensive import gaussian_nodes

            self._edge_nodes = gaussian_nodes(self.mixture, self.rf, self.t,
                                              order=max(16, 2 * self.order), rule="legendre")
        return self._edge_nodes

    def stieltjes(self, z, **kw):
        """Bulk solution ``R(m; z)`` at complex ``z`` (:func:`classdyn.theory.extensive.solve_bulk`)."""
        from classdyn.theory.extensive import solve_bulk

        return solve_bulk(z, self.nodes, **kw)

    def density(self, lam, *, converged: bool = False, **kw):
        """Bulk density on the real grid ``lam``: on :attr:`nodes`
        (:func:`classdyn.theory.extensive.extensive_density`), or with ``converged=True`` with
        ``E_m`` refined per point until two orders agree, errors reported (issue 12:
        :func:`classdyn.theory.extensive_converged.converged_density`, ``**kw`` its options)."""
        if converged:
            from classdyn.theory.extensive_converged import converged_density

            return converged_density(lam, self.mixture, self.rf, self.t, **kw)
        from classdyn.theory.extensive import extensive_density

        return extensive_density(lam, self.nodes, **kw)

    def spectrum(self, *, d: int | None = None, n_grid: int = 400):
        """Density on a grid, bulks, masses, named edge times and (given ``d``) outliers
        (:func:`classdyn.theory.extensive.extensive_spectrum` with ``converged=True``, issue
        12: the density and the bulk masses from ``E_m`` refined until two orders agree, with
        ``density_error`` and ``mass_errors``; the bulk intervals from :attr:`nodes`, the
        converged edges are :meth:`edges`)."""
        from classdyn.theory.extensive import extensive_spectrum

        return extensive_spectrum(self.mixture, self.rf, self.t, d=d, order=self.order,
                                  n_grid=n_grid, converged=True)

    def edges(self, *, dps: int | None = None):
        """Bulk intervals and masses with ``E_m`` refined until the edges converge (issue 12:
        :func:`classdyn.theory.extensive_converged.converged_edges` from the composite Legendre
        rule of :attr:`edge_nodes` up to four times its order; ``errors``/``converged`` per edge,
        soft band edges flagged); float64 (``dps`` above 16 is not available for this kind and
        is ignored)."""
        from classdyn.theory.extensive_converged import converged_edges

        n = max(16, 2 * self.order)
        return converged_edges(self.mixture, self.rf, self.t, order=n, max_order=4 * n)

    def timescales(self, *, dps: int | None = None, edges=None):
        """``τ_gen, τ_mem, τ_fin`` and the windows, the bulks named by the same rule as for
        centred classes (:func:`classdyn.theory.extensive.extensive_timescales`, a
        :class:`~classdyn.theory.bulks.Timescales`); ``edges`` reuses an earlier
        :meth:`edges` result, ``dps`` is ignored as in :meth:`edges`."""
        from classdyn.theory.extensive import extensive_timescales

        e = self.edges() if edges is None else edges
        return extensive_timescales(e, self.rf.psi_p, self.rf.psi_n)

    def equations(self):
        """The bulk system this model solves, as SymPy equations
        (:func:`classdyn.theory.equations.extensive_equations`; docs/theory/extensive.md,
        (ext-kappa)…(ext-q)), ``E_m`` unevaluated. ``.latex()`` typesets it;
        ``.residuals(self.nodes, z, q, delta, T)`` evaluates it at a solution of
        :meth:`stieltjes`."""
        from classdyn.theory.equations import extensive_equations

        return extensive_equations(self.mixture.n_classes)

    def outliers(self, d: int, **kw):
        """Outliers of ``U`` above the bulk for input dimension ``d``
        (:func:`classdyn.theory.extensive.outliers`)."""
        from classdyn.theory.extensive import outliers

        return outliers(self.nodes, check_positive_int(d, "d", "input dimension"), **kw)

    def speciation(self, d: int, *, method: str = "outlier", **kw):
        """Speciation time of each class, a
        :class:`~classdyn.theory.speciation.SpeciationTimes`
        (:func:`classdyn.theory.speciation.speciation_times`: ``"leading"``
        ``½ log(ρ_c n2_c d)``, or ``"outlier"`` the order-one threshold). Depends on the mixture
        and ``rf``, not on ``t`` (a model made without ``t`` can answer it)."""
        from classdyn.theory.speciation import speciation_times

        return speciation_times(self.mixture, d, self.rf, method=method, **kw)


# ``classdyn.theory.model`` names both this module and the function :func:`model`; once the module
# is imported, the package attribute is the module (the import system sets it), so the module is
# made callable: ``classdyn.theory.model(mixture, rf, t)`` is :func:`model` either way.
class _CallableModule(__import__("types").ModuleType):
    def __call__(self, mixture, rf, t=None, **kw):
        return model(mixture, rf, t, **kw)


__import__("sys").modules[__name__].__class__ = _CallableModule
