"""The two training steps, fit (epochs, time budget, callbacks), checkpoints and exact resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils._pytree import tree_map_only

from helpers import (
    EpochEnd,
    History,
    TensorBatches,
    discriminator_step,
    draw_samples,
    fit,
    generator_step,
    load_generator,
    recalibrate_batch_norm,
    to_unit,
    train_step,
)
from helpers.infra.checkpoint import CheckpointError, load_checkpoint, restore_rng
from helpers.infra.env import FLOAT32
from helpers.models import MLPDiscriminator, MLPGenerator
from helpers.sampling import eval_mode, generator_ema, make_noise
from helpers.train import _Budget
from helpers.train import _resume as resume_from
from helpers.viz import SampleRecorder, grid_array


def tiny(seed: int = 0) -> tuple:
    torch.manual_seed(seed)
    G, D = MLPGenerator(8, (16,), image_shape=(1, 4, 4)), MLPDiscriminator((1, 4, 4), hidden=(16,), dropout=0.2)
    images = torch.randint(0, 256, (40, 1, 4, 4), dtype=torch.uint8)
    data = TensorBatches(images, 8, seed=seed)
    return (
        G,
        D,
        data,
        torch.optim.Adam(G.parameters(), 1e-3),
        torch.optim.Adam(D.parameters(), 1e-3),
        make_noise(8, "cpu"),
    )


def params(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_discriminator_step_changes_only_d() -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    g0, d0 = params(G), params(D)
    stats = discriminator_step(D, next(iter(data)), G(noise(8)).detach(), opt_d)
    assert torch.equal(params(G), g0) and not torch.equal(params(D), d0)
    assert set(stats) == {"loss_d", "d_real", "d_fake", "grad_norm_d"}
    assert 0 < stats["d_real"] < 1 and stats["loss_d"] > 0


def test_generator_step_changes_only_g_and_leaves_d_trainable() -> None:
    G, D, _, opt_g, _, noise = tiny()
    g0, d0 = params(G), params(D)
    stats = generator_step(D, G(noise(8)), opt_g)
    assert torch.equal(params(D), d0) and not torch.equal(params(G), g0)
    assert all(p.requires_grad for p in D.parameters())
    assert stats["grad_norm_g"] > 0


def test_saturating_loss_is_the_minimax_term() -> None:
    G, D, _, opt_g, _, noise = tiny()
    D.eval()
    fake = G(noise(8))
    expected = torch.log(1 - torch.sigmoid(D(fake))).mean()
    stats = generator_step(D, fake, opt_g, saturating=True)
    assert torch.allclose(stats["loss_g"], expected, atol=1e-5)


def test_fit_epochs_history_and_callbacks() -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    seen: list[int] = []
    history = fit(
        G,
        D,
        data,
        opt_g,
        opt_d,
        noise,
        epochs=3,
        progress=False,
        callbacks=[lambda end: seen.append(end.epoch) if isinstance(end, EpochEnd) else None],
    )
    assert seen == [1, 2, 3]
    assert history.epochs == 3 and history.steps == 3 * len(data) == len(history.grad_norm_g)
    assert history.epoch_end_step == [5, 10, 15] and history.seconds > 0


def test_fit_needs_a_budget() -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    with pytest.raises(ValueError, match="epochs"):
        fit(G, D, data, opt_g, opt_d, noise)


def test_fit_time_budget_stops() -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    history = fit(G, D, data, opt_g, opt_d, noise, max_seconds=0.3, progress=False)
    assert 0.3 <= history.seconds < 3 and history.steps > 0


@pytest.mark.parametrize("stop_after", [None, 7], ids=["after-epoch", "mid-epoch"])
def test_resume_gives_the_same_weights(tmp_path, monkeypatch, stop_after: int | None) -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    straight = fit(G, D, data, opt_g, opt_d, noise, epochs=3, progress=False)
    expected_g, expected_d = params(G), params(D)

    ckpt = tmp_path / "ckpt.pt"
    G, D, data, opt_g, opt_d, noise = tiny()
    if stop_after is None:
        fit(G, D, data, opt_g, opt_d, noise, checkpoint=ckpt, progress=False, epochs=1)
    else:  # a time budget that runs out inside epoch 2 (of 5 batches each), however fast the machine is
        steps = iter(range(1, 1000))
        monkeypatch.setattr(_Budget, "spent", lambda self: next(steps) >= stop_after)
        fit(G, D, data, opt_g, opt_d, noise, checkpoint=ckpt, progress=False, max_seconds=3600)
        monkeypatch.undo()
        assert load_checkpoint(ckpt)["step_in_epoch"] == 3  # 7 checks of the budget: 4 in epoch 1, 3 in epoch 2
    G, D, data, opt_g, opt_d, noise = tiny(seed=0)  # a fresh process would rebuild everything
    torch.manual_seed(123)  # whatever the global RNG holds now must not matter
    resumed = fit(G, D, data, opt_g, opt_d, noise, epochs=3, checkpoint=ckpt, resume=True, progress=False)
    assert torch.equal(params(G), expected_g) and torch.equal(params(D), expected_d)
    assert resumed.loss_d == straight.loss_d and resumed.epoch_end_step == straight.epoch_end_step


def test_resume_with_the_time_budget_spent_trains_nothing(tmp_path) -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    first = fit(G, D, data, opt_g, opt_d, noise, max_seconds=0.05, checkpoint=tmp_path / "c.pt", progress=False)
    before = params(G)
    again = fit(
        G, D, data, opt_g, opt_d, noise, max_seconds=0.05, checkpoint=tmp_path / "c.pt", resume=True, progress=False
    )
    assert again.steps == first.steps and again.seconds == first.seconds and torch.equal(params(G), before)


def test_checkpoint_roundtrip_and_weights_only(tmp_path) -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, epochs=1, checkpoint=tmp_path / "c.pt", progress=False)
    state = load_checkpoint(tmp_path / "c.pt")
    assert state["epoch"] == 1 and state["step_in_epoch"] == 0
    G2 = load_generator(MLPGenerator(8, (16,), image_shape=(1, 4, 4)), tmp_path / "c.pt")
    assert torch.equal(params(G2), params(G)) and not G2.training


def test_corrupt_checkpoint_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "bad.pt").write_bytes(b"half a file")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_mismatched_checkpoint_is_a_clear_error(tmp_path) -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, epochs=1, checkpoint=tmp_path / "c.pt", progress=False)
    with pytest.raises(CheckpointError, match="different shape"):
        load_generator(MLPGenerator(8, (32,), image_shape=(1, 4, 4)), tmp_path / "c.pt")


def test_ema_decay_bounds_mean_copy_or_freeze() -> None:
    """decay 0 follows G's weights exactly; decay 1 keeps the start."""
    for decay in (0.0, 1.0):
        G, D, data, opt_g, opt_d, noise = tiny()
        start = params(G)
        ema = generator_ema(G, decay)
        fit(G, D, data, opt_g, opt_d, noise, epochs=2, progress=False, ema=ema)
        expected = params(G) if decay == 0.0 else start
        assert torch.equal(params(ema.module), expected)


