"""Which DCGAN settings buy the most quality per CPU second on MNIST? Short runs, one at a time.

    python benchmarks/dcgan_mnist_sweep.py --seconds 120 w32-b64 w64-b128 ...

Each variant is a temporary recipe (width, batch, learning rates, latent size,
channels_last) registered next to the real ones, trained and scored exactly like
``benchmarks/mnist_gan_quality.py`` does (10,000 samples). Names of registered
recipes (``dcgan-mnist``, ``seed-dcgan-mnist``) may be mixed in. This is how the
settings of recipe ``dcgan-mnist`` were chosen (notebook 03).
"""

from __future__ import annotations

import argparse
import json
import re

from mnist_gan_quality import train_and_score

from helpers import get_device
from helpers.models import DCGANDiscriminator, DCGANGenerator
from helpers.recipes import RECIPES, Recipe

PATTERN = re.compile(r"w(?P<w>\d+)-b(?P<b>\d+)(?:-lr(?P<lr>[\d.e-]+))?(?:-z(?P<z>\d+))?(?P<nhwc>-nchw)?$")


def variant(name: str) -> Recipe:
    """``w32-b64[-lr4e-4][-z64][-nchw]``: width, batch, Adam lr (G and D), latent size, layout."""
    m = PATTERN.match(name)
    if m is None:
        raise SystemExit(f"cannot read variant {name!r}; expected e.g. w32-b64-lr4e-4-z64")
    width, batch, z = int(m["w"]), int(m["b"]), int(m["z"] or 100)
    lr = float(m["lr"] or 2e-4)
    return Recipe(name=name, description=name, dataset="mnist",
                  build=lambda: (DCGANGenerator(z, 1, 28, width), DCGANDiscriminator(1, 28, width)),
                  latent_dim=z, noise="normal", batch_size=batch, lr_g=lr, lr_d=lr, betas=(0.5, 0.999),
                  cpu_threads=None, dcgan_init=True, channels_last=m["nhwc"] is None)


def main() -> None:
    """Register the variants, train each for the budget, print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name in args.variants:
        if name not in RECIPES:
            RECIPES[name] = variant(name)
        r = train_and_score(name, args.seconds, None, args.seed, get_device("cpu"))
        r["steps_per_s"] = round(r["steps"] / r["seconds"], 1)
        print(json.dumps({k: v for k, v in r.items() if k != "class_shares"}), flush=True)


if __name__ == "__main__":
    main()
