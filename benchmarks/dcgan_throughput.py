"""Training images per second of the cat-face DCGAN: the standard PyTorch recipe vs ``helpers.fit``.

    flock /tmp/cpu.lock python benchmarks/dcgan_throughput.py --device cpu --seconds 30
    python benchmarks/dcgan_throughput.py --device cuda --seconds 12 --variants reference,fit,fit-bf16,fit-fp16

Variants, each timed in this process one after the other (never two at once), on the
same networks (``article-dcgan-cats``: the helpers DCGAN family with DCGAN init), batch and machine:

* ``reference``: the plain loop of the PyTorch DCGAN tutorial: ``torchvision`` ImageFolder
  + ``Resize``/``CenterCrop``/``ToTensor``/``Normalize``, ``DataLoader(shuffle=True,
  num_workers=2)``, eager, NCHW, fp32, a ``.item()`` of the losses and D outputs every step
  (the tutorial logs them), BCE on the logits.
* ``fit``: the ``article-dcgan-cats`` recipe through :func:`helpers.fit` as the recipe runs it: the dataset
  decoded once into a uint8 tensor on the device and batched by permutation, per-step statistics
  kept on the device, the device's precision (:func:`helpers.infra.env.choose_precision`: float32 NCHW on
  CUDA with native bf16, float16 + gradient scaler on older GPUs; on a CPU bf16 autocast +
  channels_last where it has bf16 instructions, else float32 NCHW).
* ``fit-fp32``: the same in float32 NCHW: the data path's share alone.
* ``fit-bf16``: the same under bf16 autocast (NCHW on CUDA; on a CPU with the recipe's channels_last).
* ``fit-fp16``: the same under float16 autocast with a gradient scaler (the path of GPUs without bf16).
* ``fit-nchw``: on a CPU with bf16: bf16 without channels_last (the layout's share).

Dropped: ``fit-compile`` (both networks under ``torch.compile``): it crashed on an H200 and was slower
than eager there (``benchmarks/README.md``).

Each variant warms up (workers started, kernels chosen) and then trains for ``--seconds``;
images/s = images trained / wall time (CUDA synchronised). Prints one JSON line per variant
and each ratio to ``reference``. Without the real cat folder the generated stand-in faces are
written to a temporary folder as JPEGs, so the reference still decodes files (the numbers
then say nothing about the real data's decode cost).

What it measured, and the bare-loop comparison behind today's GPU default (float32 NCHW):
``benchmarks/README.md``. ``scripts/gpu_check.py`` re-runs this benchmark on whichever GPU it has.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import helpers.recipes as recipes
from helpers import get_device, load_cat_faces
from helpers.data import CATS_FOLDER, find_cat_folder, standin_cat_faces

RECIPE = "article-dcgan-cats"


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so wall time counts it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def image_folder_root(tmp: Path) -> Path:
    """A folder ImageFolder can read (one class subfolder of images): the real cats, or stand-ins."""
    for base in [Path(os.environ["GAN_DATA_DIR"])] if os.environ.get("GAN_DATA_DIR") else []:
        folder = find_cat_folder(base)
        if folder is not None and folder != base:
            return folder.parent
    from PIL import Image

    print("no real cat folder (set GAN_DATA_DIR): timing on generated stand-in faces written as JPEGs")
    folder = tmp / CATS_FOLDER / "cats"
    folder.mkdir(parents=True)
    for i, img in enumerate(standin_cat_faces(2048)):
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(folder / f"{i}.jpg", quality=95)
    return folder.parent


def reference(root: Path, device: torch.device, seconds: float, warmup: int, workers: int) -> dict:
    """The standard loop: ImageFolder + DataLoader workers, eager NCHW fp32."""
    import torchvision.datasets as dset
    import torchvision.transforms as T

    recipe = recipes.get_recipe(RECIPE)
    torch.manual_seed(0)
    G, D = recipe.networks()
    G.apply(recipes.dcgan_init)
    D.apply(recipes.dcgan_init)
    G, D = G.to(device), D.to(device)
    dataset = dset.ImageFolder(
        str(root),
        transform=T.Compose(
            [T.Resize(64), T.CenterCrop(64), T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]
        ),
    )
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=recipe.batch_size,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=device.type == "cuda",
    )
    opt_d = torch.optim.Adam(D.parameters(), lr=recipe.lr_d, betas=recipe.betas)
    opt_g = torch.optim.Adam(G.parameters(), lr=recipe.lr_g, betas=recipe.betas)

    def batches():  # noqa: ANN202 - endless epochs, as a training run would do
        while True:
            yield from loader

    def step(real: torch.Tensor) -> int:
        real = real.to(device)
        b = len(real)
        D.zero_grad()
        out = D(real)
        err_real = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        err_real.backward()
        d_x = torch.sigmoid(out).mean().item()
        fake = G(torch.randn(b, recipe.latent_dim, 1, 1, device=device))
        out = D(fake.detach())
        err_fake = F.binary_cross_entropy_with_logits(out, torch.zeros_like(out))
        err_fake.backward()
        d_g_z1 = torch.sigmoid(out).mean().item()
        opt_d.step()
        G.zero_grad()
        out = D(fake)
        err_g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        err_g.backward()
        d_g_z2 = torch.sigmoid(out).mean().item()
        opt_g.step()
        _ = (err_real.item() + err_fake.item(), err_g.item(), d_x, d_g_z1, d_g_z2)  # the tutorial's log line
        return b

    it = batches()
    for _ in range(warmup):
        step(next(it)[0])
    sync(device)
    images, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        images += step(next(it)[0])
    sync(device)
    return {"images": images, "seconds": time.perf_counter() - start}


#: Variant name -> (``build(precision=...)``, channels_last as the recipe decides it).
FIT_VARIANTS = {
    "fit": ("auto", True),
    "fit-fp32": ("fp32", True),
    "fit-bf16": ("bf16", True),
    "fit-fp16": ("fp16", True),
    "fit-nchw": ("auto", False),
}


def fast_path(images: torch.Tensor, device: torch.device, seconds: float, variant: str) -> dict:
    """``helpers.fit`` on the ``article-dcgan-cats`` recipe in the precision and layout of ``variant``."""
    precision, channels_last = FIT_VARIANTS[variant]
    recipe = dataclasses.replace(recipes.get_recipe(RECIPE), channels_last=channels_last)
    setup = recipes.build(recipe, device, images=images, precision=precision)

    def run(seconds: float) -> tuple[int, float]:
        sync(device)
        start = time.perf_counter()
        history = setup.fit(max_seconds=seconds, progress=False)
        sync(device)
        return history.steps, time.perf_counter() - start

    for _ in range(2):  # warm-up: kernels chosen (fit always does at least one step)
        run(max(1.0, seconds / 10))
    steps, dt = run(seconds)
    return {
        "images": steps * setup.data.batch_size,
        "seconds": dt,
        "precision": str(setup.precision),
        "channels_last": setup.data.images.is_contiguous(memory_format=torch.channels_last),
    }


def main() -> None:
    """Parse arguments, time each variant, print JSON lines and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: the fastest available)")
    parser.add_argument("--seconds", type=float, default=30.0, help="timed training per variant")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps of the reference loop first")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the reference loop")
    parser.add_argument(
        "--variants", default="reference,fit", help=f"comma-separated: reference, {', '.join(FIT_VARIANTS)}"
    )
    args = parser.parse_args()
    device = get_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(recipes.cpu_cores())
    threads = torch.get_num_threads()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = image_folder_root(Path(tmp))
        tensor = load_cat_faces(root)  # decoded once (cached as .npy in the cache folder)
        for name in args.variants.split(","):
            if name == "reference":
                r = reference(root, device, args.seconds, args.warmup, args.workers)
            elif name in FIT_VARIANTS:
                r = fast_path(tensor, device, args.seconds, name)
            else:
                raise SystemExit(f"unknown variant {name!r}")
            row = {
                "variant": name,
                "device": str(device),
                "threads": threads,
                "images": r["images"],
                "seconds": round(r["seconds"], 1),
                "images_per_s": round(r["images"] / r["seconds"], 1),
                **{k: r[k] for k in ("precision", "channels_last") if k in r},
            }
            print(json.dumps(row), flush=True)
            results.append(row)
    base = next((r for r in results if r["variant"] == "reference"), None)
    if base is not None:
        for r in results:
            if r is not base:
                print(
                    f"{r['variant']}: {r['images_per_s'] / base['images_per_s']:.2f}x the reference loop "
                    f"({r['images_per_s']:.0f} vs {base['images_per_s']:.0f} images/s on {r['device']})"
                )


if __name__ == "__main__":
    main()
