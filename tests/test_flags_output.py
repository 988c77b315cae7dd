"""``--out`` that cannot be used is refused at parse time, before any work, on every
subcommand: exit 2, one line naming the path and the reason, no traceback (issue 18)."""

import os
import subprocess

import pytest

from classdyn.cli import build_parser, main


def _leaf_paths(parser, prefix=()):
    import argparse

    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                leaves = _leaf_paths(sub, prefix + (name,))
                out.extend(leaves or [prefix + (name,)])
    return out


LEAVES = _leaf_paths(build_parser())


@pytest.mark.parametrize("path", LEAVES, ids=[" ".join(p) for p in LEAVES])
def test_an_existing_file_as_out_is_refused_on_every_subcommand(path, tmp_path, capsys):
    f = tmp_path / "a_file"
    f.write_text("keep me")
    with pytest.raises(SystemExit) as exc:
        main([*path, "--out", str(f)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err  # one line: no usage block (issue 18)
    assert f"argument --out: {f}: exists and is not a folder" in err[0], err[0]
    assert not any("Traceback" in line for line in err)
    assert f.read_text() == "keep me"


@pytest.mark.parametrize("out,reason", [
    ("/dev/null", "is under /dev, a virtual file system"),
    ("/proc/classdyn", "is under /proc, a virtual file system"),
    ("", "expected a folder path, got an empty string"),
])
def test_unusable_out_paths_are_named_with_their_reason(out, reason, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["spectrum", "--out", out])
    assert exc.value.code == 2
    assert reason in capsys.readouterr().err


def test_out_below_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(SystemExit):
        main(["coefficients", "--out", str(f / "sub")])
    assert f"{f} is not a folder, so the output folder cannot be made" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_read_only_and_full_file_systems_are_refused(tmp_path, capsys):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    for opts, reason in (("size=64m,ro", "is not writable"), ("size=1m", "MiB free")):
        if subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mnt)]).returncode:
            pytest.skip("mount not permitted here")
        try:
            with pytest.raises(SystemExit) as exc:
                main(["spectrum", "--out", str(mnt / "x")])
            assert exc.value.code == 2
            assert reason in capsys.readouterr().err
        finally:
            subprocess.run(["umount", str(mnt)])


def test_a_usable_out_is_accepted_and_not_made_at_parse_time(tmp_path):
    out = tmp_path / "new" / "deeper"
    args = build_parser().parse_args(["coefficients", "--out", str(out)])
    assert args.out == out and not out.exists()
    assert build_parser().parse_args(["coefficients"]).out.name == "results"
