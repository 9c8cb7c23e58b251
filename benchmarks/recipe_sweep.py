"""Which settings buy the most sample quality per CPU second? Short runs of recipe variants, one at a time.

    python benchmarks/recipe_sweep.py --seconds 120 vanilla-gan-mnist vanilla-gan-mnist:lr_g=5e-4,lr_d=5e-4

A variant is ``RECIPE[:field=value,...]``: a registered MNIST recipe with some of its
:class:`helpers.recipes.Recipe` fields replaced (numbers such as ``lr_g``, ``lr_d``,
``batch_size``, ``real_target``, ``cpu_threads``; ``True``/``False`` for flags).
Each is trained and scored exactly like ``benchmarks/mnist_gan_quality.py`` does
(10,000 samples) and printed as one JSON line (``--epochs N --each-epoch``: with the
score after every epoch). Short runs only rank settings; confirm
a winner with ``mnist_gan_quality.py`` at the full budget before changing a recipe.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
from collections.abc import Callable

from mnist_gan_quality import train_and_score

from helpers import Recipe, get_device, get_recipe


def variant(spec: str) -> Recipe:
    """The variant ``spec`` (``RECIPE:field=value,...``): a registered recipe with some fields replaced."""
    base, _, overrides = spec.partition(":")
    recipe = get_recipe(base)
    fields = {f.name for f in dataclasses.fields(recipe)}
    changes = {}
    for item in filter(None, overrides.split(",")):
        key, _, value = item.partition("=")
        if key not in fields:
            raise SystemExit(f"{spec!r}: {key!r} is not a Recipe field; choose from {sorted(fields)}")
        changes[key] = ast.literal_eval(value)
    return dataclasses.replace(recipe, name=spec, **changes)


def sweep(resolve: Callable[[str], Recipe], description: str) -> None:
    """Parse the command line, ``resolve`` each variant to a recipe, train each for the budget, print JSON lines."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("variants", nargs="+")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, help="time budget per variant (default 120)")
    budget.add_argument("--epochs", type=int)
    parser.add_argument("--each-epoch", action="store_true", help="with --epochs: score after every epoch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.each_epoch and args.epochs is None:
        parser.error("--each-epoch needs --epochs: scoring inside a time budget would eat into it")
    seconds = None if args.epochs is not None else args.seconds if args.seconds is not None else 120
    for spec in args.variants:
        r = train_and_score(
            resolve(spec), seconds, args.epochs, args.seed, get_device(args.device), each_epoch=args.each_epoch
        )
        if not args.each_epoch:  # otherwise the seconds include the scoring
            r["steps_per_s"] = round(r["steps"] / r["seconds"], 1)
        print(json.dumps({k: v for k, v in r.items() if k != "class_shares"}), flush=True)


if __name__ == "__main__":
    sweep(variant, __doc__.splitlines()[0])
