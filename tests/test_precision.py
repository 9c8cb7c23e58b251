"""Precision per device, asked for in the CLI's words (bf16 only where native, fp16 with gradient scalers on older
CUDA), the objects it supplies (a fresh autocast at each use, one real scaler per network, disabled for float32),
applied to both networks, and the float16 path's skipped steps, which are not divergence."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from testkit import flat

from helpers import train_step
from helpers.infra.precision import FLOAT32, PRECISIONS, Precision, choose_precision

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
    monkeypatch.setattr("helpers.infra.precision.cpu_has_native_bf16", lambda: native)
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


def test_a_precision_always_supplies_a_real_autocast_and_scalers() -> None:
    """Disabled for float32 (and the scalers for bf16), enabled where they act; the wording notebooks print."""
    for dtype, words, scaled in [
        (F32, "float32", False),
        (BF16, "bfloat16 autocast", False),
        (F16, "float16 autocast + gradient scalers", True),
    ]:
        precision = Precision("cpu", dtype)
        assert str(precision) == words
        assert isinstance(precision.autocast(), torch.autocast)
        with precision.autocast():
            assert torch.is_autocast_enabled("cpu") is (dtype != F32)
            assert torch.ones(2, 2).mm(torch.ones(2, 2)).dtype == (dtype if dtype != F32 else F32)
        scalers = precision.scalers()
        assert list(scalers) == ["scaler_d", "scaler_g"] and scalers["scaler_d"] is not scalers["scaler_g"]
        assert all(s.is_enabled() is scaled for s in scalers.values())
    assert FLOAT32 == Precision("cpu") and str(FLOAT32) == "float32"
    with pytest.raises(ValueError, match="torch.float32, torch.bfloat16 or torch.float16"):
        Precision("cpu", torch.float64)


@pytest.mark.parametrize("dtype", [BF16, F16])
def test_autocast_contexts_nest_and_end_switched_off(dtype: torch.dtype) -> None:
    """Before, a Precision held one torch.autocast instance; entering it twice (a step inside a block of the same
    precision) left autocast switched on after both blocks had ended, so every later float32 computation ran in
    reduced precision."""
    precision = Precision("cpu", dtype)
    with precision.autocast():
        with precision.autocast():
            assert torch.is_autocast_enabled("cpu")
        assert torch.is_autocast_enabled("cpu")
    assert not torch.is_autocast_enabled("cpu")
    assert torch.ones(2, 2).mm(torch.ones(2, 2)).dtype == F32


def test_each_network_has_its_own_scaler_updated_once_per_its_update(tiny) -> None:
    """PyTorch's AMP guide updates a scaler once per iteration. Before, one scaler served both networks and was
    stepped and updated twice per training step, so a D update whose gradients overflowed also lowered the scale of
    G's. Now each network's scaler is updated once per update of that network."""
    precision = choose_precision("cpu", "fp16")
    t = tiny(precision=precision)
    updates = {"scaler_d": 0, "scaler_g": 0}
    for name, scaler in precision.scalers().items():
        original = scaler.update

        def counted(*args: object, _name: str = name, _original: object = original, **kwargs: object) -> None:
            updates[_name] += 1
            return _original(*args, **kwargs)

        scaler.update = counted
    t.step(next(iter(t.data)))
    assert updates == {"scaler_d": 1, "scaler_g": 1}


def test_a_skipped_discriminator_update_leaves_the_generators_scale_alone(tiny) -> None:
    precision = choose_precision("cpu", "fp16")
    precision.scaler_d = torch.amp.GradScaler("cpu", init_scale=2.0**40)  # D's gradients overflow float16 at this scale
    t = tiny(precision=precision)
    stats = t.step(next(iter(t.data)))
    assert not torch.isfinite(stats["grad_norm_d"]) and precision.scaler_d.get_scale() == 2.0**39
    assert torch.isfinite(stats["grad_norm_g"]) and precision.scaler_g.get_scale() == 2.0**16


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
def test_float32_steps_train_exactly_as_plain_pytorch(tiny, precision: str | None) -> None:
    """The disabled autocast and scalers change no number: the same weights as the textbook loop, bit for bit."""
    t = tiny()
    for real in list(t.data)[:3]:
        _textbook_step(t.G, t.D, real, t.noise, t.opt_g, t.opt_d)
    expected_g, expected_d = flat(t.G), flat(t.D)
    t = tiny()
    options = {} if precision is None else {"precision": choose_precision("cpu", precision)}
    for real in list(t.data)[:3]:
        train_step(t.G, t.D, real, t.noise, t.opt_g, t.opt_d, **options)
    assert torch.equal(flat(t.G), expected_g) and torch.equal(flat(t.D), expected_d)


@pytest.mark.parametrize("word, dtype", [("bf16", BF16), ("fp16", F16)])
def test_both_networks_run_under_autocast(tiny, word: str, dtype: torch.dtype) -> None:
    """G's forward pass too: before, it ran outside the autocast block and stayed float32 on every device."""
    t = tiny(precision=choose_precision("cpu", word))
    seen: dict[str, set] = {"G": set(), "D": set()}
    t.G.register_forward_hook(lambda m, i, out: seen["G"].add(out.dtype))
    t.D.register_forward_hook(lambda m, i, out: seen["D"].add(out.dtype))
    history = t.fit(epochs=1)
    assert seen == {"G": {dtype}, "D": {dtype}}
    assert history.steps == len(t.data) and all(p.dtype == torch.float32 for p in t.G.parameters())
    assert not torch.is_autocast_enabled("cpu")


def test_float16_steps_skipped_by_the_gradient_scaler_are_not_divergence(tiny) -> None:
    """A scaler starts with a scale so high that its first steps overflow; it skips them and lowers the scale.

    Before, fit took the first skipped step's infinite gradient norm for divergence and stopped at step 0.
    """
    precision = choose_precision("cpu", "fp16")
    precision.scaler_d = torch.amp.GradScaler("cpu", init_scale=2.0**30)
    t = tiny(precision=precision)
    start = flat(t.G)
    history = t.fit(epochs=3)
    norms = torch.tensor(history["grad_norm_d"])
    assert not torch.isfinite(norms[0]) and torch.isfinite(norms[-1])  # skipped, then trained
    assert torch.isfinite(flat(t.G)).all() and not torch.equal(flat(t.G), start)
    assert precision.scaler_d.get_scale() < 2.0**30


def test_float16_resumes_checkpoints_without_a_scaler_state(tiny, tmp_path) -> None:
    """A float32 run's checkpoint holds the disabled scalers' ``{}``, an older one no scalers at all: float16
    resumes both with fresh scales. A float16 checkpoint resumes the scales it stopped at."""
    tiny().fit(epochs=1, checkpoint=tmp_path / "c.pt")
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    assert state["scaler_d"] == {} and state["scaler_g"] == {}
    del state["scaler_d"], state["scaler_g"]
    torch.save(state, tmp_path / "old.pt")
    for name in ("c.pt", "old.pt"):
        history = tiny(precision=choose_precision("cpu", "fp16")).fit(epochs=2, checkpoint=tmp_path / name, resume=True)
        assert history.epochs == 2
    saved = torch.load(tmp_path / "c.pt", weights_only=True)
    precision = choose_precision("cpu", "fp16")
    tiny(precision=precision).fit(epochs=2, checkpoint=tmp_path / "c.pt", resume=True)
    assert precision.scaler_d.get_scale() == saved["scaler_d"]["scale"]
    assert precision.scaler_g.get_scale() == saved["scaler_g"]["scale"]
