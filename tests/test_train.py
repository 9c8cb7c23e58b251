"""The two training steps, fit (a step as written, epochs, time budget, callbacks), checkpoints and exact resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from testkit import flat
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
)
from helpers.history import STEP_KEYS
from helpers.infra.checkpoint import CheckpointError, load_checkpoint, restore_rng
from helpers.models import MLPGenerator
from helpers.sampling import Noise, eval_mode, generator_ema
from helpers.viz import SampleRecorder, grid_array


class FakeClock:
    """A stand-in for ``time`` in :mod:`helpers.loop` whose seconds pass only when a step says so: a time budget
    then ends after a known number of steps, however fast the machine is."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr("helpers.loop.time", fake)
    return fake


def timed(gan, clock: FakeClock):  # noqa: ANN202
    """``gan``'s step, one second of the fake clock each."""

    def step(real: torch.Tensor) -> dict[str, torch.Tensor]:
        clock.now += 1.0
        return gan.step(real)

    return step


def test_discriminator_step_changes_only_d(tiny) -> None:
    t = tiny()
    g0, d0 = flat(t.G), flat(t.D)
    stats = discriminator_step(t.D, next(iter(t.data)), t.G(t.noise(8)).detach(), t.opt_d)
    assert torch.equal(flat(t.G), g0) and not torch.equal(flat(t.D), d0)
    assert set(stats) == {"loss_d", "d_real", "d_fake", "grad_norm_d"}
    assert 0 < stats["d_real"] < 1 and stats["loss_d"] > 0


def test_generator_step_changes_only_g_and_leaves_d_trainable(tiny) -> None:
    t = tiny()
    g0, d0 = flat(t.G), flat(t.D)
    stats = generator_step(t.D, t.G(t.noise(8)), t.opt_g)
    assert torch.equal(flat(t.D), d0) and not torch.equal(flat(t.G), g0)
    assert all(p.requires_grad for p in t.D.parameters())
    assert stats["grad_norm_g"] > 0


def test_saturating_loss_is_the_minimax_term(tiny) -> None:
    t = tiny()
    t.D.eval()
    fake = t.G(t.noise(8))
    expected = torch.log(1 - torch.sigmoid(t.D(fake))).mean()
    stats = generator_step(t.D, fake, t.opt_g, saturating=True)
    assert torch.allclose(stats["loss_g"], expected, atol=1e-5)


def test_fit_runs_the_step_it_is_given_and_records_what_it_returns(tiny) -> None:
    t = tiny()
    seen: list[tuple[int, bool]] = []
    history = t.fit(epochs=3, callbacks=[lambda end: seen.append((end.epoch, end.complete))])
    assert seen == [(1, True), (2, True), (3, True)]
    assert history.epochs == 3 and history.steps == 3 * len(t.data) == len(history["grad_norm_g"])
    assert set(history.stats) == set(STEP_KEYS)
    assert history.epoch_end_step == [5, 10, 15] and history.seconds > 0

    def own_step(real: torch.Tensor) -> dict[str, float]:  # a lesson's step may return plain numbers
        return {"loss_d": float(real.mean()), "d_real": 0.5}

    mine = fit(own_step, t.data, state={}, epochs=2, progress=False)
    assert list(mine.stats) == ["loss_d", "d_real"] and mine.steps == 10 and mine["d_real"] == [0.5] * 10
    with pytest.raises(KeyError, match="no statistic 'loss_g' recorded: this history has loss_d, d_real"):
        mine["loss_g"]


def test_fit_needs_a_budget(tiny) -> None:
    t = tiny()
    with pytest.raises(ValueError, match="epochs"):
        t.fit()


