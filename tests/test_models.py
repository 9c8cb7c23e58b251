"""Network shapes for every supported size, and the DCGAN initialisation."""

from __future__ import annotations

import pytest
import torch

from helpers import DCGANDiscriminator, DCGANGenerator, dcgan_init
from helpers.models import MLPDiscriminator, MLPGenerator


def test_mlp_shapes() -> None:
    G, D = MLPGenerator(20, (100,), batch_norm=False), MLPDiscriminator(hidden=(100,))
    x = G(torch.randn(5, 20))
    assert x.shape == (5, 1, 28, 28) and x.abs().max() <= 1
    assert D(x).shape == (5,)


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 3), (64, 3)])
def test_dcgan_family_sizes(size: int, channels: int) -> None:
    G = DCGANGenerator(latent_dim=16, channels=channels, image_size=size, width=8)
    D = DCGANDiscriminator(channels=channels, image_size=size, width=8)
    x = G(torch.randn(3, 16))
    assert x.shape == (3, channels, size, size)
    assert D(x).shape == (3,)


def test_dcgan_64_matches_the_article_layout() -> None:
    G = DCGANGenerator(latent_dim=128, channels=3, image_size=64, width=64)
    convs = [m for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in convs] == [(128, 512), (512, 256), (256, 128), (128, 64), (64, 3)]
    assert all(m.bias is None for m in convs)


def test_refine_adds_a_full_resolution_3x3_convolution() -> None:
    G = DCGANGenerator(latent_dim=16, channels=1, image_size=28, width=32, refine=8)
    *_, last_up, bn, _, conv, tanh = G.net
    assert (last_up.out_channels, last_up.stride, bn.num_features) == (8, (2, 2), 8)
    assert (conv.in_channels, conv.out_channels, conv.kernel_size) == (8, 1, (3, 3))
    assert (conv.stride, conv.padding) == ((1, 1), (1, 1))
    assert isinstance(tanh, torch.nn.Tanh)
    assert G(torch.randn(3, 16)).shape == (3, 1, 28, 28)
    plain = DCGANGenerator(latent_dim=16, channels=1, image_size=28, width=32)
    assert not any(isinstance(m, torch.nn.Conv2d) for m in plain.modules())


def test_unsupported_size_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="power of two"):
        DCGANGenerator(image_size=50)


def test_dcgan_init_statistics() -> None:
    torch.manual_seed(0)
    D = DCGANDiscriminator(channels=3, image_size=64, width=64)
    D.apply(dcgan_init)
    w = torch.cat([m.weight.flatten() for m in D.modules() if isinstance(m, torch.nn.Conv2d)])
    assert abs(w.mean()) < 1e-3 and abs(w.std() - 0.02) < 1e-3
