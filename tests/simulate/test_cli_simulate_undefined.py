"""``classdyn simulate`` never exits 0 with NaN in its result (issue 18): an undefined entry is
null with its reason, an infinite one is a stated limit, a quantity that cannot exist is refused
in one line (exit 2) before any work, and a run that could not finish is refused up front."""

import json
import math

from classdyn.cli import main

SMALL = ["--d", "20", "--kind", "gep"]


def _walk(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, f"{path}/{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, obj


def _run(argv, capsys):
    code = main([*argv, "--json"])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_losses_at_large_t_has_no_nan_and_marks_the_undefined_gap(tmp_path, capsys):
    """t = 50: the data signal e^{-2t} ~ 1e-44 is gone, no class returns to the threshold on
    the tau grid, so both tau_mem are inf (the limit, mem_reached false) and their gap,
    log10(inf) - log10(inf), was NaN in the JSON with exit 0. It is now null with a reason."""
    code, out, _ = _run(["simulate", "losses", *SMALL, "--num-tau", "20", "--t", "50",
                         "--out", str(tmp_path)], capsys)
    assert code == 0
    data = json.loads(out)
    nan = [p for p, v in _walk(data) if v == "nan" or (isinstance(v, float) and math.isnan(v))]
    assert not nan, nan
    times = data["times"]
    assert times["mem_reached"] == [False, False] and times["tau_mem"] == ["inf", "inf"]
    assert times["gaps"]["mem"]["0-1"] is None
    assert "undefined" in times["gaps"]["undefined"]["mem 0-1"]
    assert all(math.isfinite(x) for x in times["tau_gen"])


def test_speciation_with_a_centred_class_marks_it_never(tmp_path, capsys):
    """norms2 = (0, 1): class 0 has no outlier, so it never separates. Its speciation times are
    -inf (the limit of 1/2 log(rho |mu|^2 d) as |mu| -> 0) with the reason in "never", and its
    slope against log d is null (a slope of -inf is no slope), not NaN; class 1 is measured."""
    code, out, _ = _run(["simulate", "speciation", "--ds", "20", "30", "--num-t", "3",
                         "--repeats", "1", "--kind", "gep", "--norms2", "0", "1",
                         "--out", str(tmp_path)], capsys)
    assert code == 0
    data = json.loads(out)
    assert "centred class" in data["never"]["0"] and "1" not in data["never"]
    assert data["t_s_overlap"][0] == ["-inf", "-inf"]
    assert data["t_s_leading_theory"][0] == ["-inf", "-inf"]
    assert data["slope_overlap"][0] is None and data["slope_outlier"][0] is None
    assert all(isinstance(x, float) for x in data["t_s_overlap"][1])
    assert isinstance(data["slope_overlap"][1], float)


def test_speciation_with_every_class_centred_is_refused(tmp_path, capsys):
    code, out, err = _run(["simulate", "speciation", "--ds", "20", "--norms2", "0", "0",
                           "--out", str(tmp_path)], capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and out == ""
    assert len(lines) == 1 and "--norms2" in lines[0] and "no class speciates" in lines[0]
    assert not (tmp_path / "simulate").exists()


def test_train_that_could_not_finish_is_refused_with_the_bound(tmp_path, capsys):
    """--tau-max 1e12 asked for ~1e13 gradient steps and hung; refused with the largest
    --tau-max that stays within MAX_GD_STEPS steps."""
    from classdyn.simulate.cli_simulate import MAX_GD_STEPS

    code, _, err = _run(["simulate", "train", "--d", "20", "--seeds", "1", "--tau-max", "1e12",
                         "--out", str(tmp_path)], capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1
    assert "--tau-max 1e+12" in lines[0] and f"{MAX_GD_STEPS:.0e} allowed" in lines[0]
    bound = float(lines[0].split("--tau-max <= ")[1].split(",")[0])
    # the stated bound is accepted: MAX_GD_STEPS steps of step_frac / lambda_max
    assert 1e3 < bound < 1e12


def test_a_resumed_run_says_how_many_units_it_resumed(tmp_path, capsys):
    """Issue 18: a reused result is marked "cached" where it is shown. The second identical
    run loads its one unit (the features) from disk and its summary says so; the first says
    nothing of the kind."""
    argv = ["simulate", "losses", *SMALL, "--num-tau", "10", "--out", str(tmp_path)]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert "resumed from an earlier run" not in first and ": cached)" not in first
    assert main(argv) == 0
    second = capsys.readouterr().out
    assert "(1 of 1 unit(s) resumed from an earlier run: cached)" in second
