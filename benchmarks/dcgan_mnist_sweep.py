"""Which DCGAN settings buy the most quality per CPU second, or per step? Runs of recipe variants.

    python benchmarks/dcgan_mnist_sweep.py --seconds 600 g64r16-d32-b64 g64-d64-b64-lr4e-4 ...
    python benchmarks/dcgan_mnist_sweep.py --epochs 10 --each-epoch --device cuda g64r16-d32-b64

A variant ``g64r16-d32-b64[-lr2e-3][-lrd1e-3][-z64][-nchw]`` is recipe ``dcgan-mnist`` with
generator width 64, a 3x3 ``refine`` convolution with 16 channels at 28x28 (``g64`` alone:
none, the classic layout), discriminator width 32, batch 64, Adam learning rate for G and D
(``-lr``) and for D alone (``-lrd``), latent size, memory layout. Unnamed settings, and every
other one (bf16 where native, the weight average, the initialisation), are the recipe's.
Each is trained and scored like ``benchmarks/mnist_gan_quality.py`` does (10,000 samples);
names of registered recipes (``dcgan-mnist``, ``article-dcgan-mnist``) may be mixed in.

With ``--seconds`` the runs are timed, so run them one after the other on an idle CPU.
``--epochs N --each-epoch`` scores after every epoch instead (quality per step, not per
second; the scoring is not timed): on a GPU, several such processes side by side chose the
settings of ``dcgan-mnist``, and CPU steps per second turned them into a per-second ranking
that the timed 600-s runs then confirmed (notebook 03, section 11).
"""

from __future__ import annotations

import dataclasses
import re

from recipe_sweep import sweep

from helpers import Recipe, get_recipe
from helpers.models import DCGANDiscriminator, DCGANGenerator
from helpers.recipes import RECIPES

NUMBER = r"[\d.]+(?:e-?\d+)?"
PATTERN = re.compile(
    rf"g(?P<g>\d+)(?:r(?P<r>\d+))?-d(?P<d>\d+)-b(?P<b>\d+)(?:-lr(?P<lr>{NUMBER}))?"
    rf"(?:-lrd(?P<lrd>{NUMBER}))?(?:-z(?P<z>\d+))?(?P<nchw>-nchw)?$"
)


def variant(name: str) -> Recipe:
    """The recipe that variant ``name`` describes (see the module docstring)."""
    m = PATTERN.match(name)
    if m is None:
        raise SystemExit(f"cannot read variant {name!r}; expected e.g. g64r16-d32-b64-lr2e-3-lrd1e-3-z64")
    base = get_recipe("dcgan-mnist")
    g, refine, d, z = int(m["g"]), int(m["r"] or 0), int(m["d"]), int(m["z"] or base.latent_dim)
    lr_g = float(m["lr"]) if m["lr"] else base.lr_g
    lr_d = float(m["lrd"]) if m["lrd"] else float(m["lr"]) if m["lr"] else base.lr_d
    return dataclasses.replace(
        base,
        name=name,
        description=name,
        batch_size=int(m["b"]),
        lr_g=lr_g,
        lr_d=lr_d,
        latent_dim=z,
        make_networks=lambda z: (DCGANGenerator(z, 1, 28, g, refine=refine), DCGANDiscriminator(1, 28, d)),
        channels_last=m["nchw"] is None,
    )


def resolve(name: str) -> Recipe:
    """The recipe ``name`` when it is one, else the variant it describes."""
    return RECIPES[name] if name in RECIPES else variant(name)


if __name__ == "__main__":
    sweep(resolve, __doc__.splitlines()[0])
