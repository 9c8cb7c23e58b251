"""Precision per device, asked for in the CLI's words (bf16 only where native, fp16 with a gradient scaler on older
CUDA), the objects it supplies (a real autocast and a real scaler, disabled for float32), applied to both networks,
and the float16 path's skipped steps, which are not divergence."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from test_train import params, tiny

from helpers import fit, train_step
from helpers.infra.env import FLOAT32, PRECISIONS, Precision, choose_precision

F32, BF16, F16 = torch.float32, torch.bfloat16, torch.float16


@pytest.mark.parametrize(
    "capability, request_, expected",
    [
        ((9, 0), "auto", F32),  # H100/H200: float32 (TF32 convolutions) measured fastest
        ((8, 0), "auto", F32),
        ((8, 0), "bf16", BF16),
        ((7, 5), "auto", F16),  # T4: float16 tensor cores, although recent torch says it "supports" bf16 (emulated)
        ((7, 0), "fp32", F32),
        ((6, 0), "bf16", BF16),  # asked for explicitly
        ((8, 6), "fp16", F16),
    ],
)
@pytest.mark.filterwarnings("ignore:.*CUDA is not available")  # building a CUDA autocast and scaler on a CPU machine
def test_cuda_precision_follows_the_compute_capability(monkeypatch, capability, request_, expected) -> None:
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert choose_precision("cuda", request_) == Precision("cuda", expected)
    assert choose_precision("cuda", request_, cpu_bf16=True).dtype == expected  # a CPU preference, not CUDA's


@pytest.mark.parametrize("native", [True, False])
def test_each_word_maps_to_its_precision_on_cpu_and_mps(monkeypatch, native: bool) -> None:
    monkeypatch.setattr("helpers.infra.env.cpu_has_native_bf16", lambda: native)
    for device in ("cpu", "mps"):
        assert choose_precision(device) == Precision(device, F32)
        assert choose_precision(device, "fp32") == Precision(device, F32)
    # a recipe's cpu_bf16 (dcgan-cats): bf16 on a CPU with native bf16 only, float32 elsewhere
    assert choose_precision("cpu", "auto", cpu_bf16=True).dtype == (BF16 if native else F32)
    assert choose_precision("mps", "auto", cpu_bf16=True).dtype == F32
    assert choose_precision("cpu", "bf16") == Precision("cpu", BF16)  # asked for: any CPU
    assert choose_precision("cpu", "fp16") == Precision("cpu", F16)
    for word in ("bf16", "fp16"):
        with pytest.raises(ValueError, match="not mps; pass precision='auto' or 'fp32'"):
            choose_precision("mps", word)


@pytest.mark.parametrize("bad", ["amp", "float16", "", True, None, torch.bfloat16])
def test_a_request_that_is_not_one_of_the_words_is_a_clear_error(bad: object) -> None:
    assert PRECISIONS == ("auto", "fp32", "bf16", "fp16")
    with pytest.raises(ValueError, match="use one of 'auto', 'fp32', 'bf16', 'fp16'"):
        choose_precision("cpu", bad)


def test_a_precision_always_supplies_a_real_autocast_and_scaler() -> None:
    """Disabled for float32 (and the scaler for bf16), enabled where they act; the wording notebooks print."""
    for dtype, words, scaled in [
        (F32, "float32", False),
        (BF16, "bfloat16 autocast", False),
        (F16, "float16 autocast + gradient scaler", True),
    ]:
        precision = Precision("cpu", dtype)
        assert str(precision) == words
        assert isinstance(precision.autocast, torch.autocast) and isinstance(precision.scaler, torch.amp.GradScaler)
        with precision.autocast:
            assert torch.is_autocast_enabled("cpu") is (dtype != F32)
            assert torch.ones(2, 2).mm(torch.ones(2, 2)).dtype == (dtype if dtype != F32 else F32)
        assert precision.scaler.is_enabled() is scaled
    assert FLOAT32 == Precision("cpu") and str(FLOAT32) == "float32"
    with pytest.raises(ValueError, match="torch.float32, torch.bfloat16 or torch.float16"):
        Precision("cpu", torch.float64)


def _textbook_step(G, D, real, noise, opt_g, opt_d) -> None:  # noqa: ANN001
    """One training step in plain float32 PyTorch: no autocast, no scaler."""
    fake = G(noise(len(real)))
    opt_d.zero_grad(set_to_none=True)
    logits_real, logits_fake = D(real), D(fake.detach())
    loss_d = F.binary_cross_entropy_with_logits(
        logits_real, torch.ones_like(logits_real)
    ) + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    logits = D(fake)
    F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)).backward()
    opt_g.step()


@pytest.mark.parametrize("precision", [None, "fp32"], ids=["default", "fp32"])
def test_float32_steps_train_exactly_as_plain_pytorch(precision: str | None) -> None:
    """The disabled autocast and scaler change no number: the same weights as the textbook loop, bit for bit."""
    G, D, data, opt_g, opt_d, noise = tiny()
    for real in list(data)[:3]:
        _textbook_step(G, D, real, noise, opt_g, opt_d)
    expected_g, expected_d = params(G), params(D)
    G, D, data, opt_g, opt_d, noise = tiny()
    options = {} if precision is None else {"precision": choose_precision("cpu", precision)}
    for real in list(data)[:3]:
        train_step(G, D, real, noise, opt_g, opt_d, **options)
    assert torch.equal(params(G), expected_g) and torch.equal(params(D), expected_d)


@pytest.mark.parametrize("word, dtype", [("bf16", BF16), ("fp16", F16)])
def test_both_networks_run_under_autocast(word: str, dtype: torch.dtype) -> None:
    """G's forward pass too: before, it ran outside the autocast block and stayed float32 on every device."""
    G, D, data, opt_g, opt_d, noise = tiny()
    seen: dict[str, set] = {"G": set(), "D": set()}
    G.register_forward_hook(lambda m, i, out: seen["G"].add(out.dtype))
    D.register_forward_hook(lambda m, i, out: seen["D"].add(out.dtype))
    history = fit(G, D, data, opt_g, opt_d, noise, epochs=1, progress=False, precision=word)
    assert seen == {"G": {dtype}, "D": {dtype}}
    assert history.steps == len(data) and all(p.dtype == torch.float32 for p in G.parameters())


