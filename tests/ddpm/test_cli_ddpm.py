"""``classdyn ddpm …``: help, bad input (exit 2, clear message, before any work), stats, and a
tiny end-to-end run."""

import json
import subprocess
import sys

import pytest

from classdyn.cli import main

TINY = ["--widths", "8", "16", "--attn-levels", "1", "--T", "25", "--n", "8", "--steps", "2",
        "--checkpoints", "2", "--batch-size", "4", "--device", "cpu"]


def test_ddpm_group_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ddpm", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("stats", "train", "sample", "memorization", "classify", "gaps", "run"):
        assert name in out


def test_help_does_not_import_torch():
    code = ("import sys\nfrom classdyn.cli import build_parser\n"
            "build_parser().parse_args(['ddpm', 'train', '--n', '5'])\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.2"])
def test_proportion_outside_open_interval(value, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["ddpm", "train", "--proportion", value, "--out", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--proportion" in err and "(0, 1)" in err


def test_unknown_class_name(capsys, tmp_path):
    code = main(["ddpm", "train", "--classes", "Sneaker", "Boots", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown class name 'Boots'" in err and "Ankle boot" in err
    assert not any(tmp_path.iterdir())  # nothing was written


def test_missing_data_is_a_clear_error(capsys, tmp_path):
    code = main(["ddpm", "stats", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert code == 2
    assert "apt-get install dataset-fashion-mnist" in capsys.readouterr().err


def test_sample_without_run_is_a_clear_error(capsys, tmp_path):
    code = main(["ddpm", "sample", "--out", str(tmp_path)])
    assert code == 2
    assert "holds no training run" in capsys.readouterr().err


@pytest.mark.data
def test_stats_json_all_ten_classes(capsys, tmp_path, fmnist):
    code = main(["ddpm", "stats", "--json", "--out", str(tmp_path)])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["raw_variance"]) == 10 and data["lowest_variance_class"] == 7
    assert (tmp_path / "ddpm_stats.json").is_file()


@pytest.mark.data
def test_more_images_than_the_class_has(capsys, tmp_path, fmnist):
    code = main(["ddpm", "train", "--n", "20000", "--proportion", "0.5", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "10000 images of class 'Sneaker' asked for" in err and "only 6000" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.data
@pytest.mark.ddpm
def test_train_then_other_configuration_refused(capsys, tmp_path, fmnist):
    pytest.importorskip("torch")
    run = tmp_path / "run"
    assert main(["ddpm", "train", *TINY, "--json", "--out", str(run)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["finished"] and res["checkpoints"] == [1, 2]
    code = main(["ddpm", "train", *TINY, "--lr", "1e-3", "--out", str(run)])
    assert code == 2
    err = capsys.readouterr().err
    assert "another configuration" in err and "lr: 0.0002 (saved) != 0.001 (asked)" in err
