"""Stieltjes solvers of the centred spectral equations (THEORY.md §5): classdyn.theory.stieltjes
(``q(z)``, ``r(z)``, the density ``Im q(λ + i0⁺)/π``). Closed forms, the uneliminated equations,
branch and asymptotics, the polynomial route against the compiled continuation, the kernel's
Jacobian, and errors that are reported rather than silent.
"""

import numpy as np
import pytest

from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectral_params import NonConvergenceError, SpectralParams
from classdyn.theory.stieltjes import density, stieltjes


def _model(variances, weights, psi_p, psi_n, t):
    return SpectralParams.from_model(Mixture(variances=variances, weights=weights),
                                     RandomFeatures(psi_p, psi_n), t)


REF = _model((1.0, 2.0), (0.5, 0.5), 2.0, 1.0, 0.01)  # THEORY.md §5 reference case


def test_pure_noise_complex_z_matches_closed_form():
    # MP Stieltjes transform, closed form: q(z) = (1 − γ − z + sqrt((z − 1 − γ)² − 4γ))/(2γz)
    # on the branch Im q > 0; measured ≤ 2.5e-16 relative at these z; tolerance 5e-15 (was
    # 1e-12).
    p = SpectralParams.marchenko_pastur(2.0, 1.0)
    g = 2.0
    z = np.array([0.5 + 0.5j, 3 + 0.01j, 7 + 2j, -1 + 0.1j])
    s = np.sqrt((z - 1 - g) ** 2 - 4 * g)
    cand = np.stack([(1 - g - z + s) / (2 * g * z), (1 - g - z - s) / (2 * g * z)])
    exact = np.where(cand[0].imag > 0, cand[0], cand[1])
    got = stieltjes(p, z).q
    np.testing.assert_allclose(got, exact, rtol=5e-15)


def test_one_class_solves_the_unimodal_equations():
    # C = 1 (Bonnaire, Urfin, Biroli, Mézard 2025, isotropic data): the eliminated equations
    # must solve the *uneliminated* system of THEORY.md §5 (eqs. 1–3, with δ as a third
    # unknown; eq. 3 the Marchenko–Pastur law of K at −B/A). Measured residuals ≤ 2.1e-15
    # (O(1) terms); tolerance 5e-14 (was 1e-12).
    p = _model((1.0,), None, 2.0, 1.0, 0.01)
    z = np.array([0.5 + 0.5j, 0.01 + 1e-3j, 2.0 + 1e-6j, 4.0 + 0.1j])
    res = stieltjes(p, z)
    q, r = res.q, res.r
    k = p.psi_p / p.psi_n
    delta = k * (p.alpha2[0] * r + p.v2[0] * q)
    A = p.bbar2 + p.alpha2[0] / (1 + delta)
    B = -z + p.sbar2 + p.v2[0] / (1 + delta)
    eq2 = A * r + B * q - 1
    eq3 = p.psi_p * A * B * q ** 2 + (1 - p.psi_p) * A * q + B * q - 1
    assert np.max(np.abs(eq2)) < 5e-14 and np.max(np.abs(eq3)) < 5e-14
    assert np.all(q.imag > 0) and np.all(r.imag > 0)


def test_branch_and_asymptotics():
    # q ~ −1/z at infinity, Im q > 0 in the upper half-plane.
    z = np.array([1e6 + 1e3j, 3.0 + 1e-3j, 0.004 + 1e-8j])
    res = stieltjes(REF, z)
    assert np.all(res.q.imag > 0)
    # next term of q = −1/z − m1/z² − …: relative m1/|z| = 4.6e-7 (m1 = 0.456): tolerance 1e-6
    assert res.q[0] == pytest.approx(-1 / z[0], rel=1e-6)


def test_polynomial_method_agrees_with_continuation():
    # Two independent routes to q(λ + i0⁺): roots of the eliminated polynomial P(q, λ)
    # (algebraic curve) and the compiled Newton continuation, compared relative to the density
    # scale: P's float64 coefficients are ill-conditioned (large dynamic range). Measured 1.2e-16 of the maximum density; tolerance 1e-13 (was 1e-6), a wide margin for
    # np.roots on those coefficients with another LAPACK.
    lam = np.linspace(0.003, 5.0, 60)
    a = density(REF, lam).density
    b = density(REF, lam, method="polynomial").density
    np.testing.assert_allclose(b, a, atol=1e-13 * a.max())


def test_bad_points_raise():
    with pytest.raises(ValueError, match="upper half-plane"):
        stieltjes(REF, [1.0 - 0.1j])
    with pytest.raises(ValueError, match="finite"):
        stieltjes(REF, [np.nan])
    with pytest.raises(ValueError, match="real"):
        density(REF, [1.0 + 1j])
    with pytest.raises(ValueError, match="method"):
        stieltjes(REF, [1.0], method="magic")


def test_non_convergence_is_reported_not_silent(monkeypatch):
    # Starve Newton (2 iterations): the solver must flag the points, and raise when strict.
    import classdyn.theory.stieltjes as S  # the solver module of the centred chain

    monkeypatch.setattr(S, "NEWTON_MAXIT", 2)
    res = stieltjes(REF, [0.01, 1.0], strict=False)
    assert not res.all_converged and np.all(np.isfinite(res.q))
    with pytest.raises(NonConvergenceError, match="did not converge"):
        stieltjes(REF, [0.01, 1.0])


def test_kernel_jacobian_matches_finite_differences():
    # The Newton Jacobian of the compiled kernel (∂G_i/∂q, ∂G_i/∂r) against central
    # differences of its own residuals (G is analytic in q, r: complex step h = 1e-6 |·| has
    # truncation error ~h² ~ 1e-12 relative and rounding ~1e-10): measured ≤ 1e-9 per entry;
    # tolerance 1e-7 (the differences' accuracy, not the kernel's, sets it). A wrong
    # Jacobian still converges, slowly: nothing else would notice.
    from classdyn.theory._spectrum_kernels import residual_jacobian

    p = _model((1.0, 2.0), (0.3, 0.7), 4.0, 2.0, 0.1)
    args = (p.psi_p, p.k, np.ascontiguousarray(p.rho), np.ascontiguousarray(p.alpha2),
            np.ascontiguousarray(p.v2), p.bbar2, p.sbar2)
    for z in (0.3 + 0.05j, 2.0 + 0.5j, -0.1 + 1e-3j):
        res = stieltjes(p, [z])
        for q, r in ((res.q[0], res.r[0]), (0.7 * res.q[0] + 0.1j, 1.3 * res.r[0])):
            out = residual_jacobian(q, r, z, args[0], args[1], *args[2:])
            J = np.array([[out[2], out[3]], [out[4], out[5]]])
            num = np.empty((2, 2), complex)
            for j, (dq, dr) in enumerate(((1, 0), (0, 1))):
                h = 1e-6 * (abs(q) if dq else abs(r))
                gp = residual_jacobian(q + h * dq, r + h * dr, z, args[0], args[1], *args[2:])
                gm = residual_jacobian(q - h * dq, r - h * dr, z, args[0], args[1], *args[2:])
                num[:, j] = [(gp[0] - gm[0]) / (2 * h), (gp[1] - gm[1]) / (2 * h)]
            np.testing.assert_allclose(J, num, rtol=1e-7, atol=1e-7 * np.abs(num).max())
