""":func:`fit`: a training step, as a lesson writes it, run for many epochs or a time budget, with what a long run
needs: a progress bar, a record of every step's statistics, health checks, callbacks after each epoch, and a
checkpoint after every epoch from which an interrupted run (a Colab disconnect, a killed process) resumes exactly
where it stopped.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from .data import TensorBatches
from .health import HEALTH_EVERY, HealthMonitor, TrainingDiverged
from .history import History
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

#: A training step: one batch (images in [-1, 1], or ``(images, labels)``) -> its statistics, scalar tensors by
#: name (e.g. :func:`helpers.train_step` with its networks and optimisers filled in).
Step = Callable[[object], Mapping[str, torch.Tensor]]


@dataclass
class EpochEnd:
    """Handed to each callback after every completed epoch, and once more when the time budget ends a run inside
    an epoch (``complete=False``; ``epoch`` is then the epoch that was cut short)."""

    epoch: int
    history: History
    complete: bool = True


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
        """Start the clock where ``history`` left it, and show a bar of steps (or of seconds) while training. A
        run that its time budget ended closes a full bar that says so: reaching the budget is how it ends."""
        self.start = time.perf_counter() - history.seconds
        by_steps = self.epochs is not None
        total = self.epochs * steps_per_epoch if by_steps else math.ceil(self.max_seconds)
        done = history.steps if by_steps else int(history.seconds)
        self.bar = tqdm(
            total=total, initial=min(done, total), unit="step" if by_steps else "s", disable=not self.progress
        )
        try:
            yield
        finally:
            if self.spent() and self.bar.n < self.bar.total:
                self.bar.total = self.bar.n
                self.bar.set_description_str(f"time budget of {self.max_seconds:g} s reached")
            self.bar.close()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def tick(self) -> None:
        """One step done: advance the bar."""
        self.bar.update(1 if self.epochs is not None else min(int(self.elapsed()), self.bar.total) - self.bar.n)

    def spent(self) -> bool:
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds

    def more_epochs(self, epoch: int, history: History) -> bool:
        """Whether another epoch starts: by the epoch count, and by the time saved in ``history`` (as a resume sees
        it, so a resumed run whose budget is spent trains nothing)."""
        time_left = self.max_seconds is None or history.seconds < self.max_seconds
        return (self.epochs is None or epoch < self.epochs) and time_left


def _load_part(part: object, saved: object, name: str, path: str | Path) -> None:
    """Load one entry of a checkpoint into ``part``: a network (its device keeps the tensors), an optimiser, a
    scaler. An empty entry (a disabled gradient scaler's) leaves ``part`` as it is."""
    if isinstance(part, nn.Module):
        load_weights(part, saved, name, path)
    elif saved:
        try:
            part.load_state_dict(saved)
        except (ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"{path}: its {name} does not fit this run's ({exc}).") from exc


def _resume(
    checkpoint: str | Path, state: Mapping[str, object], data: TensorBatches, run: dict
) -> tuple[History, int, int]:
    """Load a :func:`fit` checkpoint into ``state``'s parts and the random states; (history, epoch, step in epoch).

    Refuses (:class:`CheckpointError`) a file that is no training checkpoint, one whose stored run settings differ
    from ``run`` (naming each difference), and one that lacks a part of ``state``.
    """
    saved = load_checkpoint(checkpoint)  # onto the CPU: load_state_dict moves each tensor to its device
    require_training_checkpoint(saved, checkpoint)
    remedy = "resuming would mix two runs. Use another checkpoint path, or the same settings."
    require_same_run(saved.get("run"), run, checkpoint, remedy)
    for name, part in state.items():
        if name not in saved and not isinstance(part, torch.amp.GradScaler):
            raise CheckpointError(
                f"{checkpoint} has no {name}: it was written by a run without one. Use another checkpoint path."
            )
        _load_part(part, saved.get(name), name, checkpoint)
    restore_rng(saved["rng"], data.batch_rng)
    return History.from_dict(saved["history"]), int(saved["epoch"]), int(saved["step_in_epoch"])


class _Run:
    """What one call of :func:`fit` keeps while it trains: the parts it checkpoints, the record, the budget, the
    health checks."""

    def __init__(
        self,
        state: Mapping[str, object],
        history: History,
        budget: _Budget,
        monitor: HealthMonitor | None,
        checkpoint: str | Path | None,
        run: dict,
    ) -> None:
        self.state, self.history, self.budget, self.monitor = state, history, budget, monitor
        self.checkpoint, self.run = checkpoint, run
        self.scalers = [s for s in state.values() if isinstance(s, torch.amp.GradScaler) and s.is_enabled()]

    def check(self, keys: Sequence[str], rows: list[torch.Tensor], checked: int) -> int:
        """Run the health checks on ``rows[checked:]`` (one device sync); return the new ``checked``. On
        divergence the rows join the history (for plotting what led to it) before the error propagates."""
        if self.monitor is None or len(rows) == checked:
            return len(rows)
        try:
            window = torch.stack(rows[checked:]).cpu()
            scales = [s.get_scale() for s in self.scalers]
            self.monitor.check(window, keys, self.history.steps + checked, self.history, scales)
        except TrainingDiverged:
            self.history.extend(keys, rows)
            self.history.seconds = self.budget.elapsed()
            raise
        return len(rows)

    def epoch(self, step: Step, data: TensorBatches, skip: int) -> int:
        """One epoch of ``step`` from batch ``skip``, until the epoch or the time budget ends; the batches of the
        epoch done (``len(data)`` when it finished). The statistics join the history after the health checks
        passed, so NaN weights never reach a checkpoint."""
        keys: list[str] = []
        rows: list[torch.Tensor] = []
        checked, done = 0, skip
        for batch in data.epoch(skip):
            stats = step(batch)
            keys = keys or list(stats)
            rows.append(torch.stack([torch.as_tensor(stats[k], device=data.device).detach().float() for k in keys]))
            done += 1
            if len(rows) - checked >= HEALTH_EVERY:
                checked = self.check(keys, rows, checked)
            self.budget.tick()
            if done < len(data) and self.budget.spent():
                break
        self.check(keys, rows, checked)
        self.history.extend(keys, rows)
        self.history.seconds = self.budget.elapsed()
        return done

    def save(self, epoch: int, step_in_epoch: int, batch_rng: torch.Tensor) -> None:
        """Write everything a resume needs, if checkpointing: the parts' state dicts, the run's settings, the
        history, where the run stands and the random states (``batch_rng``: the batch order's, at the epoch's start)."""
        if self.checkpoint is not None:
            save_checkpoint(
                self.checkpoint,
                **{name: part.state_dict() for name, part in self.state.items()},
                run=self.run,
                history=self.history.to_dict(),
                epoch=epoch,
                step_in_epoch=step_in_epoch,
                rng=capture_rng(batch_rng),
            )

    def end_epoch(self, end: EpochEnd, callbacks: Sequence[Callable[[EpochEnd], None]]) -> None:
        """Record a completed epoch, show its averages on the bar, and hand ``end`` to the callbacks."""
        if end.complete:
            self.history.end_epoch()
            last = self.history.epoch_means()[-1]
            means = ", ".join(f"{k} {v:.3g}" for k, v in last.items() if k not in ("epoch", "complete"))
            self.budget.bar.set_postfix_str(f"epoch {end.epoch} | {means}", refresh=False)
        for callback in callbacks:
            callback(end)

    @contextlib.contextmanager
    def noting_kept_checkpoint(self) -> Iterator[None]:
        """Let a :class:`TrainingDiverged` raised in the block say which checkpoint was kept (it saves none)."""
        try:
            yield
        except TrainingDiverged as exc:
            exc.note(
                f"The last checkpoint ({self.checkpoint}, from before this failure) was kept."
                if self.checkpoint is not None
                else "No checkpoint was being written."
            )
            raise


def fit(
    step: Step,
    data: TensorBatches,
    *,
    state: Mapping[str, object],
    epochs: int | None = None,
    max_seconds: float | None = None,
    callbacks: Sequence[Callable[[EpochEnd], None]] = (),
    checkpoint: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    health: bool | HealthMonitor = True,
    run: dict | None = None,
) -> History:
    """Run ``step`` on every batch of ``data``, epoch after epoch; stop after ``epochs`` or ``max_seconds``
    (whichever comes first; a budget counts the whole run, resumed parts included). Returns the run's history.

    ``step(batch)``: one training step as a lesson writes it (e.g. ``lambda real: train_step(G, D, real, noise,
    opt_g, opt_d)``), handed each batch as ``data`` yields it; it returns its statistics as scalar tensors by
    name, which the history records. ``state``: what the step trains, by name, everything with a ``state_dict``
    (e.g. ``{"G": G, "D": D, "opt_g": opt_g, "opt_d": opt_d}``, the averaged generator, gradient scalers): the
    networks are put in train mode at the start, and a checkpoint holds them all.

    With ``checkpoint`` set, ``state``, the history and every random state are saved after each epoch (and when
    the time budget ends mid-epoch); with ``resume=True`` an existing checkpoint is loaded first and training
    continues exactly where it stopped: same batches, same noise, same weights as if never interrupted (on a CPU),
    on any device, whichever one wrote it. ``run`` (plain values, such as a recipe's settings) is stored in the
    checkpoint; a resume whose ``run`` differs from the stored one in any setting both hold raises
    :class:`CheckpointError` instead of continuing another run's weights.

    ``callbacks`` get an :class:`EpochEnd` after every epoch, and once more (``complete=False``) when the time
    budget ends a run inside an epoch; all before the checkpoint is written. ``health`` (:class:`HealthMonitor`;
    ``True``: the default checks) looks at every :data:`HEALTH_EVERY` steps (one device sync each) for signs of
    failure: a :class:`GANHealthWarning` for a failing trend; :class:`TrainingDiverged` on divergence, before
    anything is saved, so the last good checkpoint is kept. Notebook 05 explains each symptom.
    """
    budget = _Budget(epochs, max_seconds, progress)
    resuming = resume and checkpoint is not None and Path(checkpoint).exists()
    history, epoch, skip = _resume(checkpoint, state, data, run or {}) if resuming else (History(), 0, 0)
    monitor = HealthMonitor() if health is True else health or None
    this = _Run(state, history, budget, monitor, checkpoint, run or {})
    for part in state.values():
        if isinstance(part, nn.Module):
            part.train()
    with budget.running(history, len(data)), this.noting_kept_checkpoint():
        while budget.more_epochs(epoch, history):
            batch_rng = data.batch_rng.get_state()
            done = this.epoch(step, data, skip)
            if done < len(data):  # the time budget ended mid-epoch: remember where, to resume there
                this.end_epoch(EpochEnd(epoch + 1, history, complete=False), callbacks)
                this.save(epoch, done, batch_rng)
                break
            epoch, skip = epoch + 1, 0
            this.end_epoch(EpochEnd(epoch, history), callbacks)
            this.save(epoch, 0, data.batch_rng.get_state())
    return history
