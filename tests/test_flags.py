"""The shared flag vocabulary (classdyn.flags): every type validator at its boundaries, and the
flag groups wired to the validator their help text promises."""

import argparse
from pathlib import Path

import pytest

from classdyn import flags

ATE = argparse.ArgumentTypeError
NON_FINITE = ["nan", "inf", "-inf", "NaN", "Infinity"]

# (validator, accepted texts with the value they must return, rejected texts). Boundaries come
# from each validator's docstring and the range its flags' help text states (DESIGN.md: "one
# flag vocabulary"): the bound itself where allowed, the nearest float/int just outside.
TINY = "5e-324"  # the smallest positive double
CASES = {
    "positive_float": (flags.positive_float,
                       [(TINY, 5e-324), ("1", 1.0), ("1e308", 1e308), ("2.5", 2.5)],
                       ["0", "-0.0", "-" + TINY, "-1"]),
    "nonnegative_float": (flags.nonnegative_float,
                          [("0", 0.0), ("-0.0", 0.0), (TINY, 5e-324), ("3", 3.0)],
                          ["-" + TINY, "-1e-12", "-1"]),
    "unit_interval_open": (flags.unit_interval_open,
                           [(TINY, 5e-324), ("0.5", 0.5), ("0.9999999999999999",
                                                           0.9999999999999999)],
                           ["0", "1", "-0.5", "1.0000000000000002", "2"]),
    "cosine": (flags.cosine,
               [("-1", -1.0), ("1", 1.0), ("0", 0.0), ("-0.3", -0.3)],
               ["-1.0000000000000002", "1.0000000000000002", "2", "-2"]),
    "positive_int": (flags.positive_int,
                     [("1", 1), ("7", 7), ("1000000", 1000000)],
                     ["0", "-1", "1.5", "1e3", "one"]),
    "nonnegative_int": (flags.nonnegative_int,
                        [("0", 0), ("1", 1), ("123", 123)],
                        ["-1", "-100", "0.5", "x"]),
    "dps_int": (flags.dps_int,
                [("15", 15), ("16", 16), ("999", 999), ("1000", 1000)],
                ["14", "1001", "0", "-20", "30.5"]),
}
FLOAT_VALIDATORS = [k for k in CASES if not k.endswith("_int")]


@pytest.mark.parametrize("name", list(CASES))
def test_validator_accepts_its_bounds(name):
    fn, good, _ = CASES[name]
    for text, value in good:
        out = fn(text)
        # exact: parsing a decimal literal is deterministic (no tolerance needed)
        assert out == value and type(out) is type(value), (name, text, out)


@pytest.mark.parametrize("name", list(CASES))
def test_validator_rejects_just_outside_and_names_the_value(name):
    fn, _, bad = CASES[name]
    for text in bad:
        with pytest.raises(ATE) as exc:
            fn(text)
        # the message quotes what the user typed
        assert text in str(exc.value), (name, text, str(exc.value))


@pytest.mark.parametrize("name", FLOAT_VALIDATORS)
def test_float_validators_reject_non_finite(name):
    fn = CASES[name][0]
    for text in NON_FINITE:
        with pytest.raises(ATE, match="finite") as exc:
            fn(text)
        assert text in str(exc.value)


def test_messages_state_the_allowed_range():
    # the range in the message is the one the docstrings promise (so the user can fix the value)
    for fn, text, rng in [(flags.positive_float, "0", "> 0"),
                          (flags.nonnegative_float, "-1", ">= 0"),
                          (flags.unit_interval_open, "1", "(0, 1)"),
                          (flags.cosine, "2", "[-1, 1]"),
                          (flags.positive_int, "0", ">= 1"),
                          (flags.nonnegative_int, "-1", ">= 0"),
                          (flags.dps_int, "14", "[15, 1000]")]:
        with pytest.raises(ATE) as exc:
            fn(text)
        assert rng in str(exc.value), (fn.__name__, str(exc.value))


def test_non_numbers_are_named():
    for fn in (flags.positive_float, flags.nonnegative_float, flags.unit_interval_open,
               flags.cosine):
        with pytest.raises(ATE, match="expected a number, got 'abc'"):
            fn("abc")
    for fn in (flags.positive_int, flags.nonnegative_int, flags.dps_int):
        with pytest.raises(ATE, match="expected an integer, got '2.0'"):
            fn("2.0")


