"""Calibration of ``helpers.cat_scores``: real faces, damaged faces, and the time to score 10,000.

    GAN_DATA_DIR=/path/to/data python benchmarks/cat_score_calibration.py

Prints a Markdown table (set, N, Fréchet distance, KID x 1000 +- std over 100 subsets) for:

* ``cat_scores`` of the faces the feature network never saw (the held-out 10 %, N = 1,575) and of each
  damaged copy (``helpers.scores.cats.distorted_sets``): what a sample set scores against the stored reference;
* the same for 10,000 faces of the training split (the reference's own faces: a little optimistic for
  ``real``, but the N at which FD numbers are usually quoted);
* real vs real: two disjoint random halves of the training split, N each (``feature_distances``).

and the wall time of ``cat_scores`` on 10,000 images (features + both distances).
"""

from __future__ import annotations

import platform
import time

import torch

from helpers import cat_scores, load_cat_faces
from helpers.scores.cats import cat_features, distorted_sets, feature_distances, held_out_split


def row(name: str, n: int, s: dict) -> str:
    return f"| {name} | {n:,} | {s['frechet_distance']:.2f} | {s['kid_x1000']:.2f} ± {s['kid_x1000_std']:.2f} |"


def main() -> None:
    torch.set_num_threads(2)
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    faces = load_cat_faces()
    train_idx, held_idx = held_out_split(len(faces))
    g = torch.Generator().manual_seed(1)
    train = faces[train_idx[torch.randperm(len(train_idx), generator=g)]]
    lines = ["| set | N | FD | KID x 1000 |", "|---|---|---|---|"]
    for label, images in [("held-out", faces[held_idx]), ("training split", train[:10000])]:
        start = time.perf_counter()
        lines.append(row(f"real ({label})", len(images), cat_scores(images)))
        took = time.perf_counter() - start
        print(f"cat_scores of {len(images):,} images: {took:.1f} s", flush=True)
        for name, damaged in distorted_sets(images).items():
            lines.append(row(name, len(images), cat_scores(damaged)))
        print("\n".join(lines[-9:]), flush=True)
    for n in (2000, 7000):
        a, b = cat_features(train[:n]), cat_features(train[n : 2 * n])
        lines.append(row(f"real vs real (two halves of the training split, {n:,} each)", n, feature_distances(a, b)))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
