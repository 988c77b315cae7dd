"""classdyn.ddpm.config (torch-free): invalid U-Net configurations are refused naming the
parameter, and the checkpoint steps are log-spaced."""

import numpy as np
import pytest

from classdyn.ddpm.config import UNetConfig, checkpoint_steps


@pytest.mark.parametrize("kw,match", [
    (dict(widths=(64, 128, 256, 256), pad_to=28), "pad_to"),
    (dict(enc_blocks=2, dec_blocks=2), "dec_blocks"),
    (dict(heads=3), "heads"),
    (dict(attn_levels=(5,)), "attn_levels"),
    (dict(dropout=1.0), "dropout"),
])
def test_bad_unet_configs(kw, match):
    with pytest.raises(ValueError, match=match):
        UNetConfig(**kw)


def test_checkpoint_steps_log_spaced():
    s = checkpoint_steps(100_000, 32)
    assert len(s) == 32 and s[0] == 1 and s[-1] == 100_000
    assert s == sorted(set(s))  # distinct, increasing
    r = np.diff(np.log(s))
    # Equal log spacing for the large steps, up to integer rounding (relative 1e-2 on the
    # log-increment once steps exceed ~100).
    assert np.allclose(r[15:], r[-1], rtol=1e-2)
    assert checkpoint_steps(12, 32) == list(range(1, 13))  # fewer steps than checkpoints
    assert checkpoint_steps(600, 6, first=20) == [20, 39, 78, 154, 304, 600]
