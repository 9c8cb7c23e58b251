"""Everything of the series that needs a GPU to be checked, in one command: a line per check, exit 1 on a failure.

    python scripts/gpu_check.py                          # on CUDA; a few minutes on one H200
    python scripts/gpu_check.py --device cpu --skip notebooks,throughput   # the mechanics, on a CPU

Checks (all in FAST mode, ``GAN_FAST=1``; real data where ``GAN_DATA_DIR`` points, else the stand-ins):

* ``notebook NN``: each notebook's py:percent twin, top to bottom, with ``GAN_DEVICE`` set to the device
  (needs IPython and ipywidgets; on a machine without them, install or carry their wheels first).
* ``resume RECIPE``: ``python -m helpers train RECIPE --epochs 1``, then ``--epochs 2`` into the same folder:
  it must say "resuming" and end after 2 epochs, for every recipe.
* ``cross-device A->B``: a run checkpointed on device A resumed on device B (CPU and the GPU, both ways).
* ``fp16``: ``dcgan-cats`` with ``--precision fp16`` (what GPUs without native bf16 get): 3 epochs, finite
  losses, a finite gradient scale.
* ``autocast WORD``: in this process, both networks' outputs come out in that dtype under ``fit`` of a step in
  that precision (``bf16``, ``fp16``), and autocast is off again afterwards.
* ``same latents``: one seed draws the same latent vectors, and so the same samples, on the CPU and on the device
  (up to the device's arithmetic), and training's random stream is left alone.
* ``throughput``: ``benchmarks/dcgan_throughput.py`` on the device, every variant, its ratios printed.

The subprocess checks run side by side (the machine's cores and the GPU are shared by them: this is a
correctness check, not a timing); the throughput benchmark runs last and alone.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers import TensorBatches, draw_samples, fit, train_step  # noqa: E402
from helpers.infra.precision import choose_precision
from helpers.models import MLPDiscriminator, MLPGenerator
from helpers.recipes import RECIPES
from helpers.sampling import Noise

Result = tuple[bool, str]


def tail(text: str, lines: int = 3) -> str:
    """The last ``lines`` lines of ``text`` on one line, for a summary."""
    return " | ".join(text.strip().splitlines()[-lines:])[-400:]


def run(cmd: list[str], *, device: str | None = None, timeout: float = 300, cwd: Path = ROOT) -> Result:
    """Run ``cmd`` in FAST mode; (exit code 0, its whole output)."""
    env = {**os.environ, "GAN_FAST": "1", "GAN_OFFLINE": "1", "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    if device is not None:
        env["GAN_DEVICE"] = device
    try:
        out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:.0f} s"
    return out.returncode == 0, out.stdout + out.stderr


def notebook(path: Path, device: str) -> Result:
    """Execute a notebook's py twin as a script, in a scratch folder (its run files stay out of the tree)."""
    with tempfile.TemporaryDirectory() as tmp:
        ok, log = run([sys.executable, str(path)], device=device, timeout=420, cwd=Path(tmp))
        return ok, tail(log)


def train_twice(recipe: str, first: str, second: str, *extra: str) -> Result:
    """Train 1 epoch on ``first``, then resume to 2 epochs on ``second``; check the resumed history."""
    with tempfile.TemporaryDirectory() as tmp:
        base = [sys.executable, "-m", "helpers", "train", recipe, "--limit", "512", "--quiet", "--out", tmp, *extra]
        ok, log = run([*base, "--epochs", "1", "--device", first])
        if not ok:
            return False, f"first run: {tail(log)}"
        ok, log = run([*base, "--epochs", "2", "--device", second])
        if not ok or "resuming" not in log:
            return False, f"resumed run: {tail(log)}"
        history = json.loads(Path(tmp, "history.json").read_text())
        finite = all(abs(v) < float("inf") for v in history["stats"]["loss_d"] + history["stats"]["loss_g"])
        return len(history["epoch_end_step"]) == 2 and finite, tail(log, 1)


def fp16(device: str) -> Result:
    """The float16 + gradient scaler path on the cat DCGAN: it trains, nothing diverges."""
    with tempfile.TemporaryDirectory() as tmp:
        ok, log = run(
            [
                sys.executable,
                "-m",
                "helpers",
                "train",
                "dcgan-cats",
                "--precision",
                "fp16",
                "--epochs",
                "3",
                "--limit",
                "1024",
                "--device",
                device,
                "--quiet",
                "--out",
                tmp,
            ]
        )
        return ok and "float16 autocast + gradient scalers" in log, tail(log, 2)


def autocast_dtypes(device: str, precision: str) -> Result:
    """Both networks' outputs in the dtype of ``precision`` (``"bf16"``, ``"fp16"``) under ``fit`` on ``device``."""
    chosen = choose_precision(device, precision)
    torch.manual_seed(0)
    G = MLPGenerator(8, (16,), image_shape=(1, 4, 4)).to(device)
    D = MLPDiscriminator((1, 4, 4), hidden=(16,)).to(device)
    seen: dict[str, set] = {"G": set(), "D": set()}
    G.register_forward_hook(lambda m, i, out: seen["G"].add(out.dtype))
    D.register_forward_hook(lambda m, i, out: seen["D"].add(out.dtype))
    data = TensorBatches(torch.randint(0, 256, (64, 1, 4, 4), dtype=torch.uint8), 8, device)
    opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())

    def step(real: torch.Tensor) -> dict[str, torch.Tensor]:
        return train_step(G, D, real, Noise(8, device), opt_g, opt_d, precision=chosen)

    fit(step, data, state={"G": G, "D": D} | chosen.scalers(), epochs=2, progress=False)
    off = not torch.is_autocast_enabled(torch.device(device).type)
    return seen == {
        "G": {chosen.dtype},
        "D": {chosen.dtype},
    } and off, f"output dtypes {seen}, autocast off after: {off}"


