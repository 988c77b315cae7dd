"""classdyn.ddpm.train: checkpoints, exact resume after a kill, refusal of another configuration."""

import numpy as np
import pytest

from classdyn.ddpm.config import DiffusionConfig, TrainConfig, UNetConfig

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ddpm


def _cfg(**kw):
    base = dict(n=8, unet=UNetConfig(image_size=14, pad_to=16, widths=(8, 16), enc_blocks=1,
                                     dec_blocks=2, attn_levels=(1,), heads=2, dropout=0.1),
                diffusion=DiffusionConfig(T=25), lr=1e-3, batch_size=4, steps=12,
                n_checkpoints=4, seed=5)
    base.update(kw)
    return TrainConfig(**base)


def _images():
    return np.random.default_rng(0).standard_normal((8, 14, 14)).astype(np.float32)


class HardKill(Exception):
    """Stands for SIGKILL: nothing is saved when it is raised."""


def _weights(out, step=None):
    from classdyn.ddpm.train import checkpoint_path

    path = checkpoint_path(out, step) if step else out / "state.pt"
    return torch.load(path, weights_only=True)["model"]


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        # Bit-for-bit: counter-based seeds and the restored Adam state make the resumed run the
        # same computation on CPU; no tolerance.
        assert torch.equal(a[k], b[k]), k


def test_resume_after_hard_kill_gives_the_same_weights(tmp_path):
    from classdyn.ddpm.train import list_checkpoints, train

    cfg, x, y = _cfg(), _images(), np.zeros(8, int)
    ref = train(cfg, tmp_path / "a", x, y, progress=False)
    assert ref.finished and [s for s, _ in list_checkpoints(tmp_path / "a")] == [1, 2, 5, 12]

    def kill_at_7(step, loss):
        if step == 7:
            raise HardKill

    with pytest.raises(HardKill):
        train(cfg, tmp_path / "b", x, y, progress=False, callback=kill_at_7)
    # The last saved state is the checkpoint of step 5: steps 6-7 are redone, nothing else.
    assert torch.load(tmp_path / "b" / "state.pt", weights_only=True)["step"] == 5
    res = train(cfg, tmp_path / "b", x, y, progress=False)
    assert res.finished and res.step == 12
    _assert_same(_weights(tmp_path / "a"), _weights(tmp_path / "b"))
    _assert_same(_weights(tmp_path / "a", 12), _weights(tmp_path / "b", 12))
    # The loss log is the same, with no step counted twice.
    assert [s for s, _ in res.losses] == [s for s, _ in ref.losses]
    np.testing.assert_array_equal(res.losses, ref.losses)


def test_ctrl_c_saves_state_and_resume_continues(tmp_path):
    from classdyn.ddpm.train import train

    cfg, x, y = _cfg(), _images(), np.zeros(8, int)
    train(cfg, tmp_path / "a", x, y, progress=False)

    def interrupt_at_8(step, loss):
        if step == 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path / "b", x, y, progress=False, callback=interrupt_at_8)
    assert torch.load(tmp_path / "b" / "state.pt", weights_only=True)["step"] == 8
    train(cfg, tmp_path / "b", x, y, progress=False)
    _assert_same(_weights(tmp_path / "a"), _weights(tmp_path / "b"))


def test_other_configuration_is_refused_before_work(tmp_path):
    from classdyn.ddpm.train import train

    x, y = _images(), np.zeros(8, int)
    train(_cfg(steps=2, n_checkpoints=2), tmp_path, x, y, progress=False)
    before = (tmp_path / "state.pt").stat().st_mtime_ns
    with pytest.raises(ValueError, match=r"checkpoint: .*another configuration.*lr: 0.001 "
                                         r"\(saved\) != 0.002 \(asked\)"):
        train(_cfg(steps=2, n_checkpoints=2, lr=2e-3), tmp_path, x, y, progress=False)
    with pytest.raises(ValueError, match="trained on other images"):
        train(_cfg(steps=2, n_checkpoints=2), tmp_path, x + 1, y, progress=False)
    assert (tmp_path / "state.pt").stat().st_mtime_ns == before  # nothing was touched


def test_checkpoint_model_refuses_another_configuration(tmp_path):
    from classdyn.ddpm.train import load_checkpoint_model, train

    x, y = _images(), np.zeros(8, int)
    train(_cfg(steps=2, n_checkpoints=2), tmp_path, x, y, progress=False)
    load_checkpoint_model(tmp_path, 2, _cfg(steps=2, n_checkpoints=2))
    with pytest.raises(ValueError, match="another configuration"):
        load_checkpoint_model(tmp_path, 2, _cfg(steps=2, n_checkpoints=2, seed=6))


def test_atomic_torch_save_leaves_no_partial_file(tmp_path):
    from classdyn.ddpm.train import atomic_torch_save

    class Boom:
        def __reduce__(self):
            raise RuntimeError("boom")

    atomic_torch_save({"a": 1}, tmp_path / "x.pt")
    with pytest.raises(RuntimeError):
        atomic_torch_save({"a": Boom()}, tmp_path / "x.pt")
    assert torch.load(tmp_path / "x.pt", weights_only=True) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pt"]


class _Payload:
    """Pickles to a call that would create a file: a planted checkpoint's code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_planted_checkpoint_code_is_not_run(tmp_path):
    """Run folders are data: loading a state or checkpoint never unpickles arbitrary objects
    (torch.load(weights_only=True)), so a planted payload raises instead of running."""
    import pickle

    from classdyn.ddpm.train import load_checkpoint_model

    marker = tmp_path / "payload_ran"
    cfg = TrainConfig(n=4, unet=UNetConfig(image_size=14, pad_to=16, widths=(8,),
                                           enc_blocks=1, dec_blocks=2, attn_levels=(),
                                           heads=2), diffusion=DiffusionConfig(T=25),
                      batch_size=2, steps=2, n_checkpoints=1)
    (tmp_path / "checkpoints").mkdir()
    torch.save({"model": _Payload(marker), "identity_hash": cfg.identity_hash()},
               tmp_path / "checkpoints" / "step_000000002.pt")
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint_model(tmp_path, 2, cfg)
    assert not marker.exists()


def test_an_absurd_model_is_refused_before_anything_is_allocated(tmp_path):
    """``classdyn ddpm train --widths 100000 100000`` ended in an allocator traceback (160 GB
    for one layer); the parameter count is now taken on the meta device (equal to the count of
    the built model for a small configuration) and a run that cannot fit is refused, exit 2."""
    import subprocess
    import sys

    torch = pytest.importorskip("torch")
    from classdyn.ddpm.config import UNetConfig
    from classdyn.ddpm.train import estimate_train_memory, parameter_count
    from classdyn.ddpm.unet import UNet

    small = UNetConfig(image_size=14, pad_to=16, widths=(8, 16), enc_blocks=1, dec_blocks=2,
                       attn_levels=())
    assert parameter_count(small) == sum(p.numel() for p in UNet(small).parameters())
    assert parameter_count(small) > 0 and torch is not None
    r = subprocess.run([sys.executable, "-m", "classdyn", "ddpm", "train", "--widths", "100000",
                        "100000", "--out", str(tmp_path / "run")], capture_output=True,
                       text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "GiB are available" in r.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "run").exists()
    from classdyn.ddpm.config import TrainConfig

    assert estimate_train_memory(TrainConfig(unet=small)) > 16 * parameter_count(small)