def test_ema_batch_norm_statistics_come_from_the_average_itself() -> None:
    """Eval mode (running statistics) draws what train mode (batch statistics) draws, and the
    re-estimation leaves training's random stream alone: G ends the same with or without the average."""
    G, D, data, opt_g, opt_d, noise = tiny()
    ema = generator_ema(G, 0.9)
    fit(G, D, data, opt_g, opt_d, noise, epochs=2, progress=False, ema=ema)
    z = noise(4096)
    with torch.no_grad():
        gap = (ema.module.eval()(z) - ema.module.train()(z)).abs().mean()
    assert gap < 0.02, gap
    G2, D2, data2, opt_g2, opt_d2, noise2 = tiny()
    fit(G2, D2, data2, opt_g2, opt_d2, noise2, epochs=2, progress=False)
    assert torch.equal(params(G2), params(G))


def test_ema_resumes_exactly_and_is_what_load_generator_reads(tmp_path) -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    ema = generator_ema(G, 0.9)
    fit(G, D, data, opt_g, opt_d, noise, epochs=3, progress=False, ema=ema)
    expected_ema, expected_g = params(ema.module), params(G)
    assert not torch.equal(expected_ema, expected_g)

    ckpt = tmp_path / "ckpt.pt"
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, max_seconds=0.02, checkpoint=ckpt, progress=False, ema=generator_ema(G, 0.9))
    G, D, data, opt_g, opt_d, noise = tiny()
    ema = generator_ema(G, 0.9)
    fit(G, D, data, opt_g, opt_d, noise, epochs=3, checkpoint=ckpt, resume=True, progress=False, ema=ema)
    assert torch.equal(params(ema.module), expected_ema) and torch.equal(params(G), expected_g)
    fresh = MLPGenerator(8, (16,), image_shape=(1, 4, 4))
    assert torch.equal(params(load_generator(fresh, ckpt)), expected_ema)
    assert torch.equal(params(load_generator(fresh, ckpt, averaged=False)), expected_g)


