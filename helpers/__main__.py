"""Headless command line: ``python -m helpers {info,train,sample,score}``.

For training on a remote machine without Jupyter, and for the scripted quality
comparisons quoted in the notebooks.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

CHECKPOINT = "checkpoint.pt"
RUN_INFO = "run.json"
#: ``--precision`` choices and what they mean as ``fit(amp=...)``.
PRECISIONS = {"auto": None, "fp32": False, "bf16": torch.bfloat16, "fp16": torch.float16}


def _train(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from .env import get_device
    from .recipes import build
    from .viz import grid_array

    out = Path(args.out)
    ckpt, meta = out / CHECKPOINT, out / RUN_INFO
    if meta.exists():
        stored = json.loads(meta.read_text())
        if stored["recipe"] != args.recipe:
            sys.exit(f"{out} holds a run of recipe {stored['recipe']!r}, not {args.recipe!r}: choose another --out.")
    out.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"recipe": args.recipe, "seed": args.seed, "limit": args.limit}))
    if ckpt.exists():
        print(f"resuming from {ckpt}")
    device = get_device(args.device)
    setup = build(args.recipe, device, seed=args.seed, limit=args.limit, amp=PRECISIONS[args.precision])
    print(f"training {args.recipe} on {device} in {setup.precision}")
    history = setup.fit(epochs=args.epochs, max_seconds=args.max_seconds, checkpoint=ckpt, resume=True,
                        progress=not args.quiet)
    G = setup.generator.eval()
    torch.manual_seed(args.seed)
    with torch.no_grad():
        import matplotlib.pyplot as plt

        plt.imsave(out / "samples.png", grid_array(G(setup.noise(64))))
    (out / "history.json").write_text(json.dumps(history.to_dict()))
    print(history.summary())


def _sample(args: argparse.Namespace) -> None:
    from .checkpoint import CheckpointError, load_generator
    from .recipes import get_recipe, make_noise
    from .train import draw_samples

    run = Path(args.run)
    ckpt, meta = run / CHECKPOINT, run / RUN_INFO
    if not meta.exists() or not ckpt.exists():
        raise CheckpointError(f"{run} is not a finished run folder (needs {RUN_INFO} and {CHECKPOINT}); "
                              "make one with `python -m helpers train RECIPE --out DIR`.")
    recipe = get_recipe(json.loads(meta.read_text())["recipe"])
    G = load_generator(recipe.build()[0], ckpt)
    images = draw_samples(G, make_noise(recipe.latent_dim, "cpu", recipe.noise), args.n, seed=args.seed)
    np.save(args.out, images.numpy().astype(np.float32))
    print(f"wrote {args.out}: {tuple(images.shape)} float32 in [0, 1]")


def _score(args: argparse.Namespace) -> None:
    from .metrics import mnist_scores

    path = Path(args.file)
    if not path.exists():
        sys.exit(f"{path} does not exist; make it with `python -m helpers sample RUN_DIR --out {path}`.")
    print(json.dumps(mnist_scores(torch.from_numpy(np.load(path))), indent=2))


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv`` and run one sub-command."""
    from .recipes import RECIPES

    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="print platform, device, versions and data locations")

    train = sub.add_parser("train", help="train a recipe; resumes when --out holds a checkpoint")
    train.add_argument("recipe", choices=sorted(RECIPES))
    budget = train.add_mutually_exclusive_group(required=True)
    budget.add_argument("--epochs", type=int)
    budget.add_argument("--max-seconds", type=float)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default=None, help="cpu, cuda, mps (default: the fastest available)")
    train.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    train.add_argument("--precision", choices=list(PRECISIONS), default="auto",
                       help="auto: the recipe's and device's measured choice; fp16 adds a gradient scaler")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--out", required=True, help="run folder: checkpoint, samples.png, history.json")

    sample = sub.add_parser("sample", help="draw images from a trained run as float32 .npy in [0, 1]")
    sample.add_argument("run", help="a run folder written by `train`")
    sample.add_argument("--n", type=int, default=10000)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", required=True)

    score = sub.add_parser("score", help="MNIST sample-quality scores of a .npy file, as JSON")
    score.add_argument("file")

    args = parser.parse_args(argv)
    if args.command == "info":
        from .env import describe_runtime

        print(describe_runtime())
    else:
        from .checkpoint import CheckpointError
        from .data import BadDataError, DataNotFoundError

        try:
            {"train": _train, "sample": _sample, "score": _score}[args.command](args)
        except (DataNotFoundError, BadDataError, CheckpointError, ValueError) as exc:
            sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
