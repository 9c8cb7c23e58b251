"""Train the cat-face feature network behind ``helpers.scores.cats`` and store it with the real faces' statistics.

Run from the repository root with the faces at hand (``GAN_DATA_DIR`` or Kaggle)::

    python scripts/train_cat_features.py                  # rotation prediction, writes the weights file
    python scripts/train_cat_features.py --compare 100    # 100 s of each task, prints the calibration, writes nothing

Writes ``helpers/weights/cat_features.pt``: the network (float16), the mean and covariance of its features
on the 90 % of the faces it trained on (float64, the Fréchet reference), 2,000 of those features (float16,
the KID reference) and the run's settings. The other 10 % (``helpers.scores.cats.held_out_split``) is never
trained on: it is the real-vs-real check. Deterministic for a given seed on one machine.

The label-free task (``--task``): ``rotation`` (predict which of 0/90/180/270 degrees a face was turned by)
or ``contrastive`` (SimCLR: two random crops and flips of a face must find each other in the batch; no
colour jitter, so colour stays in the features). Chosen by ``--compare``: see ``benchmarks/README.md``.

Measured (2026-11-30, the committed file): 8 epochs of rotation prediction trained in 165 s, about 4 minutes
with data loading and the statistics, on a 2-core x86-64 CPU (AMD EPYC, AVX512-BF16; torch 2.13.0, 2
threads, shared with other jobs). Final training loss 0.020 (chance: ln 4 = 1.39).
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import roi_align

from helpers import load_cat_faces, seed_everything
from helpers.scores.cats import WEIGHTS, CatFeatureNet, distorted_sets, feature_distances, held_out_split
from helpers.scores.distances import gaussian_stats

KID_REFERENCE = 2000


def shift_and_flip(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Per image: a random horizontal flip and a random shift of up to 4 px (reflect-padded crop)."""
    n = len(x)
    flip = torch.rand(n, generator=g) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    pad = F.pad(x, (4, 4, 4, 4), mode="reflect")
    dx, dy = torch.randint(0, 9, (2, n), generator=g)
    boxes = torch.stack([dx, dy, dx + 64, dy + 64], 1).float()
    return roi_align(pad, [b.unsqueeze(0) for b in boxes], output_size=64, aligned=True)


def random_crops(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Per image: a random square crop of 50-100 % of the side, resized to 64 px, and a random flip."""
    n = len(x)
    side = 64 * (0.5 + 0.5 * torch.rand(n, generator=g)).sqrt()
    x0 = torch.rand(n, generator=g) * (64 - side)
    y0 = torch.rand(n, generator=g) * (64 - side)
    boxes = torch.stack([x0, y0, x0 + side, y0 + side], 1)
    out = roi_align(x, [b.unsqueeze(0) for b in boxes], output_size=64, sampling_ratio=2, aligned=True)
    flip = torch.rand(n, generator=g) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), out.flip(3), out)


def rotation_loss(model: CatFeatureNet, x: torch.Tensor, g: torch.Generator, _: nn.Module) -> torch.Tensor:
    """Cross-entropy of predicting each image's random quarter turn."""
    x = shift_and_flip(x, g)
    k = torch.randint(0, 4, (len(x),), generator=g)
    turned = torch.cat([torch.rot90(x[k == r], r, dims=(2, 3)) for r in range(4)])
    labels = torch.cat([torch.full((int((k == r).sum()),), r) for r in range(4)])
    return F.cross_entropy(model(turned), labels)


def contrastive_loss(model: CatFeatureNet, x: torch.Tensor, g: torch.Generator, head: nn.Module) -> torch.Tensor:
    """NT-Xent (temperature 0.2) between two random crops of each image, through a projection head."""
    z = F.normalize(head(model.embed(torch.cat([random_crops(x, g), random_crops(x, g)]))), dim=1)
    n = len(x)
    logits = z @ z.T / 0.2
    logits.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, targets)


TASKS = {"rotation": rotation_loss, "contrastive": contrastive_loss}


