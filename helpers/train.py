"""The GAN training core shared by every notebook and the CLI.

One discriminator step, one generator step, :func:`train_step` (both on one batch), and
:func:`fit`, which loops over them
for a number of epochs or a time budget, keeps a history, calls per-epoch
callbacks, and writes a checkpoint after every epoch so that an interrupted run
(a Colab disconnect, a killed process) resumes exactly where it stopped.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel
from tqdm.auto import tqdm

from .data import TensorBatches
from .health import HEALTH_EVERY, HealthMonitor, TrainingDiverged
from .history import STEP_KEYS, History
from .infra.checkpoint import (
    CheckpointError,
    capture_rng,
    load_checkpoint,
    load_weights,
    require_same_run,
    require_training_checkpoint,
    restore_rng,
    save_checkpoint,
)
from .infra.env import FLOAT32, Precision, choose_precision
from .infra.update import apply_update
from .sampling import recalibrate_batch_norm
from .wgan import WGANGP, wgan_gp_step


def discriminator_step(
    D: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    opt_d: torch.optim.Optimizer,
    *,
    real_label: float = 1.0,
    precision: Precision = FLOAT32,
    labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Teach D to say 1 for real images and 0 for generated ones (one update).

    ``real`` and ``fake``: ``(N, C, H, W)`` batches in [-1, 1]; ``fake`` must be detached from G: this step
    changes D only. ``real_label`` below 1 is one-sided label smoothing (notebook 05). D's forward passes
    and the loss run under ``precision.autocast``, the update goes through ``precision.scaler``
    (:class:`helpers.infra.env.Precision`). Returns detached statistics: ``loss_d``, ``d_real`` and ``d_fake`` (mean
    probabilities in [0, 1]) and ``grad_norm_d``.

    ``labels`` (a conditional GAN, notebook 06): integer ``(N,)`` classes of ``real``, which ``fake`` was drawn
    for too; D then judges each image together with its label, ``D(x, labels)``.
    """
    given = () if labels is None else (labels,)
    opt_d.zero_grad(set_to_none=True)
    with precision.autocast:
        logits_real, logits_fake = D(real, *given), D(fake, *given)
        loss = F.binary_cross_entropy_with_logits(
            logits_real, torch.full_like(logits_real, real_label)
        ) + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    norm = apply_update(loss, opt_d, precision.scaler)
    return {
        "loss_d": loss.detach(),
        "d_real": torch.sigmoid(logits_real.detach().float()).mean(),
        "d_fake": torch.sigmoid(logits_fake.detach().float()).mean(),
        "grad_norm_d": norm,
    }