def test_a_time_budget_ends_the_run_inside_an_epoch_and_the_callbacks_hear_of_it(tiny, clock, tmp_path) -> None:
    """Seven one-second steps in a 7-second budget: epoch 1 (5 steps) and 2 of epoch 2. The callbacks get the
    cut-short epoch (complete=False) before the checkpoint is written, so what they change (a weight average's
    batch-norm statistics) is saved."""
    t = tiny()
    seen: list[tuple[int, bool, int]] = []

    def look(end: EpochEnd) -> None:
        seen.append((end.epoch, end.complete, end.history.steps))
        saved = load_checkpoint(tmp_path / "c.pt") if (tmp_path / "c.pt").exists() else {"epoch": 0}
        seen.append(("saved epoch", saved["epoch"]))

    history = fit(
        timed(t, clock),
        t.data,
        state=t.state(),
        max_seconds=7,
        checkpoint=tmp_path / "c.pt",
        callbacks=[look],
        progress=False,
    )
    assert history.steps == 7 and history.epochs == 1 and history.seconds == 7
    assert seen == [(1, True, 5), ("saved epoch", 0), (2, False, 7), ("saved epoch", 1)]
    assert load_checkpoint(tmp_path / "c.pt")["step_in_epoch"] == 2


def test_a_run_its_time_budget_ended_closes_a_full_bar_that_says_so(tiny, clock, capsys) -> None:
    """Before, the bar of a run given epochs and seconds stopped part way (red in Jupyter: "5799/29520")."""
    t = tiny()
    fit(timed(t, clock), t.data, state=t.state(), epochs=10, max_seconds=7)
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "time budget of 7 s reached" in bar and "100%" in bar and "7/7" in bar, bar


@pytest.mark.parametrize("stop_after", [None, 7], ids=["after-epoch", "mid-epoch"])
def test_resume_gives_the_same_weights(tiny, clock, tmp_path, stop_after: int | None) -> None:
    t = tiny()
    straight = t.fit(epochs=3)
    expected_g, expected_d = flat(t.G), flat(t.D)

    ckpt = tmp_path / "ckpt.pt"
    t = tiny()
    if stop_after is None:
        t.fit(checkpoint=ckpt, epochs=1)
    else:  # a time budget that runs out inside epoch 2 (of 5 batches each)
        fit(timed(t, clock), t.data, state=t.state(), checkpoint=ckpt, max_seconds=stop_after, progress=False)
        assert load_checkpoint(ckpt)["step_in_epoch"] == 2
    t = tiny()  # a fresh process would rebuild everything
    torch.manual_seed(123)  # whatever the global RNG holds now must not matter
    resumed = t.fit(epochs=3, checkpoint=ckpt, resume=True)
    assert torch.equal(flat(t.G), expected_g) and torch.equal(flat(t.D), expected_d)
    assert resumed["loss_d"] == straight["loss_d"] and resumed.epoch_end_step == straight.epoch_end_step


def test_resume_with_the_time_budget_spent_trains_nothing(tiny, clock, tmp_path) -> None:
    t = tiny()
    first = fit(timed(t, clock), t.data, state=t.state(), max_seconds=3, checkpoint=tmp_path / "c.pt", progress=False)
    before = flat(t.G)
    again = fit(
        timed(t, clock),
        t.data,
        state=t.state(),
        max_seconds=3,
        checkpoint=tmp_path / "c.pt",
        resume=True,
        progress=False,
    )
    assert again.steps == first.steps == 3 and again.seconds == first.seconds and torch.equal(flat(t.G), before)


def test_checkpoint_roundtrip_and_weights_only(tiny, tmp_path) -> None:
    t = tiny()
    t.fit(epochs=1, checkpoint=tmp_path / "c.pt")
    state = load_checkpoint(tmp_path / "c.pt")
    assert state["epoch"] == 1 and state["step_in_epoch"] == 0
    G2 = load_generator(MLPGenerator(8, (16,), image_shape=(1, 4, 4)), tmp_path / "c.pt")
    assert torch.equal(flat(G2), flat(t.G)) and not G2.training


def test_corrupt_checkpoint_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "bad.pt").write_bytes(b"half a file")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_mismatched_checkpoint_is_a_clear_error(tiny, tmp_path) -> None:
    t = tiny()
    t.fit(epochs=1, checkpoint=tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="different shape"):
        load_generator(MLPGenerator(8, (32,), image_shape=(1, 4, 4)), tmp_path / "c.pt")


def test_ema_decay_bounds_mean_copy_or_freeze(tiny) -> None:
    """decay 0 follows G's weights exactly; decay 1 keeps the start."""
    for decay in (0.0, 1.0):
        t = tiny(ema=decay)
        start = flat(t.G)
        t.fit(epochs=2)
        expected = flat(t.G) if decay == 0.0 else start
        assert torch.equal(flat(t.G_ema.module), expected)