def train(task: str, faces: torch.Tensor, seconds: float | None, epochs: int | None, seed: int) -> CatFeatureNet:
    """Adam, batch 256, for ``epochs`` passes or ``seconds`` of wall time over uint8 ``faces``."""
    seed_everything(seed)
    g = torch.Generator().manual_seed(seed)
    model = CatFeatureNet()
    head = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 64))
    params = list(model.parameters()) + (list(head.parameters()) if task == "contrastive" else [])
    opt = torch.optim.Adam(params, lr=2e-3, weight_decay=1e-5)
    batch = 256
    steps_per_epoch = len(faces) // batch
    total = steps_per_epoch * epochs if epochs else None
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=total) if total else None
    start, step, epoch = time.perf_counter(), 0, 0
    model.train()
    while True:
        perm = torch.randperm(len(faces), generator=g)
        running = 0.0
        for i in range(steps_per_epoch):
            x = faces[perm[i * batch : (i + 1) * batch]].float() / 255
            loss = TASKS[task](model, x, g, head)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            running += loss.item()
            step += 1
            if seconds and time.perf_counter() - start > seconds:
                break
        epoch += 1
        took = time.perf_counter() - start
        print(f"{task} epoch {epoch}: loss {running / max(1, i + 1):.4f}, {step} steps, {took:.0f} s", flush=True)
        if (epochs and epoch >= epochs) or (seconds and took > seconds):
            return model.eval()


@torch.no_grad()
def embed(model: CatFeatureNet, faces: torch.Tensor) -> torch.Tensor:
    return torch.cat([model.embed(faces[i : i + 500].float() / 255).double() for i in range(0, len(faces), 500)])


@torch.no_grad()
def calibration(model: CatFeatureNet, train_faces: torch.Tensor, held: torch.Tensor) -> dict[str, dict]:
    """Distances of the held-out faces and of their damaged copies to the training faces' features."""
    ref = embed(model, train_faces)
    rows = {"held-out real": feature_distances(ref, embed(model, held))}
    for name, images in distorted_sets(held).items():
        rows[name] = feature_distances(ref, embed(model, (images * 255).round().to(torch.uint8)))
    return rows


def print_rows(title: str, rows: dict[str, dict]) -> None:
    base = rows["held-out real"]["frechet_distance"]
    print(f"{title}: set, FD, FD / FD(held-out real), KID x 1000")
    for name, r in rows.items():
        fd, kid = r["frechet_distance"], r["kid_x1000"]
        print(f"  {name:20s} {fd:10.3f} {fd / base:8.1f} {kid:10.3f} +- {r['kid_x1000_std']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=list(TASKS), default="rotation")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--restat", action="store_true", help="only recompute the reference of the stored network")
    parser.add_argument(
        "--compare", type=float, default=None, help="train every task this many seconds, print, save nothing"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    faces = load_cat_faces()
    train_idx, held_idx = held_out_split(len(faces))
    train_faces, held = faces[train_idx], faces[held_idx]
    if args.compare:
        seed_everything(args.seed)
        print_rows("untrained network", calibration(CatFeatureNet().eval(), train_faces, held))
        for task in TASKS:
            model = train(task, train_faces, args.compare, None, args.seed)
            print_rows(f"{task}, {args.compare:g} s", calibration(model, train_faces, held))
        return
    if args.restat:
        state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
        model = CatFeatureNet(**state["config"])
        model.load_state_dict({k: v.float() for k, v in state["model"].items()})
        took, task, epochs = state["train_seconds"], state["task"], state["epochs"]
    else:
        start = time.perf_counter()
        model = train(args.task, train_faces, None, args.epochs, args.seed)
        took, task, epochs = time.perf_counter() - start, args.task, args.epochs
    save(model.eval(), train_faces, held, task, epochs, args.seed, took)


def save(
    model: CatFeatureNet, train_faces: torch.Tensor, held: torch.Tensor, task: str, epochs: int, seed: int, took: float
) -> None:
    """Round the weights to float16 (as shipped), scale the features, compute the reference, write the file."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point() and name != "scale":
                tensor.copy_(tensor.half().float())
        model.scale.fill_(1.0)
        raw = embed(model, train_faces)
        # mean square feature 1: kernel values (a . b / 128 + 1)^3 of order 8, KID in the usual range
        model.scale.fill_(float((raw.shape[1] / raw.square().sum(1).mean()).sqrt()))
    rows = calibration(model, train_faces, held)
    print_rows(f"{task}, {epochs} epochs", rows)
    feats = embed(model, train_faces)
    mu, sigma = gaussian_stats(feats)
    kid_rows = torch.randperm(len(feats), generator=torch.Generator().manual_seed(seed))[:KID_REFERENCE]
    state = {
        "model": {k: v.half() if v.is_floating_point() and k != "scale" else v for k, v in model.state_dict().items()},
        "config": {"width": 32, "num_features": 128},
        "ref_mu": mu,
        "ref_sigma": sigma,
        "ref_kid": feats[kid_rows].half(),
        "task": task,
        "epochs": epochs,
        "seed": seed,
        "train_faces": len(train_faces),
        "train_seconds": round(took),
    }
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, WEIGHTS)
    print(f"wrote {WEIGHTS} ({WEIGHTS.stat().st_size / 1e6:.2f} MB); trained in {took:.0f} s")


if __name__ == "__main__":
    main()
