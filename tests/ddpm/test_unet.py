"""classdyn.ddpm.unet: shapes, and the parameter count against an independent count from THEORY.md
§9's description (the schedule and sampler are in test_diffusion.py, the configurations in
test_config.py)."""

import pytest

from classdyn.ddpm.config import UNetConfig

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ddpm


def _expected_parameters(cfg: UNetConfig) -> int:
    """Independent count of the U-Net's parameters from THEORY.md §9's description."""
    conv = lambda a, b, k: a * b * k * k + b  # noqa: E731
    lin = lambda a, b: a * b + b  # noqa: E731
    gn = lambda c: 2 * c  # noqa: E731
    w = cfg.widths
    emb = 4 * w[0]

    def res(a, b):
        return gn(a) + conv(a, b, 3) + lin(emb, b) + gn(b) + conv(b, b, 3) + \
            (conv(a, b, 1) if a != b else 0)

    def attn(c):
        return gn(c) + conv(c, 3 * c, 1) + conv(c, c, 1)

    total = lin(w[0], emb) + lin(emb, emb) + conv(cfg.in_channels, w[0], 3)
    skips, ch = [w[0]], w[0]
    for lvl, c in enumerate(w):
        for _ in range(cfg.enc_blocks):
            total += res(ch, c) + (attn(c) if lvl in cfg.attn_levels else 0)
            ch = c
            skips.append(ch)
        if lvl < len(w) - 1:
            total += conv(ch, ch, 3)
            skips.append(ch)
    total += 2 * res(ch, ch) + attn(ch)
    for lvl in reversed(range(len(w))):
        for _ in range(cfg.dec_blocks):
            total += res(ch + skips.pop(), w[lvl]) + (attn(w[lvl]) if lvl in cfg.attn_levels
                                                      else 0)
            ch = w[lvl]
        if lvl > 0:
            total += conv(ch, ch, 3)
    total += gn(ch) + conv(ch, cfg.in_channels, 3)
    assert not skips
    return total


def test_paper_unet_shape_and_parameter_count():
    from classdyn.ddpm.unet import UNet, count_parameters

    cfg = UNetConfig()  # the paper's: widths 64 128 256 256, 2/3 blocks, attention at 1, 2
    assert cfg.widths == (64, 128, 256, 256) and cfg.pad_to == 32
    model = UNet(cfg)
    n = count_parameters(model)
    # Exact integer equality: the count is combinatorial, no tolerance needed.
    assert n == _expected_parameters(cfg) == 25_634_177
    with torch.no_grad():
        out = model(torch.randn(2, 1, 28, 28), torch.tensor([0, 999]))
    assert out.shape == (2, 1, 28, 28)
    # Attention sits at the 16x16 and 8x8 resolutions (levels 1, 2) and in the bottleneck.
    n_attn = sum(type(m).__name__ == "AttnBlock" for m in model.modules())
    assert n_attn == 2 * cfg.enc_blocks + 2 * cfg.dec_blocks + 1


@pytest.mark.parametrize("cfg", [UNetConfig.tiny(),
                                 UNetConfig(image_size=14, pad_to=16, widths=(8, 16),
                                            enc_blocks=1, dec_blocks=2, attn_levels=(1,),
                                            heads=2)])
def test_tiny_unet_shapes_and_count(cfg):
    from classdyn.ddpm.unet import UNet, count_parameters

    model = UNet(cfg)
    assert count_parameters(model) == _expected_parameters(cfg)
    x = torch.randn(3, 1, cfg.image_size, cfg.image_size)
    assert model(x, torch.tensor([1, 2, 3])).shape == x.shape
