"""Device choice, platform detection, seeding, FAST mode and the runtime description."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from helpers import describe_runtime, fast_or_full, get_device, seed_everything
from helpers.infra import env
from helpers.infra.env import detect_platform


@pytest.mark.parametrize(
    "cuda, mps, expected", [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu"), (True, False, "cuda")]
)
def test_get_device_takes_cuda_then_mps_then_the_cpu(monkeypatch, cuda: bool, mps: bool, expected: str) -> None:
    monkeypatch.delenv("GAN_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert get_device() == torch.device(expected)
    monkeypatch.setenv("GAN_DEVICE", "cpu")  # the override wins over whatever is there
    assert get_device() == torch.device("cpu") and get_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on machines without CUDA")
def test_asking_for_missing_cuda_says_what_to_do() -> None:
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        get_device("cuda")


def test_detect_platform(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(env, "KAGGLE_INPUT", tmp_path / "absent")
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    assert detect_platform() == "local"
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    assert detect_platform() == "kaggle"
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab")
    assert detect_platform() == "colab"


def test_seed_everything_repeats_every_generator_a_notebook_draws_from() -> None:
    def draws() -> tuple:
        return random.random(), np.random.rand(), torch.randn(3)

    seed_everything(3)
    a = draws()
    seed_everything(3)
    b = draws()
    seed_everything(4)
    c = draws()
    assert a[:2] == b[:2] and torch.equal(a[2], b[2])
    assert a[0] != c[0] and a[1] != c[1] and not torch.equal(a[2], c[2])


def test_fast_or_full_follows_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "FAST", True)
    assert fast_or_full(1, 2) == 1
    monkeypatch.setattr(env, "FAST", False)
    assert fast_or_full(1, 2) == 2


def test_describe_runtime_names_everything(no_data) -> None:
    text = describe_runtime(torch.device("cpu"))
    for key in ("platform", "device", "torch", "mode", "MNIST", "cat faces"):
        assert key in text
    assert "not found yet" in text


@pytest.mark.parametrize(("omp", "wanted", "threads"), [(None, 2, 2), ("1", 2, 1), ("8", 2, 2), ("3", None, None)])
def test_cpu_threads_keeps_to_omp_num_threads_when_it_is_set(monkeypatch, omp, wanted, threads) -> None:
    """The command line's thread count: the recipe's, capped by a user's OMP_NUM_THREADS (make test sets it)."""
    monkeypatch.setattr(env, "cpu_cores", lambda: 4)
    if omp is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert env.cpu_threads(wanted) == (threads or 3)


def test_a_bad_omp_num_threads_says_what_to_set(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="OMP_NUM_THREADS='two' is not a positive whole number"):
        env.cpu_threads(2)