def test_resuming_with_ema_from_a_run_without_one_is_a_clear_error(tmp_path) -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, epochs=1, checkpoint=tmp_path / "c.pt", progress=False)
    with pytest.raises(CheckpointError, match="no averaged generator"):
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
            ema=generator_ema(G, 0.9),
        )


@pytest.mark.parametrize("training", [True, False], ids=["was-training", "was-eval"])
def test_every_sampler_draws_in_eval_mode_and_gives_the_mode_back(training) -> None:
    """Before, the recorder switched G to eval and left it there (relying on fit to switch back), and the
    slerp explorer set eval once for all its later redraws; a sampler must leave G's mode as it found it."""
    from helpers.viz import interpolation_explorer

    G, *_, noise = tiny()
    seen: list[bool] = []
    G.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    G.train(training)
    SampleRecorder(noise(4), nrow=2, generator=G)(EpochEnd(1, G, G, History()))
    draw_samples(G, noise, 5)
    recalibrate_batch_norm(G, noise, 8, samples=16)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("matplotlib.pyplot.show", lambda: None)
        explorer = interpolation_explorer(
            G, lambda seed: torch.randn(1, 8, generator=torch.Generator().manual_seed(seed))
        )
        explorer.children[2].value = 0.25  # move the slider: a redraw after the function returned
    assert G.training is training
    assert seen[:1] == [False] and seen[-2:] == [False, False]
    with pytest.raises(RuntimeError), eval_mode(G):
        raise RuntimeError("a failed draw")
    assert G.training is training


def test_sample_recorder_draws_the_given_generator_and_reloads_its_frames(tmp_path) -> None:
    """A recorder created again on the same folder (a resumed run) starts with the earlier epochs."""
    G, D, data, opt_g, opt_d, noise = tiny()
    ema = generator_ema(G, 0.9)
    fixed = noise(4)
    recorder = SampleRecorder(fixed, nrow=2, folder=tmp_path, generator=ema.module)
    fit(G, D, data, opt_g, opt_d, noise, epochs=2, progress=False, ema=ema, callbacks=[recorder])
    assert recorder.epochs == [1, 2] and len(recorder.frames) == 2
    assert np.array_equal(recorder.frames[-1], grid_array(to_unit(ema.module.eval()(fixed)), 2))
    again = SampleRecorder(fixed, nrow=2, folder=tmp_path)
    assert again.epochs == [1, 2]
    assert all(np.array_equal(a, b) for a, b in zip(again.frames, recorder.frames))


def test_draw_samples_is_seeded_in_unit_range_and_leaves_rng_and_mode_alone() -> None:
    G, _, _, _, _, noise = tiny()
    G.train()
    state = torch.get_rng_state()
    a = draw_samples(G, noise, 25, seed=3, batch_size=10)
    assert torch.equal(torch.get_rng_state(), state) and G.training
    assert a.shape == (25, 1, 4, 4) and 0 <= a.min() and a.max() <= 1
    assert torch.equal(draw_samples(G, noise, 25, seed=3, batch_size=10), a)
    assert not torch.equal(draw_samples(G, noise, 25, seed=4, batch_size=10), a)