def test_fit_refuses_a_precision_for_another_device() -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    with pytest.raises(ValueError, match="set up for cuda, the data is on cpu: pass precision='auto'"):
        fit(G, D, data, opt_g, opt_d, noise, epochs=1, progress=False, precision=Precision("cuda"))


def test_float16_steps_skipped_by_the_gradient_scaler_are_not_divergence() -> None:
    """A scaler starts with a scale so high that its first steps overflow; it skips them and lowers the scale.

    Before, fit took the first skipped step's infinite gradient norm for divergence and stopped at step 0.
    """
    precision = choose_precision("cpu", "fp16")
    precision.scaler = torch.amp.GradScaler("cpu", init_scale=2.0**30)
    G, D, data, opt_g, opt_d, noise = tiny()
    start = params(G)
    history = fit(G, D, data, opt_g, opt_d, noise, epochs=3, progress=False, precision=precision)
    norms = torch.tensor(history.grad_norm_d)
    assert not torch.isfinite(norms[0]) and torch.isfinite(norms[-1])  # skipped, then trained
    assert torch.isfinite(params(G)).all() and not torch.equal(params(G), start)
    assert precision.scaler.get_scale() < 2.0**30


def test_float16_resumes_checkpoints_without_a_scaler_state(tmp_path) -> None:
    """A float32 run's checkpoint holds the disabled scaler's ``{}``, an older one no ``"scaler"``: float16 resumes
    both with a fresh scale. A float16 checkpoint resumes the scale it stopped at."""
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, epochs=1, checkpoint=tmp_path / "c.pt", progress=False, precision="fp32")
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    assert state["scaler"] == {}
    del state["scaler"]
    torch.save(state, tmp_path / "old.pt")
    for name in ("c.pt", "old.pt"):
        G, D, data, opt_g, opt_d, noise = tiny()
        history = fit(
            G,
            D,
            data,
            opt_g,
            opt_d,
            noise,
            epochs=2,
            checkpoint=tmp_path / name,
            resume=True,
            progress=False,
            precision="fp16",
        )
        assert history.epochs == 2
    scale = torch.load(tmp_path / "c.pt", weights_only=True)["scaler"]["scale"]
    precision = choose_precision("cpu", "fp16")
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(
        G,
        D,
        data,
        opt_g,
        opt_d,
        noise,
        epochs=2,
        checkpoint=tmp_path / "c.pt",
        resume=True,
        progress=False,
        precision=precision,
    )
    assert precision.scaler.get_scale() == scale
