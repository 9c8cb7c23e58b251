"""Which DCGAN settings buy the most quality per CPU second on MNIST? Short runs, one at a time.

    python benchmarks/dcgan_mnist_sweep.py --seconds 120 w32-b64 w64-b128 ...

Each variant is recipe ``dcgan-mnist`` with another width, batch, learning rate
(G and D), latent size or memory layout, registered next to the real recipes; every
other setting (bf16 where native, the weight average, the initialisation) is the
recipe's. Each is trained and scored exactly like ``benchmarks/mnist_gan_quality.py``
does (10,000 samples). Names of registered recipes (``dcgan-mnist``,
``seed-dcgan-mnist``) may be mixed in. This is how the settings of recipe
``dcgan-mnist`` were chosen (notebook 03).
"""

from __future__ import annotations

import dataclasses
import re

from recipe_sweep import sweep

from helpers.models import DCGANDiscriminator, DCGANGenerator
from helpers.recipes import RECIPES, Recipe, get_recipe

PATTERN = re.compile(r"w(?P<w>\d+)-b(?P<b>\d+)(?:-lr(?P<lr>[\d.e-]+))?(?:-z(?P<z>\d+))?(?P<nhwc>-nchw)?$")


def variant(name: str) -> Recipe:
    """``w32-b64[-lr4e-4][-z64][-nchw]``: width, batch, Adam lr (G and D), latent size, layout.

    Learning rate and latent size default to the recipe's.
    """
    m = PATTERN.match(name)
    if m is None:
        raise SystemExit(f"cannot read variant {name!r}; expected e.g. w32-b64-lr4e-4-z64")
    base = get_recipe("dcgan-mnist")
    width, batch, z = int(m["w"]), int(m["b"]), int(m["z"] or base.latent_dim)
    lr = float(m["lr"]) if m["lr"] else base.lr_g
    return dataclasses.replace(
        base, name=name, description=name, batch_size=batch, lr_g=lr, lr_d=lr, latent_dim=z,
        build=lambda: (DCGANGenerator(z, 1, 28, width), DCGANDiscriminator(1, 28, width)),
        channels_last=m["nhwc"] is None)


def register(name: str) -> str:
    """Register variant ``name`` unless it is already a recipe; return the name."""
    if name not in RECIPES:
        RECIPES[name] = variant(name)
    return name


if __name__ == "__main__":
    sweep(register, __doc__.splitlines()[0])
