"""Recipes trained, sampled and scored through the command line, with the per-epoch record of each run.

    python benchmarks/wgan_cli_run.py --seconds 600 --out /tmp/wgan_cli wgan-gp-mnist

For each recipe: ``python -m helpers train RECIPE --max-seconds S --device cpu`` (which records the epoch's
statistics and the Fréchet distance of 1,000 samples of the averaged generator after every epoch, in
``epochs.json``), then ``sample --n 10000`` and ``score``. Run it on an idle CPU: the budget is timed. Prints
the final scores, each epoch's critic estimate (a WGAN-GP recipe) and Fréchet distance, the Pearson
correlation of the two over the epochs, and whether training gave a health warning.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np


def helpers_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m helpers ARGS`` (its errors end this script)."""
    return subprocess.run([sys.executable, "-m", "helpers", *args], check=True, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--out", type=Path, required=True, help="a folder for the run folders")
    parser.add_argument("recipes", nargs="+")
    args = parser.parse_args()
    for recipe in args.recipes:
        folder = args.out / recipe
        train = helpers_cli(
            "train", recipe, "--max-seconds", str(args.seconds), "--device", "cpu", "--quiet", "--out", str(folder)
        )
        helpers_cli("sample", str(folder), "--n", "10000", "--out", str(folder / "samples.npy"))
        scores = json.loads(helpers_cli("score", str(folder / "samples.npy")).stdout)
        epochs = json.loads((folder / "epochs.json").read_text())
        warned = "GANHealthWarning" in train.stderr
        print(f"{recipe}: {train.stdout.strip().splitlines()[-1]}; health warning: {warned}")
        print(
            f"  10,000 samples: Fréchet distance {scores['frechet_distance']:.2f}, "
            f"{scores['effective_classes']:.2f} effective classes"
        )
        fd = [e["scores"]["frechet_distance"] for e in epochs]
        print("  Fréchet distance by epoch (1,000 samples):", [round(f, 1) for f in fd])
        if "wasserstein" in epochs[0]:
            estimate = [e["wasserstein"] for e in epochs]
            print("  critic's estimate by epoch:", [round(e, 3) for e in estimate])
            print(f"  Pearson correlation over {len(epochs)} epochs: {np.corrcoef(estimate, fd)[0, 1]:.3f}")


if __name__ == "__main__":
    main()
