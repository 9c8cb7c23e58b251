"""Cat-face quality per epoch and per CPU second: the article's DCGAN vs the same with a weight average.

    python benchmarks/cat_quality.py --epochs 2 --out runs/cat_quality          # train, then score
    python benchmarks/cat_quality.py --epochs 2 --out runs/cat_quality --score  # score the saved samples again

One run of ``article-dcgan-cats`` (the source article's recipe) with an exponential moving average of G's weights
(``ema_decay=0.999``, a ``dataclasses.replace`` copy; ``RECIPES`` is unchanged). The average is read from G,
never written back, so the run's ``G`` trains as the article's recipe does and its average is ours: both
arms get the same steps and the same wall time, except the average's own cost, which is measured and
printed. After each epoch both draw ``--samples`` images from the same seeded noise; they are saved as
uint8 in ``OUT/samples_epoch{k}.npz`` (git-ignored ``runs/``) and scored by ``helpers.cat_scores``.
``--keep-epochs 1 2 --keep-file F`` also writes the article arm's first 200 samples of those epochs to
``F`` (the checkpoint-ordering test's data). Prints one JSON line per epoch and arm.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch

from helpers import EpochEnd, build, cat_scores, draw_samples
from helpers.recipes import RECIPES

ARMS = ("article", "article + weight average")


def train(out: Path, epochs: int, n: int, seed: int) -> None:
    """Train for ``epochs``, saving both arms' samples and the training time after each epoch."""
    recipe = dataclasses.replace(RECIPES["article-dcgan-cats"], name="dcgan-cats-ema", ema_decay=0.999)
    setup = build(recipe, "cpu", seed=seed, precision="auto")
    clock = {"start": time.perf_counter(), "paused": 0.0}
    log: list[dict] = []

    def save(end: EpochEnd) -> None:
        t0 = time.perf_counter()
        arrays = {}
        for arm, G in zip(ARMS, (setup.G, setup.G_ema)):
            images = draw_samples(G, setup.noise, n, seed=seed + 1)
            arrays[arm] = (images * 255).round().to(torch.uint8).numpy()
        np.savez(out / f"samples_epoch{end.epoch}.npz", **arrays)
        train_s = t0 - clock["start"] - clock["paused"]
        log.append({"epoch": end.epoch, "steps": end.history.steps, "train_seconds": round(train_s, 1)})
        (out / "epochs.json").write_text(json.dumps(log))
        clock["paused"] += time.perf_counter() - t0
        print(f"epoch {end.epoch}: {end.history.steps} steps, {train_s:.0f} s of training", flush=True)

    setup.fit(epochs=epochs, progress=False, callbacks=[save])
    step_s = log[-1]["train_seconds"] / log[-1]["steps"]
    t0 = time.perf_counter()
    for _ in range(50):
        setup.G_ema.update_parameters(setup.G)
    ema_s = (time.perf_counter() - t0) / 50
    info = {"seconds_per_step": step_s, "ema_update_seconds": ema_s, "ema_share_of_step": ema_s / step_s}
    (out / "timing.json").write_text(json.dumps(info))
    print(json.dumps(info))


def score(out: Path, keep_epochs: list[int], keep_file: Path | None) -> None:
    """Score each saved epoch's samples of both arms; print JSON lines."""
    log = json.loads((out / "epochs.json").read_text())
    kept = {}
    for row in log:
        with np.load(out / f"samples_epoch{row['epoch']}.npz") as z:
            for arm in ARMS:
                s = cat_scores(torch.from_numpy(z[arm]))
                print(
                    json.dumps(
                        {"arm": arm, **row, **{k: round(v, 3) if isinstance(v, float) else v for k, v in s.items()}}
                    )
                )
            if row["epoch"] in keep_epochs:
                kept[f"epoch{row['epoch']}"] = z[ARMS[0]][:200]  # 2.2 MB an epoch
    if keep_file is not None and kept:
        np.savez_compressed(keep_file, **kept)
        print(f"wrote {keep_file} ({keep_file.stat().st_size / 1e6:.1f} MB): {', '.join(kept)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--score", action="store_true", help="only score the samples a previous run saved")
    parser.add_argument("--keep-epochs", type=int, nargs="*", default=[])
    parser.add_argument("--keep-file", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(2)
    if not args.score:
        args.out.mkdir(parents=True, exist_ok=True)
        train(args.out, args.epochs, args.samples, args.seed)
    score(args.out, args.keep_epochs, args.keep_file)


if __name__ == "__main__":
    main()
