"""Write the shipped pretrained generator from a finished ``python -m helpers train`` run folder.

    python -m helpers train dcgan-cats --max-seconds 3600 --device cpu --out runs/cats_pretrained
    python scripts/export_pretrained.py runs/cats_pretrained     # -> helpers/weights/dcgan_cats_generator.pt

Keeps the averaged generator (the one the recipe samples from) in half precision, with the recipe's settings
(so a variant cannot load it silently), the run's history, epochs, steps and training minutes, the machine,
and the scores of 2,000 of its samples (``helpers.cat_scores``). Refuses a file over 8 MB (it ships in the package).
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import torch

from helpers import cat_scores, draw_samples, get_recipe, load_generator
from helpers.cli.runfolder import CHECKPOINT, read_run_info
from helpers.infra.checkpoint import load_checkpoint, save_checkpoint
from helpers.pretrained import PRETRAINED
from helpers.sampling import Noise

MAX_BYTES = 8_000_000
SAMPLES, SEED = 2000, 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run folder written by `python -m helpers train`")
    parser.add_argument("--machine", default=platform.processor() or platform.machine(), help="where it trained")
    args = parser.parse_args()
    name = read_run_info(args.run)["recipe"]
    recipe = get_recipe(name)
    ckpt = args.run / CHECKPOINT
    G = load_generator(recipe.networks()[0], ckpt, recipe=name, settings=recipe.settings())
    history = load_checkpoint(ckpt)["history"]
    samples = draw_samples(G, Noise(recipe.latent_dim, "cpu", recipe.noise), SAMPLES, seed=SEED)
    scores = cat_scores(samples)
    info = {
        "recipe": name,
        "epochs": len(history["epoch_end_step"]),
        "steps": len(history["loss_d"]),
        "train_minutes": round(history["seconds"] / 60, 1),
        "machine": args.machine,
        "torch": str(torch.__version__),  # a plain str: weights_only loading refuses TorchVersion
        "scores": {k: round(v, 3) if isinstance(v, float) else v for k, v in scores.items()},
    }
    out = PRETRAINED[name]
    half = {k: v.half() if v.is_floating_point() else v for k, v in G.state_dict().items()}
    save_checkpoint(out, G=half, run={"recipe": name} | recipe.settings(), info=info, history=history)
    size = out.stat().st_size
    if size > MAX_BYTES:
        out.unlink()
        raise SystemExit(f"{out} would be {size / 1e6:.1f} MB, over the package's {MAX_BYTES / 1e6:.0f} MB.")
    print(f"wrote {out} ({size / 1e6:.2f} MB): {info}")


if __name__ == "__main__":
    main()
