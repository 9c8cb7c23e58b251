"""What every setup cell prints: where the notebook runs, and where each dataset will come from."""

from __future__ import annotations

import platform

import torch
import torchvision

from .data.sources import find_data_locations
from .infra import env


def describe_runtime(device: torch.device | None = None) -> str:
    """A few lines that say where this notebook runs and which data it will find.

    Printed by every setup cell, so a learner (or a bug report) shows the platform,
    device, versions and data locations at a glance.
    """
    device = device or env.get_device()
    lines = [
        f"platform     : {env.detect_platform()} (Python {platform.python_version()})",
        f"device       : {device.type} - {env.device_name(device)}",
        f"torch        : {torch.__version__}, torchvision {torchvision.__version__}",
        f"mode         : {'FAST (GAN_FAST=1: small data, few epochs)' if env.FAST else 'full settings'}",
    ]
    for name, where in find_data_locations().items():
        lines.append(f"{name:<13}: {where}")
    return "\n".join(lines)
