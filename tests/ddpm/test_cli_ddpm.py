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


def test_cpu_preset_differs_from_the_paper_path_only_in_sizes():
    """The CPU-scale Result 4 run (scripts/cpu_result4.sh) goes through `classdyn ddpm run` with
    the `cpu` preset: the same U-Net, sampler, classifier and memorisation code as the paper-size
    path. The presets may differ only in size-like fields (widths, counts, schedule length,
    learning rate and dropout scaled with them), never in which code runs."""
    from pathlib import Path

    from classdyn.ddpm.cli_ddpm import SIZES

    size_keys = {"widths", "enc_blocks", "attn_levels", "T", "n", "steps", "batch_size",
                 "checkpoints", "samples", "clf_width", "clf_epochs", "clf_images",
                 "image_size", "lr", "dropout", "first_checkpoint"}
    for name, preset in SIZES.items():
        assert set(preset) <= size_keys, (name, set(preset) - size_keys)
    script = (Path(__file__).resolve().parents[2] / "scripts" / "cpu_result4.sh").read_text()
    assert "classdyn ddpm run --size cpu" in script and "--statistic lead" in script


def test_cpu_and_paper_configs_build_the_same_network_class():
    import argparse

    torch = pytest.importorskip("torch")
    from classdyn.ddpm.cli_ddpm import _train_config
    from classdyn.ddpm.unet import UNet

    def cfg(size):
        ns = argparse.Namespace(size=size, classes=["Sneaker", "Bag"], proportion=0.5, n=None,
                                data_seed=0, widths=None, enc_blocks=None, attn_levels=None,
                                dropout=None, image_size=None, T=None, lr=None,
                                batch_size=None, steps=None, checkpoints=None,
                                first_checkpoint=None, seed=0)
        return _train_config(ns)

    cpu, paper = cfg("cpu"), cfg("paper")
    assert (cpu.unet.image_size, cpu.unet.pad_to) == (14, 16)
    assert (paper.unet.image_size, paper.unet.pad_to) == (28, 32)
    a, b = UNet(cpu.unet), UNet(paper.unet)
    # Same module types throughout (only widths and depths differ).
    assert {type(m).__name__ for m in a.modules()} <= {type(m).__name__ for m in b.modules()}
    x = torch.zeros(2, 1, 14, 14)
    assert a(x, torch.tensor([0, 5])).shape == x.shape


def test_long_runs_need_yes_on_a_terminal(monkeypatch, capsys):
    import argparse

    import classdyn.ddpm.cli_ddpm as cli
    import classdyn.ddpm.pipeline as pipeline

    monkeypatch.setattr(pipeline, "estimate_experiment_seconds",
                        lambda *a, **k: {"seconds": 7200.0, "train": 6000.0, "sample": 1000.0,
                                         "classifier": 200.0, "device": "cpu"})
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    args = argparse.Namespace(samples=None, size="cpu", batch=64, no_classifier=False,
                              device="cpu", amp=False, yes=False)
    with pytest.raises(ValueError, match="--yes.*120 min"):
        cli._confirm_cost(args, None, None, n_runs=9)
    assert "estimated 120.0 min" in capsys.readouterr().err
    args.yes = True
    cli._confirm_cost(args, None, None, n_runs=9)  # accepted with --yes


def test_run_time_estimate_from_a_warm_up(fmnist):
    from classdyn.ddpm.classifier import ClassifierConfig
    from classdyn.ddpm.config import DiffusionConfig, TrainConfig, UNetConfig
    from classdyn.ddpm.pipeline import estimate_experiment_seconds

    cfg = TrainConfig(n=8, unet=UNetConfig(image_size=14, pad_to=16, widths=(8,), enc_blocks=1,
                                           dec_blocks=2, attn_levels=(), heads=2),
                      diffusion=DiffusionConfig(T=50), batch_size=4, steps=100,
                      n_checkpoints=3, first_checkpoint=10)
    est = estimate_experiment_seconds(cfg, 2, n_samples=8, sample_batch=8,
                                      clf_cfg=ClassifierConfig(base_width=4, epochs=1,
                                                               max_images=64),
                                      warmup_steps=2)
    # The parts follow the stated formula exactly from the measured unit times.
    assert est["train"] == pytest.approx(100 * est["t_step"])
    assert est["sample"] == pytest.approx(3 * 50 * 1 * est["t_forward"])
    assert est["seconds"] == pytest.approx(2 * est["per_run"]) and est["seconds"] > 0
