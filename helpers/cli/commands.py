"""Headless command line: ``python -m helpers {info,train,sample,score}``.

For training on a remote machine without Jupyter, and for the scripted quality
comparisons quoted in the notebooks. Every error is one line that says what to do, with exit
status 1 (2 for usage errors); arguments and files are checked before anything is written.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..data import DATASETS, BadDataError, DataNotFoundError
from ..health import TrainingDiverged
from ..infra.checkpoint import CheckpointError, load_checkpoint, load_generator, require_same_run
from ..infra.env import cpu_threads, get_device
from ..infra.files import describe_file
from ..infra.precision import PRECISIONS
from ..loop import EpochEnd
from ..pretrained import PRETRAINED
from ..recipes import RECIPES, Recipe, Setup, build, get_recipe
from ..runtime import describe_runtime
from ..sampling import Noise, class_labels, draw_samples
from ..scores import score_against_real, score_samples
from ..scores.mnist import conditional_scores
from ..viz import grid_array
from .runfolder import CHECKPOINT, EPOCHS, RUN_INFO, RunFolderError, claim, read_run_info, stored_run

#: The seeds the command line takes (torch's generators take more, negative ones too).
SEEDS = range(2**63)
SEED_RANGE = "a whole number from 0 to 2**63 - 1"
#: What to do when --out holds a run with other settings.
OTHER_RUN = "choose another --out, or pass the same settings."


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _device(name: str | None) -> torch.device:
    """:func:`helpers.get_device`, its missing-device ``RuntimeError`` as the ``ValueError`` the CLI reports."""
    try:
        return get_device(name)
    except RuntimeError as exc:
        raise ValueError(str(exc)) from exc


def _check_train_args(args: argparse.Namespace, batch_size: int) -> None:
    """Refuse budgets, sizes and seeds that cannot train, before anything is loaded or written."""
    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs {args.epochs}: train for 1 epoch or more (or give --max-seconds).")
    if args.max_seconds is not None and not (math.isfinite(args.max_seconds) and args.max_seconds > 0):
        raise ValueError(f"--max-seconds {args.max_seconds}: give a finite time budget above 0 (or give --epochs).")
    if args.limit is not None and args.limit < batch_size:
        raise ValueError(
            f"--limit {args.limit}: {args.recipe} needs at least one batch ({batch_size} images); "
            f"pass --limit {batch_size} or more, or leave it out to train on all images."
        )
    if args.seed not in SEEDS:
        raise ValueError(f"--seed {args.seed}: use {SEED_RANGE}.")
    if args.track < 0:
        raise ValueError(f"--track {args.track}: score 0 samples (no scores) or more after each epoch.")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder: give a new folder for the run.")
    file_above = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if file_above is not None:
        raise ValueError(f"--out {out}: {file_above} is a file, so no folder can be made under it.")


def _epoch_record(setup: Setup, samples: int, seed: int, path: Path) -> Callable[[EpochEnd], None]:
    """A :func:`helpers.fit` callback that appends each epoch's statistics to the JSON list in ``path``: the
    epoch's means of the history (with the critic's Wasserstein estimate for a WGAN-GP recipe), whether the epoch
    was complete (a time budget may end the last one early) and, with ``samples`` > 0, the scores of that many
    samples of the network the recipe samples from (the dataset's scorer)."""
    records = json.loads(path.read_text()) if path.exists() else []

    def record(end: EpochEnd) -> None:
        h = end.history
        means = {k: v for k, v in h.epoch_means()[-1].items() if k != "epoch"}
        entry = {"epoch": end.epoch, "steps": h.steps, "seconds": round(h.seconds, 1)} | means
        if samples:
            labels = class_labels(samples, setup.recipe.num_classes) if setup.recipe.num_classes else None
            images = draw_samples(_sampler(setup), setup.noise, samples, seed=seed, labels=labels)
            entry["scores"] = score_samples(setup.recipe.dataset, images)
        records.append(entry)
        path.write_text(json.dumps(records, indent=1))

    return record


def _sampler(setup: Setup) -> torch.nn.Module:
    """The network a recipe draws its samples with: the weight average when it keeps one, else G."""
    return setup.G if setup.G_ema is None else setup.G_ema


def _train(args: argparse.Namespace) -> None:
    recipe = get_recipe(args.recipe)
    _check_train_args(args, recipe.batch_size)
    device = _device(args.device)
    out = Path(args.out)
    ckpt, meta = out / CHECKPOINT, out / RUN_INFO
    with claim(out):
        stored = stored_run(out)
        require_same_run(stored, {"recipe": args.recipe}, out, OTHER_RUN)  # before loading another recipe's data
        if device.type == "cpu":
            torch.set_num_threads(cpu_threads(recipe.cpu_threads))
        setup = build(recipe, device, seed=args.seed, limit=args.limit, precision=args.precision)
        images = setup.run["images"]
        if args.limit is not None and images < args.limit:
            raise ValueError(
                f"--limit {args.limit}: {setup.recipe.dataset} has only {images} training images "
                f"here; pass --limit {images} or less, or leave it out."
            )
        require_same_run(stored, setup.run, out, OTHER_RUN)
        if ckpt.exists():
            print(f"resuming from {ckpt}")
        print(f"training {args.recipe} on {device} in {setup.precision}")
        before = meta.read_text() if meta.exists() else None
        meta.write_text(json.dumps(setup.run))
        try:
            history = setup.fit(
                epochs=args.epochs,
                max_seconds=args.max_seconds,
                checkpoint=ckpt,
                resume=True,
                progress=not args.quiet,
                callbacks=[_epoch_record(setup, args.track, args.seed, out / EPOCHS)],
            )
        except BaseException:
            if not ckpt.exists():  # nothing trained was kept: leave the folder as it was
                if before is None:
                    meta.unlink()
                else:
                    meta.write_text(before)
            raise
        labels = class_labels(100, recipe.num_classes) if recipe.num_classes else None
        grid = draw_samples(_sampler(setup), setup.noise, 64 if labels is None else 100, seed=args.seed, labels=labels)
        plt.imsave(out / "samples.png", grid_array(grid, nrow=8 if labels is None else recipe.num_classes))
        (out / "history.json").write_text(json.dumps(history.to_dict()))
    print(history.summary())


def _generator_file(args: argparse.Namespace) -> Path:
    """The file ``sample`` draws from: a run folder's checkpoint, a generator file, or a shipped generator."""
    if args.pretrained is not None:
        return PRETRAINED[args.pretrained]
    run = Path(args.run)
    if run.is_file():
        return run
    ckpt, meta = run / CHECKPOINT, run / RUN_INFO
    if not meta.exists() or not ckpt.exists():
        raise ValueError(
            f"{run} is not a finished run folder (needs {RUN_INFO} and {CHECKPOINT}); "
            "make one with `python -m helpers train RECIPE --out DIR`, or pass a generator file."
        )
    read_run_info(run)  # a clear error for a run.json that names no recipe of this version
    return ckpt


def _recipe_of(path: Path) -> Recipe:
    """The recipe a generator file (a checkpoint, an export) was made with, read off its ``run`` entry."""
    run = load_checkpoint(path).get("run")
    if not isinstance(run, dict) or run.get("recipe") not in RECIPES:
        named = (
            f"names the recipe {run['recipe']!r}, unknown here"
            if isinstance(run, dict) and "recipe" in run
            else ("records no recipe")
        )
        raise CheckpointError(
            f"{path} {named}: sample a file that `python -m helpers train` or scripts/export_pretrained.py wrote."
        )
    return get_recipe(run["recipe"])


def _sample(args: argparse.Namespace) -> None:
    if args.n < 1:
        raise ValueError(f"--n {args.n}: draw 1 sample or more (10000 to compare scores).")
    if args.seed not in SEEDS:
        raise ValueError(f"--seed {args.seed}: use {SEED_RANGE}.")
    out = Path(args.out)
    if out.suffix != ".npy":
        raise ValueError(
            f"--out {out}: the samples file must end in .npy (np.save would add it), e.g. "
            f"--out {out.with_name(out.name + '.npy')}."
        )
    if out.is_dir() or not out.parent.is_dir():
        raise ValueError(
            f"--out {out}: {'it is a folder' if out.is_dir() else f'no folder {out.parent}'}; "
            "give a .npy file in an existing folder."
        )
    path = _generator_file(args)
    recipe = _recipe_of(path)
    G = load_generator(recipe.networks()[0], path, recipe=recipe.name, settings=recipe.settings()).float()
    labels = class_labels(args.n, recipe.num_classes) if recipe.num_classes else None
    images = draw_samples(G, Noise(recipe.latent_dim, "cpu", recipe.noise), args.n, seed=args.seed, labels=labels)
    np.save(out, images.numpy().astype(np.float32))
    classes = classes_file(out)
    if labels is None:
        classes.unlink(missing_ok=True)  # an earlier conditional run's: it does not describe these samples
        print(f"wrote {out}: {tuple(images.shape)} float32 in [0, 1]")
    else:
        np.save(classes, labels.numpy())
        print(
            f"wrote {out}: {tuple(images.shape)} float32 in [0, 1], drawn for classes in order: image i is of "
            f"class i mod {recipe.num_classes}; the requested classes are in {classes} (`score` reads them)"
        )


def classes_file(samples: Path) -> Path:
    """Where ``sample`` keeps the classes a conditional recipe's samples were drawn for: beside the samples file,
    ``s.npy`` -> ``s.classes.npy`` (int64 ``(N,)``), which ``score`` reads when it is there."""
    return samples.with_suffix(".classes.npy")


def _read_samples(path: Path) -> np.ndarray:
    """The array in a ``.npy`` file of samples, or a ``ValueError`` that says what the file is instead."""
    if not path.exists():
        raise ValueError(f"{path} does not exist; make it with `python -m helpers sample RUN_DIR --out {path}`.")
    if path.is_dir():
        raise ValueError(f"{path} is a folder: pass a .npy file of samples (`python -m helpers sample` writes one).")
    kind = describe_file(path)
    if kind != "a NumPy .npy array":
        raise ValueError(
            f"{path} is {kind}, not a NumPy .npy array: save the images with np.save(path, images) "
            "as float in [0, 1] or uint8 0..255, shaped (N, 1, 28, 28) for MNIST or (N, 3, 64, 64) for cat faces."
        )
    try:
        return np.load(path)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(
            f"{path} is a .npy file NumPy cannot read as numbers ({exc}): write the samples again "
            "with `python -m helpers sample` or np.save(path, images.astype(np.float32))."
        ) from exc


def _dataset_of(images: np.ndarray, path: Path) -> str:
    """The datasets table's name for the shape of ``images``, or a ``ValueError`` that says what to pass."""
    for name, dataset in DATASETS.items():
        if dataset.holds(tuple(images.shape)):
            return name
    shapes = " nor ".join(f"{d.title} (N, {', '.join(map(str, d.shape))})" for d in DATASETS.values())
    raise ValueError(
        f"{path} holds images of shape {tuple(images.shape)}, which is neither {shapes}: save them in one of "
        f"those shapes (channels first), or pass --dataset {'|'.join(DATASETS)}."
    )


def _requested_scores(images: np.ndarray, classes: Path) -> dict:
    """The class agreement of MNIST digits ``images`` with the classes in the file ``classes``
    (:func:`helpers.scores.mnist.conditional_scores`), or a ``ValueError`` naming the file."""
    fix = "write both files again with `python -m helpers sample`, or delete it to score the images alone."
    try:
        requested = np.load(classes)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{classes} is not a readable .npy array of classes ({exc}): {fix}") from exc
    try:
        return {"requested_classes": str(classes)} | conditional_scores(images, requested)
    except ValueError as exc:
        raise ValueError(f"{classes} does not fit {len(images)} samples: {exc} {fix}") from exc


def _score(args: argparse.Namespace) -> None:
    path = Path(args.file)
    images = _read_samples(path)
    dataset = args.dataset or _dataset_of(images, path)
    scores = {"dataset": dataset} | score_samples(dataset, images)  # bad images are refused here, first
    scores |= score_against_real(dataset, images)  # cat faces: the patch distance
    classes = classes_file(path)
    if classes.exists():
        scores |= _requested_scores(images, classes)
    print(json.dumps(scores, indent=2))


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv`` and run one sub-command; an error ends the process with one line on stderr."""
    parser = _Parser(prog="python -m helpers", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="print platform, device, versions and data locations")

    train = sub.add_parser("train", help="train a recipe; resumes when --out holds a checkpoint")
    train.add_argument("recipe", choices=sorted(RECIPES))
    budget = train.add_mutually_exclusive_group(required=True)
    budget.add_argument("--epochs", type=int)
    budget.add_argument("--max-seconds", type=float)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps (default: the fastest available)")
    train.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    train.add_argument(
        "--precision",
        choices=list(PRECISIONS),
        default="auto",
        help="auto: the recipe's and device's measured choice; fp16 adds gradient scalers",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument(
        "--track",
        type=int,
        default=1000,
        help="score this many samples after each epoch, into epochs.json (0: none; scoring counts as training time)",
    )
    train.add_argument("--out", required=True, help="run folder: checkpoint, samples.png, history.json, epochs.json")

    sample = sub.add_parser(
        "sample",
        help="draw images from a trained run or a generator file, or a shipped generator, as float32 .npy in [0, 1]",
    )
    source = sample.add_mutually_exclusive_group(required=True)
    source.add_argument("run", nargs="?", help="a run folder written by `train`, or a generator file (.pt)")
    source.add_argument("--pretrained", choices=sorted(PRETRAINED), help="the generator that ships with helpers")
    sample.add_argument("--n", type=int, default=10000)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", required=True, help="a .npy file in an existing folder")

    score = sub.add_parser(
        "score",
        help="sample-quality scores of a .npy file of MNIST digits or cat faces, as JSON (cat faces: also the patch "
        "distance to 1,000 held-out real faces, with two real sets' value beside it); with the class agreement "
        "when the file of requested classes that `sample` writes for a conditional recipe (s.classes.npy) is beside it",
    )
    score.add_argument("file", help="float in [0, 1] or uint8 0..255, shaped (N, 1, 28, 28) or (N, 3, 64, 64)")
    score.add_argument(
        "--dataset", choices=sorted(DATASETS), default=None, help="what the images are (default: read off their shape)"
    )

    args = parser.parse_args(argv)

    try:
        if args.command == "info":
            print(describe_runtime(_device(None)))
        else:
            {"train": _train, "sample": _sample, "score": _score}[args.command](args)
    except (DataNotFoundError, BadDataError, CheckpointError, RunFolderError, TrainingDiverged, ValueError) as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)  # one line, even for lists of places
        sys.exit(1)