def test_random_states_in_a_checkpoint_are_device_free(tmp_path) -> None:
    """Loaded with any map_location (here meta, standing in for a GPU), the random states restore exactly.

    Before, they were uint8 tensors: ``map_location=<the training device>`` moved them there, and
    ``Generator.set_state`` refused them (``RNG state must be a torch.ByteTensor``) on every GPU resume.
    """
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, max_seconds=0.02, checkpoint=tmp_path / "c.pt", progress=False)
    on_cpu = torch.load(tmp_path / "c.pt", map_location="cpu", weights_only=True)["rng"]
    elsewhere = torch.load(tmp_path / "c.pt", map_location="meta", weights_only=True)["rng"]
    assert all(isinstance(v, bytes) for v in elsewhere.values())
    expected = []
    for states in (on_cpu, elsewhere):
        batches = torch.Generator()
        torch.manual_seed(99)
        restore_rng(states, batches)
        expected.append((torch.get_rng_state(), batches.get_state(), torch.randperm(50, generator=batches)))
    assert all(torch.equal(a, b) for a, b in zip(*expected))


def test_resume_when_the_checkpoint_tensors_load_onto_another_device(tmp_path, monkeypatch) -> None:
    """A checkpoint whose uint8 tensors come back on another device (as map_location=cuda did to the random
    states) resumes to the same weights as an uninterrupted run."""
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, epochs=2, progress=False)
    expected = params(G)
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, epochs=1, checkpoint=tmp_path / "c.pt", progress=False)

    real_load = torch.load

    def load_with_bytes_elsewhere(*args, **kwargs):  # noqa: ANN202
        state = real_load(*args, **kwargs)
        return tree_map_only(torch.Tensor, lambda t: t.to("meta") if t.dtype == torch.uint8 else t, state)

    monkeypatch.setattr(torch, "load", load_with_bytes_elsewhere)
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(G, D, data, opt_g, opt_d, noise, epochs=2, checkpoint=tmp_path / "c.pt", resume=True, progress=False)
    assert torch.equal(params(G), expected)


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")
def test_resume_puts_every_state_on_the_training_device(tmp_path) -> None:
    """Models and optimisers resumed on another device (meta stands in for a GPU) hold their states there.

    Step counters stay on the CPU, as torch keeps them (Adam's ``step``, the average's ``n_averaged``):
    reading them never waits for the GPU.
    """
    G, D, data, opt_g, opt_d, noise = tiny()
    fit(
        G,
        D,
        data,
        opt_g,
        opt_d,
        noise,
        epochs=1,
        checkpoint=tmp_path / "c.pt",
        progress=False,
        ema=generator_ema(G, 0.9),
    )
    G, D, data, _, _, _ = tiny()
    G, D = G.to("meta"), D.to("meta")
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    ema = generator_ema(G, 0.9)
    history, epoch, step = resume_from(tmp_path / "c.pt", G, D, opt_g, opt_d, data, FLOAT32.scaler, ema)
    assert (epoch, step, history.epochs) == (1, 0, 1)
    tensors = [*G.state_dict().values(), *D.state_dict().values(), *ema.module.state_dict().values()]
    tensors += [v for opt in (opt_g, opt_d) for s in opt.state.values() for k, v in s.items() if k != "step"]
    assert len(tensors) > 10 and all(t.device.type == "meta" for t in tensors)
    counters = [ema.n_averaged] + [s["step"] for opt in (opt_g, opt_d) for s in opt.state.values()]
    assert all(t.device.type == "cpu" for t in counters) and int(ema.n_averaged) > 1


