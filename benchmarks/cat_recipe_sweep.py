"""Search for the series' cat-face recipe by training steps: quality per step, then seconds per step.

    python benchmarks/cat_recipe_sweep.py --steps 1500 --every 500 --out runs/cat_sweep           # all variants
    python benchmarks/cat_recipe_sweep.py --steps 1500 --every 500 --out runs/cat_sweep lr-5e-4   # some of them
    python benchmarks/cat_recipe_sweep.py --rates --out runs/cat_sweep                             # step times, alone

Each variant is a ``dataclasses.replace`` of ``BASE`` (the untuned variant of the article's recipe: widths 32,
batch 64, a 0.999 weight average). Quality per *step* does not depend on the machine, so the search can run
beside other work; the seconds per step (printed, training only) are valid when the variant ran alone, and
convert steps into CPU time. Every ``--every`` steps the averaged generator (``setup.G_ema``) draws
``--samples`` images from the same seeded noise; they are scored by ``helpers.cat_scores`` and by the patch
distance to as many held-out real faces (``helpers.sliced_wasserstein``), and kept as uint8 in
``OUT/VARIANT/step{k}-ema{decay}.npy`` (``OUT/VARIANT-seed{s}/`` for ``--seed s`` other than 0; git-ignored
``runs/``). ``--ema 0.9995 0.9998`` keeps more weight averages of the same run beside the recipe's own and scores
each (a copy of G each, so one run compares decays). One JSON line per score, also appended to
``OUT/results.jsonl``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch

from helpers import build, cat_scores, draw_samples, load_cat_faces, sliced_wasserstein
from helpers.models import DCGANDiscriminator, DCGANGenerator
from helpers.recipes import RECIPES
from helpers.sampling import generator_ema, recalibrate_batch_norm
from helpers.scores.cats import held_out_split


def _nets(g_width: int, d_width: int, refine: int = 0):
    return lambda z: (
        DCGANGenerator(latent_dim=z, channels=3, image_size=64, width=g_width, refine=refine),
        DCGANDiscriminator(channels=3, image_size=64, width=d_width),
    )


BASE = dataclasses.replace(
    RECIPES["article-dcgan-cats"], name="sweep", make_networks=_nets(32, 32), batch_size=64, ema_decay=0.999
)

#: Each variant's changes to ``BASE``.
VARIANTS: dict[str, dict] = {
    "base": {},
    "lr-5e-4": {"lr_g": 5e-4, "lr_d": 5e-4},
    "ttur-g1e-3-d5e-4": {"lr_g": 1e-3, "lr_d": 5e-4},
    "ttur-g2e-4-d4e-4": {"lr_g": 2e-4, "lr_d": 4e-4},
    "batch-32": {"batch_size": 32},
    "refine-16": {"make_networks": _nets(32, 32, refine=16)},
    "d-width-16": {"make_networks": _nets(32, 16)},
    "width-24": {"make_networks": _nets(24, 24)},
    "ema-0.9995": {"ema_decay": 0.9995},
    "ema-0.998": {"ema_decay": 0.998},
    # round 2, on the winner of round 1 (faster learning rates, D at half G's)
    "ttur-g2e-3-d1e-3": {"lr_g": 2e-3, "lr_d": 1e-3},
    "ttur-g1e-3-d5e-4-batch-32": {"lr_g": 1e-3, "lr_d": 5e-4, "batch_size": 32},
    "ttur-g1e-3-d5e-4-refine-16": {"lr_g": 1e-3, "lr_d": 5e-4, "make_networks": _nets(32, 32, refine=16)},
    # round 3, on the series recipe (the last of round 2), for its full 20-minute step count
    "series": {"lr_g": 1e-3, "lr_d": 5e-4, "batch_size": 32},
    "series-hflip": {"lr_g": 1e-3, "lr_d": 5e-4, "batch_size": 32, "hflip": True},
    "series-d2.5e-4": {"lr_g": 1e-3, "lr_d": 2.5e-4, "batch_size": 32},  # D at a quarter of G's rate
    # round 4, on series-d2.5e-4: slower rates for both, and one-sided label smoothing of D's real target
    "series-g5e-4-d2.5e-4": {"lr_g": 5e-4, "lr_d": 2.5e-4, "batch_size": 32},
    "series-d2.5e-4-smooth": {"lr_g": 1e-3, "lr_d": 2.5e-4, "batch_size": 32, "real_target": 0.9},
}


def run(name: str, steps: int, every: int, n: int, out: Path, decays: list[float], seed: int = 0) -> None:
    recipe = dataclasses.replace(BASE, name=f"sweep-{name}", **VARIANTS[name])
    setup = build(recipe, "cpu", seed=seed, precision="auto")
    step = setup.step()
    # more weight averages of the same run (cheap: a copy of G each), scored beside the recipe's own
    averages = {recipe.ema_decay: setup.G_ema} | {d: generator_ema(setup.G, d) for d in decays if d != recipe.ema_decay}
    faces = load_cat_faces()
    real = faces[held_out_split(len(faces))[1][:n]]  # held-out faces, the patch distance's reference
    folder = out / (name if seed == 0 else f"{name}-seed{seed}")
    folder.mkdir(parents=True, exist_ok=True)
    done, train_s = 0, 0.0
    setup.G.train()
    setup.D.train()
    while done < steps:
        for real_batch in setup.data:
            t0 = time.perf_counter()
            step(real_batch)
            for average in averages.values():
                if average is not setup.G_ema:
                    average.update_parameters(setup.G)
            train_s += time.perf_counter() - t0
            done += 1
            if done % every == 0:
                for decay, average in averages.items():
                    recalibrate_batch_norm(average, setup.noise, setup.data.batch_size)
                    images = draw_samples(average.module, setup.noise, n, seed=1)
                    pixels = (images * 255).round().to(torch.uint8)
                    np.save(folder / f"step{done}-ema{decay}.npy", pixels.numpy())
                    scores = cat_scores(pixels)
                    swd = sliced_wasserstein(real, pixels)
                    row = {
                        "variant": name,
                        "seed": seed,
                        "ema": decay,
                        "step": done,
                        "images_seen": done * setup.data.batch_size,
                        "train_seconds": round(train_s, 1),
                        "seconds_per_step": round(train_s / done, 4),
                        "fd": round(scores["frechet_distance"], 3),
                        "kid_x1000": round(scores["kid_x1000"], 1),
                        "swd_x1000": [round(v, 1) for v in swd["levels"]],
                        "swd_mean": round(swd["mean"], 1),
                    }
                    print(json.dumps(row), flush=True)
                    with open(out / "results.jsonl", "a") as f:
                        f.write(json.dumps(row) + "\n")
                setup.G.train()
            if done >= steps:
                break


def rate(name: str, steps: int = 40, warmup: int = 10) -> dict:
    """Seconds per training step of ``name``, timed over ``steps`` after ``warmup`` (run alone: it is a timing)."""
    recipe = dataclasses.replace(BASE, name=f"sweep-{name}", **VARIANTS[name])
    setup = build(recipe, "cpu", seed=0, limit=(warmup + steps) * recipe.batch_size, precision="auto")
    step = setup.step()
    batches = iter(setup.data)
    for _ in range(warmup):
        step(next(batches))
    t0 = time.perf_counter()
    for _ in range(steps):
        step(next(batches))
    return {"variant": name, "seconds_per_step": round((time.perf_counter() - t0) / steps, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=list(VARIANTS), choices=[[], *VARIANTS])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ema", type=float, nargs="*", default=[], help="more weight-average decays to score")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights, the batches and the noise")
    parser.add_argument("--rates", action="store_true", help="only time each variant's steps (alone on the CPU)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.variants or list(VARIANTS):
        if args.rates:
            row = rate(name)
            print(json.dumps(row), flush=True)
            with open(args.out / "rates.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
        else:
            run(name, args.steps, args.every, args.samples, args.out, args.ema, args.seed)


if __name__ == "__main__":
    main()