def same_latents(device: str) -> Result:
    """The same seed draws the same samples on the CPU and on ``device`` (the noise comes from a CPU generator), and
    the device's global random state is left as it was."""
    torch.manual_seed(0)
    G = MLPGenerator(8, (16,), image_shape=(1, 4, 4))
    on_cpu = draw_samples(G, Noise(8, "cpu"), 64, seed=3)
    G = G.to(device)
    before = torch.cuda.get_rng_state(device) if device.startswith("cuda") else None
    on_device = draw_samples(G, Noise(8, device), 64, seed=3)
    after = torch.cuda.get_rng_state(device) if device.startswith("cuda") else None
    gap = float((on_cpu - on_device).abs().max())
    untouched = before is None or torch.equal(before, after)
    return gap < 1e-3 and untouched, f"largest difference {gap:.2e}, device RNG untouched: {untouched}"


def parse_args() -> argparse.Namespace:
    """The command line: ``--device``, ``--seconds`` per throughput variant, ``--skip`` groups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--seconds", type=float, default=8.0, help="timed seconds per throughput variant")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated groups to skip: notebooks, resume, cross-device, fp16, autocast, latents, throughput",
    )
    return parser.parse_args()


def side_by_side_checks(gpu: str, skip: set[str]) -> dict[str, Callable[[], Result]]:
    """The subprocess checks, by name, that run side by side: notebooks, resume, cross-device, fp16 (less ``skip``)."""
    jobs: dict[str, Callable[[], Result]] = {}
    if "notebooks" not in skip:
        for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
            jobs[f"notebook {path.stem[:2]}"] = lambda p=path: notebook(p, gpu)
    if "resume" not in skip:
        for recipe in sorted(RECIPES):
            jobs[f"resume {recipe}"] = lambda r=recipe: train_twice(r, gpu, gpu)
    if "cross-device" not in skip:
        jobs[f"cross-device cpu->{gpu}"] = lambda: train_twice("dcgan-mnist", "cpu", gpu)
        jobs[f"cross-device {gpu}->cpu"] = lambda: train_twice("dcgan-mnist", gpu, "cpu")
    if "fp16" not in skip:
        jobs["fp16"] = lambda: fp16(gpu)
    return jobs


def throughput(gpu: str, seconds: float) -> Result:
    """``benchmarks/dcgan_throughput.py`` on ``gpu``, every variant: its log printed, its ratios as the detail."""
    ok, log = run(
        [
            sys.executable,
            "benchmarks/dcgan_throughput.py",
            "--device",
            gpu,
            "--seconds",
            str(seconds),
            "--variants",
            "reference,fit,fit-fp32,fit-bf16,fit-fp16",
        ],
        timeout=400,
    )
    print(log, flush=True)
    return ok, " | ".join(line.split(" (")[0] for line in log.splitlines() if "x the reference" in line)


def timed(key: str, check: Callable[[], Result], results: dict[str, tuple[bool, str, float]]) -> None:
    """Run ``check``, store (passed, detail, seconds) as ``results[key]`` and print its line."""
    start = time.perf_counter()
    try:
        ok, detail = check()
    except Exception as exc:  # a check that crashes is a failed check, reported like the others
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    results[key] = (ok, detail, time.perf_counter() - start)
    print(f"{'PASS' if ok else 'FAIL'} {key} ({results[key][2]:.0f} s): {detail}", flush=True)


def summary(results: dict[str, tuple[bool, str, float]], started: float) -> int:
    """Print how many checks passed and which failed since ``started``; the exit status (1 on any failure)."""
    failed = [k for k, (ok, _, _) in results.items() if not ok]
    print(
        f"gpu_check: {len(results) - len(failed)} passed, {len(failed)} failed "
        f"in {time.perf_counter() - started:.0f} s" + (f" (failed: {', '.join(failed)})" if failed else "")
    )
    return 1 if failed else 0


def main() -> None:
    """Run the checks, print a line each and a summary; exit 1 on any failure."""
    args = parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("no CUDA GPU is visible: run on a GPU machine, or pass --device cpu")
    gpu = args.device
    started = time.perf_counter()
    name = torch.cuda.get_device_name(gpu) if gpu.startswith("cuda") else "CPU"
    print(f"gpu_check on {gpu} ({name}), torch {torch.__version__}, FAST mode", flush=True)

    results: dict[str, tuple[bool, str, float]] = {}
    jobs = side_by_side_checks(gpu, skip)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(8, (os.cpu_count() or 2) // 2))) as pool:
        list(pool.map(lambda key: timed(key, jobs[key], results), jobs))
    if "autocast" not in skip:
        for precision in ("bf16", "fp16"):
            timed(f"autocast {precision}", lambda p=precision: autocast_dtypes(gpu, p), results)
    if "latents" not in skip:
        timed("same latents", lambda: same_latents(gpu), results)
    if "throughput" not in skip:
        timed("throughput", lambda: throughput(gpu, args.seconds), results)
    sys.exit(summary(results, started))


if __name__ == "__main__":
    main()
