"""Device choice, platform detection, seeding, FAST mode and the runtime description."""

from __future__ import annotations

import pytest
import torch

from helpers import fast_or_full, get_device, seed_everything
from helpers.data import describe_runtime
from helpers.infra import env
from helpers.infra.env import detect_platform


def test_get_device_defaults_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GAN_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert get_device().type == expected
    monkeypatch.setenv("GAN_DEVICE", "cpu")
    assert get_device().type == "cpu"
    assert get_device("cpu").type == "cpu"


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


def test_seed_everything_repeats() -> None:
    seed_everything(3)
    a = torch.randn(5)
    seed_everything(3)
    assert torch.equal(a, torch.randn(5))


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
