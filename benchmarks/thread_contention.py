"""Why ``make test`` sets ``OMP_NUM_THREADS=1``: two jobs side by side, each with 1 torch thread or with 2.

    python benchmarks/thread_contention.py [--jobs 2] [--steps 200]

``make test`` runs two pytest workers on a 2-core machine. Each job here trains the same small autoencoder
(notebook 01's sizes: 784-512-256-16 and back, batch 256) for ``--steps`` Adam steps; the jobs of one setting
start together, and the printed time is the slowest job's. The ratio compares the two settings on the same
machine in the same run. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

JOB = """
import sys, time, torch
from torch import nn
import torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
enc = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 16))
dec = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784), nn.Tanh())
opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()])
x = torch.rand(256, 784) * 2 - 1
for _ in range(int(sys.argv[2])):
    loss = F.mse_loss(dec(enc(x)), x)
    opt.zero_grad()
    loss.backward()
    opt.step()
    loss.item()
"""


def side_by_side(jobs: int, threads: int, steps: int) -> float:
    """Seconds until the last of ``jobs`` simultaneous jobs of ``threads`` torch threads each has finished."""
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", JOB, str(threads), str(steps)]) for _ in range(jobs)]
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a job failed (exit {proc.returncode})")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    one = side_by_side(args.jobs, 1, args.steps)
    two = side_by_side(args.jobs, 2, args.steps)
    print(f"{args.jobs} jobs x {args.steps} steps: 1 thread each {one:.1f} s, 2 threads each {two:.1f} s", end="")
    print(f" (ratio {two / one:.1f})")


if __name__ == "__main__":
    main()
