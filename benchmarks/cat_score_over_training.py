"""Do the cat-face scores still separate good from better? Score successive generators of one run.

    GAN_DATA_DIR=... python benchmarks/cat_score_over_training.py --n 1000 \\
        runs/cats_series/step1200.pt=20min runs/cats_series/checkpoint.pt=50min runs/cat_sweep/base/step1200.npy=...

Each argument is ``PATH=LABEL``: a ``fit`` checkpoint (or export) of ``--recipe`` (its averaged generator draws
``--n`` samples from seeded noise) or a ``.npy`` of uint8 samples ``(N, 3, 64, 64)`` (the sweep's). For each,
and for the references (real faces the feature network never saw against other real faces; those blurred
with sigma 1 px), prints one JSON line: the feature scores (``helpers.cat_scores``: Fréchet distance, KID x
1000) and the sliced Wasserstein distances x 1000 per scale (``helpers.scores.sliced_wasserstein``), all at the same N.
A later, better generator must score lower; where the feature scores flatten, the patch distances should not.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from helpers import cat_scores, draw_samples, get_recipe, load_cat_faces, load_generator, sliced_wasserstein
from helpers.sampling import Noise
from helpers.scores.cats import distorted_sets, held_out_split


def samples_of(path: Path, recipe: str, n: int) -> torch.Tensor:
    """uint8 samples from a ``.npy`` file, or ``n`` samples of the averaged generator of a checkpoint."""
    if path.suffix == ".npy":
        return torch.from_numpy(np.load(path))[:n]
    spec = get_recipe(recipe)
    G = load_generator(spec.networks()[0], path, recipe=recipe, settings=spec.settings())
    return (draw_samples(G, Noise(spec.latent_dim, "cpu", spec.noise), n, seed=7) * 255).round().to(torch.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generators", nargs="+", help="PATH=LABEL: a checkpoint or a .npy of uint8 samples")
    parser.add_argument("--recipe", default="dcgan-cats")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(2)
    faces = load_cat_faces()
    train, held = held_out_split(len(faces))
    real_a = faces[held[: args.n]]
    real_b = faces[train[torch.randperm(len(train), generator=torch.Generator().manual_seed(1))[: args.n]]]
    sets = {"real faces": real_b, "blur 1": distorted_sets(real_b)["blur 1"]}
    for item in args.generators:
        path, _, label = item.partition("=")
        sets[label or path] = samples_of(Path(path), args.recipe, args.n)
    for label, images in sets.items():
        feat = cat_scores(images)
        swd = sliced_wasserstein(real_a, images)
        row = {
            "set": label,
            "n": len(images),
            "fd": round(feat["frechet_distance"], 3),
            "kid_x1000": round(feat["kid_x1000"], 1),
            "swd_x1000": [round(v, 1) for v in swd["levels"]],
            "swd_mean": round(swd["mean"], 1),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
