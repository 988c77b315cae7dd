"""The one rule that names the bulks of both kinds of model (classdyn.theory.bulks,
THEORY.md §5): roles counted from the right by mass, for centred classes
(classdyn.theory.timescales) and extensive centroids (classdyn.theory.extensive).
"""

from __future__ import annotations

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.bulks import assign_roles


def _edges(intervals, masses):
    return ex.ExtensiveEdges(intervals=np.asarray(intervals, float).reshape(-1, 2),
                             masses=np.asarray(masses, float),
                             methods=[["fold", "fold"]] * len(masses),
                             grid_spacing=np.zeros((len(masses), 2)), density=None)


def test_extensive_bulks_are_named_by_mass_like_centred_ones():
    """One naming rule for both kinds (classdyn.theory.bulks.assign_roles): at ψ_p = 4, ψ_n = 2
    the top 1/4 of the mass is the generalisation bulk, the next 1/4 memorisation, the next
    1/4 final, the rest the s̄²(m) band. Masses matched to EXTENSIVE_MASS_MATCH_TOL = 1e-3
    (measured errors 2e-6..2e-5), so a 0.2499 bulk counts and a 0.24 one does not."""
    ts = ex.extensive_timescales(_edges([[0.01, 0.02], [0.03, 0.1], [0.2, 0.3], [0.5, 2.0]],
                                        [0.2501, 0.25, 0.25, 0.2499]), 4.0, 2.0)
    assert ts.roles == ["band", "fin", "mem", "gen"]
    assert (ts.lam_gen, ts.lam_mem, ts.lam_fin) == (0.5, 0.3, 0.03)
    assert ts.tau_gen == 2.0 and ts.W_gen == pytest.approx(0.5 / 0.3, rel=1e-15)
    # final bulk merged with the band: lambda_fin is that bulk's lower edge
    ts = ex.extensive_timescales(_edges([[0.01, 0.1], [0.2, 0.3], [0.5, 2.0]],
                                        [0.5, 0.25, 0.25]), 4.0, 2.0)
    assert ts.roles == ["band+fin", "mem", "gen"] and ts.lam_fin == 0.01
    # a top bulk of mass 0.24: no generalisation/memorisation gap to name
    ts = ex.extensive_timescales(_edges([[0.01, 0.1], [0.2, 0.3], [0.5, 2.0]],
                                        [0.51, 0.25, 0.24]), 4.0, 2.0)
    assert ts.lam_gen is None and ts.lam_mem is None and ts.lam_fin == 0.01


def test_roles_by_weight():
    from classdyn.theory.spectrum import Bulk

    bulks = [Bulk(0, 1, 0.25), Bulk(2, 3, 0.1), Bulk(4, 5, 0.15), Bulk(6, 7, 0.25)]
    roles, i_gen, i_mem, i_fin, gs, ms = assign_roles(bulks, 4.0, 2.0)
    assert roles == ["fin", "mem", "mem", "gen"] and (i_gen, i_mem) == (3, 2) and gs and ms


def test_roles_need_the_weights_to_match():
    # A gap counts as the generalisation/memorisation boundary only where the cumulative weight
    # from the right equals 1/ψ_p (to MASS_MATCH_TOL = 1e-6, the bulk masses being integrated
    # to ~1e-10). Here (ψ_p = 4, ψ_n = 2: 1/ψ_p = 0.25, ψ_n/ψ_p = 0.5) the rightmost bulk holds
    # 0.255: a gap inside the memorisation part, not the boundary, so λ_gen/λ_mem do not exist.
    from classdyn.theory.spectrum import Bulk

    bulks = [Bulk(0, 1, 0.25), Bulk(2, 3, 0.245), Bulk(4, 5, 0.255)]
    roles, i_gen, i_mem, i_fin, gs, ms = assign_roles(bulks, 4.0, 2.0)
    assert not gs and i_gen is None and ms
    assert roles == ["fin", "mem", "mem+gen"]
    # and with the weights matching to 1e-9 the boundary is recognised
    bulks = [Bulk(0, 1, 0.25), Bulk(2, 3, 0.25 + 1e-9), Bulk(4, 5, 0.25 - 1e-9)]
    roles, i_gen, i_mem, i_fin, gs, ms = assign_roles(bulks, 4.0, 2.0)
    assert gs and ms and (i_gen, i_mem, i_fin) == (2, 1, 0) and roles == ["fin", "mem", "gen"]
