"""The cat recipes (``article-dcgan-cats``, ``dcgan-cats``): networks, fast path, resuming a killed CLI training."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from helpers.data import standin_cat_faces
from helpers.infra.precision import cpu_has_native_bf16
from helpers.recipes import RECIPES, build, get_recipe

ROOT = Path(__file__).resolve().parents[1]


def test_recipe_shapes_init_and_layout() -> None:
    setup = build("article-dcgan-cats", "cpu", images=standin_cat_faces(256), precision="auto")
    recipe = setup.recipe
    assert (recipe.latent_dim, recipe.batch_size, recipe.lr_g, recipe.betas) == (128, 128, 2e-4, (0.5, 0.999))
    z = setup.noise(4)
    fake = setup.G(z)
    assert z.shape == (4, 128) and fake.shape == (4, 3, 64, 64)
    assert -1 <= fake.min() and fake.max() <= 1
    assert setup.D(fake).shape == (4,)
    convs = [m for m in setup.G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [512, 256, 128, 64, 3]
    assert all(c.bias is None for c in convs)
    assert abs(convs[1].weight.std().item() - 0.02) < 0.002  # DCGAN init, not PyTorch's default
    batch = next(iter(setup.data))
    assert batch.shape == (128, 3, 64, 64)
    # CPU fast path: bf16 autocast + channels_last only where the CPU has bf16 instructions
    native = cpu_has_native_bf16()
    assert batch.is_contiguous(memory_format=torch.channels_last) is native
    assert convs[1].weight.is_contiguous(memory_format=torch.channels_last) is native
    assert setup.precision.dtype is (torch.bfloat16 if native else torch.float32)
    assert str(setup.precision) == ("bfloat16 autocast" if native else "float32")
    assert not any(s.is_enabled() for s in setup.precision.scalers().values())
    assert build("article-dcgan-cats", "cpu", images=standin_cat_faces(256)).precision.dtype == torch.float32
    assert not RECIPES["vanilla-gan-mnist"].channels_last and not RECIPES["vanilla-gan-mnist"].dcgan_init


def test_the_series_recipe_is_the_articles_networks_at_half_the_width() -> None:
    series, article = RECIPES["dcgan-cats"], RECIPES["article-dcgan-cats"]
    setup = build(series, "cpu", images=standin_cat_faces(64))
    convs = [m for m in setup.G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [256, 128, 64, 32, 3]
    assert (series.batch_size, series.lr_g, series.lr_d, series.ema_decay) == (32, 2e-4, 2e-4, 0.999)
    assert setup.G_ema is not None and next(iter(setup.data)).shape == (32, 3, 64, 64)
    assert (series.latent_dim, series.betas, series.noise) == (article.latent_dim, article.betas, article.noise)
    assert "article-dcgan-cats" in series.description  # the old name of the article's recipe says the new one


def test_killed_training_resumes(tmp_path) -> None:
    """SIGKILL a run after its first checkpoint; the same command resumes and ends at --epochs."""
    run = tmp_path / "cats"
    cmd = [
        sys.executable,
        "-m",
        "helpers",
        "train",
        "dcgan-cats",
        "--epochs",
        "3",
        "--limit",
        "256",
        "--device",
        "cpu",
        "--track",
        "0",
        "--quiet",
        "--out",
        str(run),
    ]
    env = {**os.environ, "GAN_FAST": "1", "GAN_OFFLINE": "1", "GAN_DEVICE": "cpu"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (run / "checkpoint.pt").exists():
            assert proc.poll() is None, f"training ended before its first checkpoint:\n{proc.stdout.read()}"
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (run / "history.json").exists()  # it really stopped before the end
    saved = torch.load(run / "checkpoint.pt", weights_only=True)
    assert 1 <= saved["epoch"] < 3

    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "resuming" in result.stdout
    history = json.loads((run / "history.json").read_text())
    steps = 256 // get_recipe("dcgan-cats").batch_size  # an epoch of 256 images; 3 epochs
    assert history["epoch_end_step"] == [steps, 2 * steps, 3 * steps]
    assert len(history["stats"]["loss_d"]) == 3 * steps and (run / "samples.png").exists()
