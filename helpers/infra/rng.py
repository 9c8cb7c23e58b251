"""Random numbers that leave the training's random stream alone, and latent draws that are the same on every device."""

from __future__ import annotations

import contextlib

import torch


def forked_rng(device: torch.device | str) -> contextlib.AbstractContextManager:
    """``with forked_rng(device):`` random numbers drawn inside leave torch's global generators as they were:
    the CPU's, and ``device``'s own where it is not the CPU. So a sampler or a score called mid-training does
    not change the training's random stream (and exact resume)."""
    device = torch.device(device)
    return torch.random.fork_rng(devices=[] if device.type == "cpu" else None, device_type=device.type)


def cpu_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed``: what every seeded draw of the series uses, then moves to its
    device, so one seed gives the same numbers on CPU, CUDA and MPS (device generators differ from the CPU's)."""
    return torch.Generator().manual_seed(seed)