def test_epoch_means_include_a_partial_epoch() -> None:
    """A time budget shorter than one epoch leaves no completed epoch; per-epoch summaries (notebook 04)
    must still have the partial one instead of failing with an IndexError."""
    partial = History(
        loss_d=[1.0, 3.0],
        loss_g=[2.0, 4.0],
        d_real=[0.5, 0.7],
        d_fake=[0.1, 0.3],
        grad_norm_d=[1.0, 1.0],
        grad_norm_g=[1.0, 1.0],
    )
    assert partial.epoch_means() == [
        {"epoch": 1, "complete": False, "loss_d": 2.0, "loss_g": 3.0, "d_real": 0.6, "d_fake": 0.2}
    ]
    partial.epoch_end_step.append(1)
    means = partial.epoch_means(("loss_d",))
    assert means == [{"epoch": 1, "complete": True, "loss_d": 1.0}, {"epoch": 2, "complete": False, "loss_d": 3.0}]
    assert History().epoch_means() == []


def test_resume_asking_for_zero_epochs_after_a_partial_epoch(tmp_path) -> None:
    """Notebook 04 calls fit(epochs=history.epochs, resume=True); after a budget shorter than one epoch
    that is epochs=0, which crashed in the progress bar."""
    G, D, _, opt_g, opt_d, noise = tiny()
    # 500 batches: no machine finishes the epoch inside the 10 ms budget (5 batches could, on a fast idle one)
    data = TensorBatches(torch.randint(0, 256, (4000, 1, 4, 4), dtype=torch.uint8), 8, seed=0)
    first = fit(G, D, data, opt_g, opt_d, noise, max_seconds=0.01, checkpoint=tmp_path / "c.pt", progress=False)
    assert first.epochs == 0 and 0 < first.steps < len(data)
    again = fit(G, D, data, opt_g, opt_d, noise, epochs=0, checkpoint=tmp_path / "c.pt", resume=True)
    assert again.loss_d == first.loss_d
    with pytest.raises(ValueError, match="epochs must be >= 0"):
        fit(G, D, data, opt_g, opt_d, noise, epochs=-1)
    with pytest.raises(ValueError, match="max_seconds > 0"):
        fit(G, D, data, opt_g, opt_d, noise, max_seconds=0)


def test_an_epoch_trained_by_hand_then_fit_is_the_same_run_as_fit_alone() -> None:
    """Notebook 02's hand-over: one visible epoch of train_step, then fit(history=...), equals fit(epochs=3)."""
    G, D, data, opt_g, opt_d, noise = tiny()
    ema = generator_ema(G, 0.9)
    history = History()
    for real in data:
        history.extend([train_step(G, D, real, noise, opt_g, opt_d, ema=ema)])
    recalibrate_batch_norm(ema, noise, data.batch_size)
    history.end_epoch()
    history = fit(G, D, data, opt_g, opt_d, noise, epochs=3, history=history, ema=ema, progress=False)

    G2, D2, data2, opt_g2, opt_d2, noise2 = tiny()
    ema2 = generator_ema(G2, 0.9)
    alone = fit(G2, D2, data2, opt_g2, opt_d2, noise2, epochs=3, ema=ema2, progress=False)
    assert history.epochs == 3 and history.epoch_end_step == alone.epoch_end_step
    assert history.loss_d == alone.loss_d and history.loss_g == alone.loss_g
    assert torch.equal(params(G), params(G2)) and torch.equal(params(D), params(D2))
    assert torch.equal(params(ema), params(ema2))


def test_fit_refuses_a_history_that_ends_inside_an_epoch_or_comes_with_a_resume(tmp_path) -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    history = History()
    history.extend([train_step(G, D, next(iter(data)), noise, opt_g, opt_d)])
    with pytest.raises(ValueError, match="inside an epoch"):
        fit(G, D, data, opt_g, opt_d, noise, epochs=1, history=history, progress=False)
    ckpt = tmp_path / "c.pt"
    fit(G, D, data, opt_g, opt_d, noise, epochs=1, checkpoint=ckpt, progress=False)
    with pytest.raises(ValueError, match="not both"):
        fit(G, D, data, opt_g, opt_d, noise, epochs=2, checkpoint=ckpt, resume=True, history=History(), progress=False)
