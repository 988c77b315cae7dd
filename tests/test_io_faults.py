"""Fault tests of the atomic writes (classdyn/io.py) and the CLI around them: a writer killed
mid-write leaves the previous file intact and its temp file is cleaned up by the next write; two
identical commands racing on one --out leave one valid result; a full file system gives a clean
error and no partial or temp file."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from classdyn.io import atomic_write_json

WRITER = """
import sys
from classdyn.io import atomic_write_json
path, big = sys.argv[1], int(sys.argv[2])
i = 0
while True:
    atomic_write_json(path, {"i": i, "payload": "x" * big})
    i += 1
"""


def test_sigkill_during_writes_leaves_a_valid_file_and_no_temp(tmp_path):
    path = tmp_path / "result.json"
    atomic_write_json(path, {"i": -1, "payload": ""})
    for delay in (0.3, 0.5, 0.8):
        p = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(5_000_000)])
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        data = json.loads(path.read_text())  # never a torn file
        assert data["i"] >= -1
    # a temp file of a writer known to be dead, and one of a live process (pid 1)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / f".result.json.{dead}.abc.tmp").write_text("{")
    (tmp_path / ".result.json.1.abc.tmp").write_text("{")
    atomic_write_json(path, {"i": "final"})  # the next write clears the killed writers' temps
    assert json.loads(path.read_text()) == {"i": "final"}
    assert [p.name for p in tmp_path.glob(".result.json.*.tmp")] == [".result.json.1.abc.tmp"]


def test_two_identical_commands_racing_on_one_out(tmp_path):
    cmd = [sys.executable, "-m", "classdyn", "coefficients", "--activation", "erf",
           "--variances", "1", "2", "--out", str(tmp_path)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    data = json.loads((tmp_path / "coefficients.json").read_text())
    subprocess.run(cmd, check=True, capture_output=True)
    assert json.loads((tmp_path / "coefficients.json").read_text()) == data
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_full_file_system_gives_a_clean_error_and_no_partial_file(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)]).returncode:
        pytest.skip("mount not permitted here")
    try:
        path = mnt / "result.json"
        atomic_write_json(path, {"old": True})
        with pytest.raises(OSError) as exc:
            atomic_write_json(path, {"payload": "x" * 4_000_000})
        assert exc.value.errno == 28  # ENOSPC
        assert json.loads(path.read_text()) == {"old": True}
        assert sorted(p.name for p in mnt.iterdir()) == ["result.json"]
    finally:
        subprocess.run(["umount", str(mnt)])


def test_the_cli_reports_a_failed_write_in_one_line(tmp_path, capsys, monkeypatch):
    import classdyn.io

    def full(path, obj):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(classdyn.io, "atomic_write_json", full)
    from classdyn.cli import main

    assert main(["coefficients", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "intact" in err[0]