# ---------------------------------------------------------------- flag groups, through argparse
def _parser():
    p = argparse.ArgumentParser(prog="x")
    flags.add_mixture(p)
    flags.add_random_features(p)
    flags.add_time(p)
    flags.add_size(p)
    flags.add_seed(p)
    flags.add_dps(p)
    flags.add_output(p)
    return p


def _parse_error(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


# Each flag with its documented range (help text): a value on the bound that must be accepted
# and one just outside that must be refused, with the flag named in the error.
FLAG_BOUNDS = [
    ("--variances", ["1e-300"], ["0"]),
    ("--variances", ["1", "2"], ["1", "-0.5"]),
    ("--weights", ["1e-300", "1"], ["0", "1"]),
    ("--norms2", ["0", "0"], ["-0.000001", "0"]),  # argparse reads "-1e-6" as an option
    ("--overlaps", ["-1"], ["-1.0000000000000002"]),
    ("--overlaps", ["1"], ["1.0000000000000002"]),
    ("--psi-p", ["1e-300"], ["0"]),
    ("--psi-n", ["1e-300"], ["-1"]),
    ("--t", ["1e-300"], ["0"]),
    ("--d", ["1"], ["0"]),
    ("--seed", ["0"], ["-1"]),
    ("--dps", ["15"], ["14"]),
    ("--dps", ["1000"], ["1001"]),
    ("--activation", ["linear"], ["sigmoid"]),
]


@pytest.mark.parametrize("flag, good, bad", FLAG_BOUNDS, ids=lambda v: str(v))
def test_each_flag_has_the_documented_range(flag, good, bad, capsys):
    ns = _parser().parse_args([flag, *good])
    assert getattr(ns, flag[2:].replace("-", "_")) is not None
    err = _parse_error([flag, *bad], capsys)
    assert flag in err


def test_group_defaults_and_multiplicity():
    ns = _parser().parse_args([])
    # defaults the help texts document: equal weights / all-zero norms / orthogonal overlaps
    # are signalled by None (resolved by classdyn.theory.params.Mixture), --out is results/ (DESIGN.md)
    assert ns.weights is None and ns.norms2 is None and ns.overlaps is None
    assert ns.out == Path("results") and ns.json is False
    ns = _parser().parse_args(["--variances", "1", "2", "3", "--t", "0.5", "--json"])
    assert ns.variances == [1.0, 2.0, 3.0] and ns.t == 0.5 and ns.json is True
    p = argparse.ArgumentParser()
    flags.add_time(p, default=0.2, multiple=True)
    assert p.parse_args([]).t == [0.2]
    assert p.parse_args(["--t", "0.1", "1"]).t == [0.1, 1.0]
    p = argparse.ArgumentParser()
    flags.add_mixture(p, with_centroids=False)
    with pytest.raises(SystemExit):
        p.parse_args(["--norms2", "1"])


def test_one_default_for_the_shared_model_flags_on_every_command():
    """``--psi-p``/``--psi-n`` default to the same values on theory and simulate commands (they
    were 4/2 on theory and 2/1 on simulate, so ``classdyn times --psi-n 1`` then failed), and
    the defaults satisfy the bulk counting (psi_n > 1, psi_p >= 1 + psi_n)."""
    from classdyn.cli import build_parser
    from tests.test_flags_output import LEAVES

    seen = {}
    for path in LEAVES:
        try:
            args = build_parser().parse_args([*path])
        except SystemExit:  # a command with other required arguments
            continue
        if hasattr(args, "psi_p"):
            seen[" ".join(path)] = (args.psi_p, args.psi_n)
    assert {"spectrum", "times", "speciation", "simulate losses", "simulate speciation"} <= set(seen)
    assert set(seen.values()) == {(flags.DEFAULT_PSI_P, flags.DEFAULT_PSI_N)}, seen
    assert flags.DEFAULT_PSI_N > 1 and flags.DEFAULT_PSI_P >= 1 + flags.DEFAULT_PSI_N