def test_ema_batch_norm_statistics_come_from_the_average_itself(tiny) -> None:
    """Eval mode (running statistics) draws what train mode (batch statistics) draws, and the
    re-estimation leaves training's random stream alone: G ends the same with or without the average."""
    t = tiny(ema=0.9)
    t.fit(epochs=2)
    z = t.noise(4096)
    with torch.no_grad():
        gap = (t.G_ema.module.eval()(z) - t.G_ema.module.train()(z)).abs().mean()
    assert gap < 0.02, gap
    plain = tiny()
    plain.fit(epochs=2)
    assert torch.equal(flat(plain.G), flat(t.G))


def test_ema_resumes_exactly_and_is_what_load_generator_reads(tiny, clock, tmp_path) -> None:
    t = tiny(ema=0.9)
    t.fit(epochs=3)
    expected_ema, expected_g = flat(t.G_ema.module), flat(t.G)
    assert not torch.equal(expected_ema, expected_g)

    ckpt = tmp_path / "ckpt.pt"
    t = tiny(ema=0.9)
    fit(
        timed(t, clock),
        t.data,
        state=t.state(),
        max_seconds=7,
        checkpoint=ckpt,
        progress=False,
        callbacks=[lambda end: recalibrate_batch_norm(t.G_ema, t.noise, 8)],
    )
    t = tiny(ema=0.9)
    t.fit(epochs=3, checkpoint=ckpt, resume=True)
    assert torch.equal(flat(t.G_ema.module), expected_ema) and torch.equal(flat(t.G), expected_g)
    fresh = MLPGenerator(8, (16,), image_shape=(1, 4, 4))
    assert torch.equal(flat(load_generator(fresh, ckpt)), expected_ema)
    assert torch.equal(flat(load_generator(fresh, ckpt, ema=False)), expected_g)


def test_resuming_with_a_part_the_checkpoint_lacks_is_a_clear_error(tiny, tmp_path) -> None:
    tiny().fit(epochs=1, checkpoint=tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="has no G_ema: it was written by a run without one"):
        tiny(ema=0.9).fit(epochs=2, checkpoint=tmp_path / "c.pt", resume=True)


@pytest.mark.parametrize("training", [True, False], ids=["was-training", "was-eval"])
def test_every_sampler_draws_in_eval_mode_and_gives_the_mode_back(tiny, training) -> None:
    """Before, the recorder switched G to eval and left it there (relying on fit to switch back), and the
    slerp explorer set eval once for all its later redraws; a sampler must leave G's mode as it found it."""
    from helpers.viz import interpolation_explorer

    t = tiny()
    G = t.G
    seen: list[bool] = []
    G.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    G.train(training)
    SampleRecorder(G, t.noise(4), nrow=2)(EpochEnd(1, History()))
    draw_samples(G, t.noise, 5)
    recalibrate_batch_norm(G, t.noise, 8, samples=16)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("matplotlib.pyplot.show", lambda: None)
        explorer = interpolation_explorer(
            G, lambda seed: torch.randn(1, 8, generator=torch.Generator().manual_seed(seed))
        )
        explorer.children[2].value = 0.25  # move the slider: a redraw after the function returned
    assert G.training is training and all(m.training is training for m in G.modules())
    assert seen[:1] == [False] and seen[-2:] == [False, False]
    with pytest.raises(RuntimeError), eval_mode(G):
        raise RuntimeError("a failed draw")
    assert G.training is training


def test_sample_recorder_draws_the_given_generator_and_reloads_its_frames(tiny, tmp_path) -> None:
    """A recorder created again on the same folder (a resumed run) starts with the earlier epochs."""
    t = tiny(ema=0.9)
    fixed = t.noise(4)
    recorder = SampleRecorder(t.G_ema, fixed, nrow=2, folder=tmp_path)
    t.fit(epochs=2, callbacks=[recorder])
    assert recorder.epochs == [1, 2] and len(recorder.frames) == 2
    assert np.array_equal(recorder.frames[-1], grid_array(to_unit(t.G_ema.module.eval()(fixed)), 2))
    again = SampleRecorder(t.G_ema, fixed, nrow=2, folder=tmp_path)
    assert again.epochs == [1, 2]
    assert all(np.array_equal(a, b) for a, b in zip(again.frames, recorder.frames))


