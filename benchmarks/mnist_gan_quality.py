"""Sample quality per CPU second: train MNIST recipes for the same time budget, score each.

    python benchmarks/mnist_gan_quality.py --seconds 300 vanilla-gan-mnist article-gan-mnist

Each recipe trains in this process, one after the other (never two at once on a
shared CPU), then draws 10,000 samples scored by ``helpers.scores.mnist``. Prints one
JSON line per recipe and the Fréchet-distance ratio of the others to the first.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from helpers import EpochEnd, Recipe, build, draw_samples, get_device, mnist_scores


def train_and_score(
    recipe: str | Recipe,
    seconds: float | None,
    epochs: int | None,
    seed: int,
    device: torch.device,
    n_samples: int = 10000,
    *,
    each_epoch: bool = False,
) -> dict:
    """Train ``recipe`` (a name or a :class:`helpers.Recipe`) for the budget; its scores, steps, epochs, seconds.

    ``each_epoch=True`` also scores after every epoch (``per_epoch``: epoch, steps, Fréchet
    distance), for step-budgeted runs only: the scoring would count against a time budget.
    """
    if each_epoch and seconds is not None:
        raise ValueError("each_epoch=True needs an epoch budget, not seconds: scoring would eat into the time")
    setup = build(recipe, device, seed=seed, precision="auto")
    curve: list[dict] = []

    def score() -> dict:
        return mnist_scores(
            draw_samples(setup.G if setup.G_ema is None else setup.G_ema, setup.noise, n_samples, seed=seed + 1)
        )

    def score_epoch(end: EpochEnd) -> None:
        curve.append(
            {"epoch": end.epoch, "steps": end.history.steps, "frechet_distance": round(score()["frechet_distance"], 1)}
        )

    start = time.perf_counter()
    history = setup.fit(
        epochs=epochs, max_seconds=seconds, progress=False, callbacks=[score_epoch] if each_epoch else []
    )
    wall = time.perf_counter() - start
    scores = score()
    return {
        "recipe": setup.recipe.name,
        "seconds": round(wall, 1),
        "steps": history.steps,
        "epochs": round(history.steps / len(setup.data), 2),
        "threads": torch.get_num_threads(),
        **scores,
        **({"per_epoch": curve} if each_epoch else {}),
    }


def main() -> None:
    """Parse arguments, run each recipe, print JSON lines and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipes", nargs="+")
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument("--seconds", type=float)
    budget.add_argument("--epochs", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    results = [
        train_and_score(name, args.seconds, args.epochs, args.seed, get_device(args.device)) for name in args.recipes
    ]
    for r in results:
        print(json.dumps(r))
    for r in results[1:]:
        ratio = r["frechet_distance"] / results[0]["frechet_distance"]
        print(f"{r['recipe']}: Fréchet distance {ratio:.1f}x that of {results[0]['recipe']}")


if __name__ == "__main__":
    main()