def generator_step(
    D: nn.Module,
    fake: torch.Tensor,
    opt_g: torch.optim.Optimizer,
    *,
    saturating: bool = False,
    precision: Precision = FLOAT32,
    labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Teach G to make D say 1 for its images (one update of G through a frozen D).

    ``fake``: G's ``(N, C, H, W)`` batch, not detached. The default is the non-saturating loss
    ``-log D(G(z))``; ``saturating=True`` uses the original minimax ``log(1 - D(G(z)))``, whose gradient
    vanishes while D easily spots the fakes (notebooks 02 and 05). ``precision`` as in
    :func:`discriminator_step`. ``labels``: the ``(N,)`` classes ``fake`` was drawn for (a conditional GAN),
    which D judges it with. Returns detached ``loss_g`` and ``grad_norm_g``.
    """
    given = () if labels is None else (labels,)
    opt_g.zero_grad(set_to_none=True)
    D.requires_grad_(False)  # gradients flow through D to G, but D's weights need none
    try:
        with precision.autocast:
            logits = D(fake, *given)
            if saturating:
                loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
            else:
                loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        norm = apply_update(loss, opt_g, precision.scaler)
    finally:
        D.requires_grad_(True)
    return {"loss_g": loss.detach(), "grad_norm_g": norm}


def train_step(
    G: nn.Module,
    D: nn.Module,
    real: torch.Tensor,
    noise: Callable[[int], torch.Tensor],
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    *,
    precision: Precision = FLOAT32,
    saturating: bool = False,
    real_label: float = 1.0,
    ema: AveragedModel | None = None,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """One training step: G draws a batch, D learns to tell it from ``real``, G learns to fool the new D.

    ``real``: ``(N, C, H, W)`` float in [-1, 1] on the training device; ``noise(n)`` draws latent
    vectors there. Both networks' forward passes run under ``precision.autocast`` and both updates go through
    ``precision.scaler`` (:class:`helpers.infra.env.Precision`; the default is float32); ``ema`` (see
    :func:`helpers.sampling.generator_ema`) follows G after its update. Returns the step's statistics as one
    float32 row on the device, ordered as :data:`helpers.history.STEP_KEYS` (no host sync).

    ``labels`` (a conditional GAN, notebook 06): the integer ``(N,)`` classes of ``real``. G then draws its
    batch for the same classes, ``G(z, labels)``, and both networks see them: the fakes come with the real
    batch's class mix, so D cannot tell them apart by how often each class appears.
    """
    given = () if labels is None else (labels,)
    with precision.autocast:
        fake = G(noise(len(real)), *given)
    stats = discriminator_step(D, real, fake.detach(), opt_d, real_label=real_label, precision=precision, labels=labels)
    stats |= generator_step(D, fake, opt_g, saturating=saturating, precision=precision, labels=labels)
    if ema is not None:
        ema.update_parameters(G)
    return torch.stack([stats[k].float() for k in STEP_KEYS])


def _labelled_step(step: Callable[..., torch.Tensor], batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """``step`` (a :func:`train_step` waiting for its batch) on a batch of ``(images, labels)``."""
    real, labels = batch
    return step(real, labels=labels)


@dataclass
class EpochEnd:
    """Handed to each callback after every completed epoch."""

    epoch: int
    G: nn.Module
    D: nn.Module
    history: History


def _resume(
    checkpoint: str | Path,
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    data: TensorBatches,
    scaler: torch.amp.GradScaler,
    ema: AveragedModel | None,
    run: dict | None = None,
) -> tuple[History, int, int]:
    """Load a :func:`fit` checkpoint into the models, optimisers and random states; (history, epoch, step).

    Refuses (:class:`CheckpointError`) a file that is no training checkpoint, and one whose stored run
    settings differ from ``run`` (:func:`helpers.infra.checkpoint.require_same_run`, naming each difference).
    """
    state = load_checkpoint(checkpoint)  # onto the CPU: load_state_dict moves each tensor to its device
    require_training_checkpoint(state, checkpoint)
    require_same_run(
        state.get("run"),
        run or {},
        checkpoint,
        "resuming would mix two runs. Use another checkpoint path, or the same settings.",
    )
    load_weights(G, state["G"], "generator", checkpoint)
    load_weights(D, state["D"], "discriminator", checkpoint)
    if ema is not None:
        if "G_ema" not in state:
            raise CheckpointError(
                f"{checkpoint} has no averaged generator (G_ema): it was written by a "
                "run without one. Use another output folder, or delete the checkpoint."
            )
        load_weights(ema, state["G_ema"], "averaged generator", checkpoint)
    opt_g.load_state_dict(state["opt_g"])
    opt_d.load_state_dict(state["opt_d"])
    if state.get("scaler"):  # {} from a disabled scaler; absent in older checkpoints
        scaler.load_state_dict(state["scaler"])
    restore_rng(state["rng"], data.batch_rng)
    return History.from_dict(state["history"]), int(state["epoch"]), int(state["step_in_epoch"])


def _continued(history: History | None, resuming: bool) -> tuple[History, int, int]:
    """(history, epoch, step in epoch) to start from: a fresh record, or ``history`` after its last epoch."""
    if history is None:
        return History(), 0, 0
    if resuming:
        raise ValueError("Pass history=... or resume from a checkpoint, not both: each holds the run's record.")
    if history.steps != (history.epoch_end_step[-1] if history.epochs else 0):
        raise ValueError(
            f"history ends inside an epoch ({history.steps} steps, epochs ended at {history.epoch_end_step}): "
            "call history.end_epoch() after an epoch's last step, then fit(..., history=history)."
        )
    return history, history.epochs, 0


class _Budget:
    """The epochs and seconds a run may take, resumed parts included, and the progress bar that shows them."""

    def __init__(self, epochs: int | None, max_seconds: float | None, progress: bool) -> None:
        if epochs is None and max_seconds is None:
            raise ValueError("Give epochs=..., max_seconds=..., or both.")
        if (epochs is not None and epochs < 0) or (max_seconds is not None and not max_seconds > 0):
            raise ValueError(
                f"epochs must be >= 0 and max_seconds > 0 (got epochs={epochs}, max_seconds={max_seconds})."
            )
        self.epochs, self.max_seconds, self.progress = epochs, max_seconds, progress

    @contextlib.contextmanager
    def running(self, history: History, steps_per_epoch: int) -> Iterator[None]:
        """Start the clock where ``history`` left it, and show a bar of steps (or of seconds) while training."""
        self.start = time.perf_counter() - history.seconds
        by_steps = self.epochs is not None
        total = self.epochs * steps_per_epoch if by_steps else math.ceil(self.max_seconds)
        done = history.steps if by_steps else int(history.seconds)
        self.bar = tqdm(
            total=total,
            initial=min(done, total),
            unit="step" if by_steps else "s",
            disable=not self.progress,
            leave=True,
        )
        try:
            yield
        finally:
            self.bar.close()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def tick(self) -> None:
        """One step done: advance the bar."""
        self.bar.update(1 if self.epochs is not None else int(self.elapsed()) - self.bar.n)

    def spent(self) -> bool:
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds

    def more_epochs(self, epoch: int, history: History) -> bool:
        """Whether another epoch starts: by the epoch count, and by the time saved in ``history`` (as a resume sees
        it, so a resumed run whose budget is spent trains nothing)."""
        time_left = self.max_seconds is None or history.seconds < self.max_seconds
        return (self.epochs is None or epoch < self.epochs) and time_left


def _check(
    monitor: HealthMonitor | None,
    scaler: torch.amp.GradScaler,
    history: History,
    budget: _Budget,
    rows: list[torch.Tensor],
    checked: int,
) -> int:
    """Run the health checks on ``rows[checked:]`` (one device sync); return the new ``checked``.

    On divergence the rows join ``history`` (for plotting what led to it) before the error propagates.
    """
    if monitor is not None and len(rows) > checked:
        try:
            monitor.check(
                torch.stack(rows[checked:]).cpu(),
                history.steps + checked,
                history,
                scaler.get_scale() if scaler.is_enabled() else None,
            )
        except TrainingDiverged:
            history.extend(rows)
            history.seconds = budget.elapsed()
            raise
    return len(rows)


def _train_epoch(
    step: Callable[[torch.Tensor], torch.Tensor],
    data: TensorBatches,
    skip: int,
    history: History,
    budget: _Budget,
    check: Callable[[list[torch.Tensor], int], int],
) -> int:
    """One epoch of ``step`` from batch ``skip``, until the epoch or the time budget ends.

    The statistics join ``history`` after the health checks passed (NaN weights never reach a
    checkpoint). Returns the batches of this epoch done: ``len(data)`` when it finished.
    """
    rows: list[torch.Tensor] = []
    checked, done = 0, skip
    for batch in data.epoch(skip):
        rows.append(step(batch))
        done += 1
        if len(rows) - checked >= HEALTH_EVERY:
            checked = check(rows, checked)
        budget.tick()
        if done < len(data) and budget.spent():
            break
    check(rows, checked)
    history.extend(rows)
    history.seconds = budget.elapsed()
    return done


def _save(
    checkpoint: str | Path | None,
    history: History,
    epoch: int,
    step_in_epoch: int,
    batch_rng: torch.Tensor,
    parts: dict[str, object],
) -> None:
    """Write everything a resume needs (``parts``: the state dicts and the run settings), if checkpointing."""
    if checkpoint is not None:
        save_checkpoint(
            checkpoint,
            **{k: v.state_dict() if hasattr(v, "state_dict") else v for k, v in parts.items() if v is not None},
            history=history.to_dict(),
            epoch=epoch,
            step_in_epoch=step_in_epoch,
            rng=capture_rng(batch_rng),
        )


def _end_epoch(
    epoch: int,
    history: History,
    budget: _Budget,
    callbacks: Sequence[Callable[[EpochEnd], None]],
    G: nn.Module,
    D: nn.Module,
) -> None:
    """Record the epoch's end, show its averages, and hand it to the callbacks (which may switch modes)."""
    history.end_epoch()
    steps = history.steps - (history.epoch_end_step[-2] if history.epochs > 1 else 0)
    budget.bar.set_postfix_str(f"epoch {epoch} | " + history.summary(steps).split(" | ", 1)[1], refresh=False)
    for callback in callbacks:
        callback(EpochEnd(epoch, G, D, history))
    G.train()
    D.train()


@contextlib.contextmanager
def _noting_kept_checkpoint(checkpoint: str | Path | None) -> Iterator[None]:
    """Let a :class:`TrainingDiverged` raised in the block say which checkpoint was kept (it saves none)."""
    try:
        yield
    except TrainingDiverged as exc:
        exc.note(
            f"The last checkpoint ({checkpoint}, from before this failure) was kept."
            if checkpoint is not None
            else "No checkpoint was being written."
        )
        raise


def fit(
    G: nn.Module,
    D: nn.Module,
    data: TensorBatches,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    noise: Callable[[int], torch.Tensor],
    *,
    epochs: int | None = None,
    max_seconds: float | None = None,
    callbacks: Sequence[Callable[[EpochEnd], None]] = (),
    checkpoint: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    precision: str | Precision = "auto",
    saturating: bool = False,
    real_label: float = 1.0,
    health: bool = True,
    ema: AveragedModel | None = None,
    run: dict | None = None,
    history: History | None = None,
    wgan_gp: WGANGP | None = None,
) -> History:
    """Train G and D together; stop after ``epochs`` or ``max_seconds`` (whichever comes first).

    ``noise(n)`` draws a batch of latent vectors on the data's device. With
    ``checkpoint`` set, the models, optimizers, history and every random state are
    saved after each epoch (and when the time budget ends mid-epoch); with
    ``resume=True`` an existing checkpoint is loaded first and training continues
    exactly where it stopped: same batches, same noise, same weights as if never
    interrupted (on CPU). A checkpoint resumes on any device, whichever one wrote it.
    Budgets count the whole run, resumed parts included.

    ``precision``: one of :data:`helpers.infra.env.PRECISIONS` (``"auto"``, the device's measured choice, ``"fp32"``,
    ``"bf16"``, ``"fp16"``; :func:`helpers.infra.env.choose_precision` decides), or a
    :class:`helpers.infra.env.Precision` for ``data``'s device type (a recipe's,
    :attr:`helpers.recipes.Setup.precision`); both networks' forward passes run
    under it. ``ValueError`` for a request the device cannot use, or a Precision for another device type.

    With ``health=True`` every :data:`HEALTH_EVERY` steps (one device sync each) the
    run is checked for signs of failure (:class:`helpers.health.HealthMonitor`): a discriminator
    that wins outright or an exploding generator loss give a :class:`GANHealthWarning`;
    divergence raises :class:`TrainingDiverged` before anything is saved, so the
    last good checkpoint is kept. Notebook 05 explains each symptom.

    ``data`` made with labels (``TensorBatches(images, ..., labels=labels)``) trains a conditional GAN
    (notebook 06): each step passes the batch's labels to :func:`train_step`, and the weight average's
    batch norm is re-estimated on labels drawn from the training labels.

    ``ema`` (an ``AveragedModel`` of ``G``, see :func:`helpers.sampling.generator_ema`) is updated after
    every generator step, gets fresh batch-norm statistics at the end of each epoch and
    of the run, and is checkpointed with the rest: its averaged weights draw smoother
    samples than ``G``'s latest ones (notebook 02).

    ``run`` (plain values, e.g. ``{"recipe": ..., "seed": ..., "images": ...}``) is stored in the
    checkpoint; a resume whose ``run`` differs from the stored one in any setting both hold raises
    :class:`CheckpointError` instead of continuing another run's weights.

    ``history``: the record of epochs these models were already trained for outside ``fit`` (notebook
    02 trains its first epoch in a visible loop of :func:`train_step`); training continues with the
    next epoch and extends it. ``ValueError`` when it ends inside an epoch, or with a resume.

    ``wgan_gp`` (:class:`helpers.wgan.WGANGP`) trains with the Wasserstein loss and gradient penalty instead
    (notebook 07): each step is :func:`helpers.wgan.wgan_gp_step`, ``n_critic`` critic updates on the parts
    of one batch of ``data`` (make its batches ``n_critic`` times the critic's batch) and one G update; the
    history's ``d_real``/``d_fake`` are then mean critic scores (``history.critic`` is True), and the health
    checks look for divergence only (their trend warnings read D's probabilities, which a critic has not).
    ``ValueError`` with ``saturating``, ``real_label`` other than 1, or labelled data: those belong to the
    standard loss.
    """
    budget = _Budget(epochs, max_seconds, progress)
    if not isinstance(precision, Precision):
        precision = choose_precision(data.device, precision)
    if precision.device_type != data.device.type:
        raise ValueError(
            f"precision is set up for {precision.device_type}, the data is on {data.device.type}: pass "
            f"precision='auto' (or another word), or a Precision made by choose_precision({str(data.device)!r}, ...)."
        )
    if wgan_gp is not None and (saturating or real_label != 1.0 or data.labels is not None):
        raise ValueError(
            "wgan_gp trains a critic with the Wasserstein loss: leave saturating=False and real_label=1.0 "
            "(they belong to the standard GAN loss), and pass batches without labels."
        )
    scaler = precision.scaler
    resuming = resume and checkpoint is not None and Path(checkpoint).exists()
    history, epoch, skip = _continued(history, resuming)
    if resuming:
        history, epoch, skip = _resume(checkpoint, G, D, opt_g, opt_d, data, scaler, ema, run)
    if history.steps and history.critic != (wgan_gp is not None):
        raise ValueError(
            f"history was recorded with {'a critic' if history.critic else 'the standard loss'}: continue it with "
            f"the same loss ({'pass' if history.critic else 'leave out'} wgan_gp=...)."
        )
    history.critic = wgan_gp is not None
    parts = {"G": G, "D": D, "opt_g": opt_g, "opt_d": opt_d, "scaler": scaler, "G_ema": ema, "run": run}
    common = {"noise": noise, "opt_g": opt_g, "opt_d": opt_d, "precision": precision, "ema": ema}
    if wgan_gp is not None:
        step = partial(wgan_gp_step, G, D, loss=wgan_gp, **common)
    else:
        step = partial(train_step, G, D, saturating=saturating, real_label=real_label, **common)
    if data.labels is not None:  # batches are (images, labels): a conditional GAN
        step = partial(_labelled_step, step)
    monitor = HealthMonitor(saturating, scaled=scaler.is_enabled(), critic=wgan_gp is not None) if health else None
    check = partial(_check, monitor, scaler, history, budget)
    G.train()
    D.train()
    with budget.running(history, len(data)), _noting_kept_checkpoint(checkpoint):
        while budget.more_epochs(epoch, history):
            batch_rng = data.batch_rng.get_state()
            done = _train_epoch(step, data, skip, history, budget, check)
            if ema is not None:  # before callbacks sample from it and before it is saved
                recalibrate_batch_norm(
                    ema, noise, data.batch_size, labels=None if data.labels is None else data.draw_labels
                )
            if done < len(data):  # the time budget ended mid-epoch: remember where, to resume there
                _save(checkpoint, history, epoch, done, batch_rng, parts)
                break
            epoch, skip = epoch + 1, 0
            _end_epoch(epoch, history, budget, callbacks, G, D)
            _save(checkpoint, history, epoch, 0, data.batch_rng.get_state(), parts)
    return history
