"""Which learning rates and weight average suit ``wgan-gp-mnist``? Quality per generator step of variants.

    python benchmarks/wgan_sweep.py --epochs 4 lr1e-4-ema0.995 lr3e-4-ema0.995 lr1e-3-ema0.995

A variant ``lr<G and D>[-lrd<D>][-ema<decay>][-nc<n_critic>]`` is recipe ``wgan-gp-mnist`` with those
Adam learning rates, weight-average decay and critic updates per generator update (unnamed: the recipe's).
Each trains on the full MNIST training set (seed 0) for ``--epochs`` epochs of 187 generator steps, and after
every epoch the Fréchet distance of 2,000 samples of the latest generator and of the weight average is
printed, with the critic's estimate of that epoch. Quality per step does not depend on the machine, so the
runs need not be alone on the CPU; the seconds per step printed beside them do.
"""

from __future__ import annotations

import argparse
import dataclasses
import re

from helpers import EpochEnd, build, draw_samples, get_recipe, mnist_scores
from helpers.recipes import Recipe, Setup
from helpers.wgan import WGANGP

PATTERN = re.compile(r"lr(?P<lr>[\d.e-]+?)(?:-lrd(?P<lrd>[\d.e-]+?))?(?:-ema(?P<ema>[\d.]+))?(?:-nc(?P<nc>\d+))?$")


def variant(name: str) -> Recipe:
    """The recipe that variant ``name`` describes (see the module docstring)."""
    match = PATTERN.match(name)
    if match is None:
        raise SystemExit(f"{name!r} is not lr<value>[-lrd<value>][-ema<decay>][-nc<n>]")
    base = get_recipe("wgan-gp-mnist")
    lr = float(match["lr"])
    return dataclasses.replace(
        base,
        name=f"wgan-gp-mnist-{name}",
        lr_g=lr,
        lr_d=float(match["lrd"] or lr),
        ema_decay=float(match["ema"] or base.ema_decay),
        wgan_gp=WGANGP(int(match["nc"] or base.wgan_gp.n_critic), base.wgan_gp.gp_weight),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("variants", nargs="+")
    args = parser.parse_args()
    for name in args.variants:
        setup = build(variant(name), "cpu", seed=0, precision="auto")

        def score(end: EpochEnd, setup: Setup = setup, name: str = name) -> None:
            h = end.history
            estimate = h.epoch_means()[-1]["wasserstein"]
            fd = [
                mnist_scores(draw_samples(g, setup.noise, 2000, seed=1))["frechet_distance"]
                for g in (setup.G, setup.G_ema)
            ]
            print(
                f"{name:<24} epoch {end.epoch} step {h.steps:5d} {h.seconds / h.steps:.3f} s/step "
                f"estimate {estimate:7.3f}  FD latest {fd[0]:7.1f}  average {fd[1]:7.1f}",
                flush=True,
            )

        setup.fit(epochs=args.epochs, callbacks=[score], progress=False)


if __name__ == "__main__":
    main()