def test_draw_samples_is_seeded_in_unit_range_and_leaves_rng_and_mode_alone(tiny) -> None:
    t = tiny()
    t.G.train()
    state = torch.get_rng_state()
    a = draw_samples(t.G, t.noise, 25, seed=3, batch_size=10)
    assert torch.equal(torch.get_rng_state(), state) and t.G.training
    assert a.shape == (25, 1, 4, 4) and 0 <= a.min() and a.max() <= 1
    assert torch.equal(draw_samples(t.G, t.noise, 25, seed=3, batch_size=10), a)
    assert not torch.equal(draw_samples(t.G, t.noise, 25, seed=4, batch_size=10), a)


def test_draw_samples_draws_its_latents_on_a_cpu_generator_whatever_the_device(tiny) -> None:
    """Before, draw_samples seeded torch's generators and drew the noise on G's device: CUDA's generator gives
    other numbers than the CPU's for the same seed, so a reader's samples on Colab never matched the committed
    figures. Now the noise is drawn from a CPU generator seeded with ``seed`` and moved to the device."""
    t = tiny()
    asked: list[torch.Generator | None] = []

    def noise(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        asked.append(generator)
        return t.noise(n, generator)

    draw_samples(t.G, noise, 25, seed=3, batch_size=10)
    assert len(asked) == 3 and all(g is asked[0] and g.device.type == "cpu" for g in asked)
    expected = torch.randn(25, 8, generator=torch.Generator().manual_seed(3))
    assert torch.equal(torch.cat([Noise(8, "cpu")(m, torch.Generator().manual_seed(3)) for m in (25,)]), expected)
    on_meta = Noise(8, "meta")(4, torch.Generator().manual_seed(3))  # another device: drawn on the CPU, then moved
    assert on_meta.device.type == "meta" and on_meta.shape == (4, 8)


def test_random_states_in_a_checkpoint_are_device_free(tiny, tmp_path) -> None:
    """Loaded with any map_location (here meta, standing in for a GPU), the random states restore exactly.

    Before, they were uint8 tensors: ``map_location=<the training device>`` moved them there, and
    ``Generator.set_state`` refused them (``RNG state must be a torch.ByteTensor``) on every GPU resume.
    """
    tiny().fit(epochs=1, checkpoint=tmp_path / "c.pt")
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


def test_resume_when_the_checkpoint_tensors_load_onto_another_device(tiny, tmp_path, monkeypatch) -> None:
    """A checkpoint whose uint8 tensors come back on another device (as map_location=cuda did to the random
    states) resumes to the same weights as an uninterrupted run."""
    t = tiny()
    t.fit(epochs=2)
    expected = flat(t.G)
    tiny().fit(epochs=1, checkpoint=tmp_path / "c.pt")

    real_load = torch.load

    def load_with_bytes_elsewhere(*args, **kwargs):  # noqa: ANN202
        state = real_load(*args, **kwargs)
        return tree_map_only(torch.Tensor, lambda t: t.to("meta") if t.dtype == torch.uint8 else t, state)

    monkeypatch.setattr(torch, "load", load_with_bytes_elsewhere)
    t = tiny()
    t.fit(epochs=2, checkpoint=tmp_path / "c.pt", resume=True)
    assert torch.equal(flat(t.G), expected)


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")
def test_resume_puts_every_state_on_the_training_device(tiny, tmp_path) -> None:
    """Models and optimisers resumed on another device (meta stands in for a GPU) hold their states there.

    Step counters stay on the CPU, as torch keeps them (Adam's ``step``, the average's ``n_averaged``):
    reading them never waits for the GPU. The epoch is done, so ``fit`` loads everything and trains nothing.
    """
    tiny(ema=0.9).fit(epochs=1, checkpoint=tmp_path / "c.pt")
    t = tiny()
    t.G, t.D = t.G.to("meta"), t.D.to("meta")
    t.opt_g, t.opt_d = torch.optim.Adam(t.G.parameters(), 1e-3), torch.optim.Adam(t.D.parameters(), 1e-3)
    t.G_ema = generator_ema(t.G, 0.9)
    history = t.fit(epochs=1, checkpoint=tmp_path / "c.pt", resume=True)
    assert (history.epochs, history.steps) == (1, 5)
    tensors = [*t.G.state_dict().values(), *t.D.state_dict().values(), *t.G_ema.module.state_dict().values()]
    tensors += [v for opt in (t.opt_g, t.opt_d) for s in opt.state.values() for k, v in s.items() if k != "step"]
    assert len(tensors) > 10 and all(x.device.type == "meta" for x in tensors)
    counters = [t.G_ema.n_averaged] + [s["step"] for opt in (t.opt_g, t.opt_d) for s in opt.state.values()]
    assert all(x.device.type == "cpu" for x in counters) and int(t.G_ema.n_averaged) > 1


def test_epoch_means_include_a_partial_epoch() -> None:
    """A time budget shorter than one epoch leaves no completed epoch; per-epoch summaries (notebook 04)
    must still have the partial one instead of failing with an IndexError."""
    partial = History({"loss_d": [1.0, 3.0], "d_real": [0.5, 0.7]})
    assert partial.epoch_means() == [{"epoch": 1, "complete": False, "loss_d": 2.0, "d_real": 0.6}]
    partial.epoch_end_step.append(1)
    assert partial.epoch_means() == [
        {"epoch": 1, "complete": True, "loss_d": 1.0, "d_real": 0.5},
        {"epoch": 2, "complete": False, "loss_d": 3.0, "d_real": 0.7},
    ]
    assert History().epoch_means() == []


def test_a_history_of_an_earlier_version_reads_the_same() -> None:
    """The shipped generator's file holds a history in the flat layout of earlier versions (one list per key, a
    ``critic`` flag): it reads into the same statistics, a critic's with its Wasserstein estimate."""
    flat_layout = {
        "loss_d": [1.0],
        "loss_g": [2.0],
        "d_real": [3.0],
        "d_fake": [0.5],
        "grad_norm_d": [1.0],
        "grad_norm_g": [1.0],
        "epoch_end_step": [1],
        "epoch_end_seconds": [2.0],
        "seconds": 2.0,
    }
    history = History.from_dict(flat_layout | {"critic": True})
    assert history["loss_d"] == [1.0] and history["wasserstein"] == [2.5] and history.critic
    assert history.epochs == 1 and history.seconds == 2.0
    assert not History.from_dict(flat_layout | {"critic": False}).critic
    assert History.from_dict(history.to_dict()) == history


def test_resume_asking_for_zero_epochs_after_a_partial_epoch(tiny, clock, tmp_path) -> None:
    """Notebook 04 calls fit(epochs=history.epochs, resume=True); after a budget shorter than one epoch
    that is epochs=0, which crashed in the progress bar."""
    t = tiny(images=4000)
    first = fit(timed(t, clock), t.data, state=t.state(), max_seconds=3, checkpoint=tmp_path / "c.pt", progress=False)
    assert first.epochs == 0 and first.steps == 3
    again = t.fit(epochs=0, checkpoint=tmp_path / "c.pt", resume=True, progress=True)
    assert again["loss_d"] == first["loss_d"]
    with pytest.raises(ValueError, match="epochs must be >= 0"):
        t.fit(epochs=-1)
    with pytest.raises(ValueError, match="max_seconds > 0"):
        t.fit(max_seconds=0)


def test_one_run_one_step_the_history_refuses_other_statistics() -> None:
    history = History()
    history.extend(["loss_d"], [torch.tensor([1.0])])
    with pytest.raises(ValueError, match="one run, one step"):
        history.extend(["loss_g"], [torch.tensor([1.0])])


def test_batches_feed_the_step_as_the_data_yields_them() -> None:
    """A labelled dataset hands the step ``(images, labels)``: the step decides what to do with them."""
    images = torch.randint(0, 256, (40, 1, 4, 4), dtype=torch.uint8)
    data = TensorBatches(images, 8, labels=torch.arange(40) % 4)
    seen = []
    fit(lambda batch: seen.append(batch) or {"n": float(len(batch[1]))}, data, state={}, epochs=1, progress=False)
    assert len(seen) == 5 and all(isinstance(b, tuple) and b[1].dtype == torch.int64 for b in seen)
