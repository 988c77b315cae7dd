"""classdyn.validation.registry: verdicts of an Outcome, a check's parameters per size, one
registration per name, and the look-up of checks by name (unknown names are an error)."""

import pytest

from classdyn.validation import registry as R


def _noop(params, ctx):
    return R.Outcome(passed=True)


def _other(params, ctx):
    return R.Outcome(passed=False)


def test_outcome_status():
    assert R.Outcome(passed=True).resolved_status() == "pass"
    assert R.Outcome(passed=False).resolved_status() == "fail"
    assert R.Outcome(passed=None, status="waiting").resolved_status() == "waiting"
    with pytest.raises(ValueError, match="status must be one of"):
        R.Outcome(passed=True, status="fine").resolved_status()


def test_params_per_size_fall_back_to_small_and_are_copies():
    chk = R.Check(name="c", claim="", reference="", func=_noop, sizes={"small": {"d": 10}})
    p = chk.params("paper")  # no paper size: the small one
    assert p == {"d": 10}
    p["d"] = 99
    assert chk.params("small") == {"d": 10}
    with pytest.raises(ValueError, match="size must be one of"):
        chk.params("huge")
    assert chk.target == f"{__name__}:_noop"


def test_a_name_is_registered_once(monkeypatch):
    monkeypatch.setattr(R, "_REGISTRY", {})
    kw = dict(name="twice", claim="c", reference="r", sizes={"small": {}})
    R.check(**kw)(_noop)
    R.check(**kw)(_noop)  # the same function again (a re-import) is fine
    with pytest.raises(ValueError, match="registered twice"):
        R.check(**kw)(_other)
    assert R._REGISTRY["twice"].func is _noop


def test_get_checks_by_name_in_the_order_asked():
    reg = R.discover()
    orders = [(c.order, c.name) for c in reg.values()]
    assert orders == sorted(orders) and len(reg) >= 2
    a, b = list(reg)[:2]
    assert [c.name for c in R.get_checks([b, a])] == [b, a]
    assert [c.name for c in R.get_checks(None)] == list(reg)
    with pytest.raises(ValueError, match="unknown check.*no-such-check"):
        R.get_checks([a, "no-such-check"])
