"""The GAN training core shared by every notebook and the CLI.

One discriminator step, one generator step, and :func:`fit`, which loops over them
for a number of epochs or a time budget, keeps a history, calls per-epoch
callbacks, and writes a checkpoint after every epoch so that an interrupted run
(a Colab disconnect, a killed process) resumes exactly where it stopped.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
from tqdm.auto import tqdm

from .data import TensorBatches, to_unit

#: Per-step quantities recorded in :class:`History`.
STEP_KEYS = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")


class CheckpointError(RuntimeError):
    """A checkpoint file is unreadable or belongs to different models."""


class GANHealthWarning(UserWarning):
    """:func:`fit` noticed a sign of a failing GAN (notebook 05 shows each one and its remedies)."""


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite; :func:`fit` stopped before saving those weights.

    ``history`` holds the steps up to the last completed epoch's checkpoint plus the
    failing window, for plotting what led to the blow-up.
    """

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


#: Health checks run on windows of this many steps (one device sync per window).
HEALTH_EVERY = 100
#: "D has won": mean D(x) above this and mean D(G(z)) below 1 minus it over a whole window.
HEALTH_D_WINS = 0.99
#: "Generator loss exploding": mean non-saturating generator loss above this over a window
#: (-log D(G(z)) > 10 means D gives the fakes a probability below 5e-5).
HEALTH_LOSS_G_LIMIT = 10.0
_SEE_05 = "See notebook 05 (evaluating and debugging GANs) for causes and remedies."


class HealthMonitor:
    """Cheap checks on windows of per-step statistics (rows ordered as :data:`STEP_KEYS`).

    Each kind of warning is issued at most once per :func:`fit` call. Non-finite
    losses raise :class:`TrainingDiverged` (the caller has not saved them yet).
    """

    def __init__(self, saturating: bool = False, checkpoint: str | Path | None = None) -> None:
        self.saturating, self.checkpoint = saturating, checkpoint
        self.warned: set[str] = set()

    def check(self, window: torch.Tensor, first_step: int, history: History) -> None:
        """Inspect ``window`` (steps x len(STEP_KEYS)) that starts at global step ``first_step``."""
        if not len(window):
            return
        stats = dict(zip(STEP_KEYS, window.T))
        finite = torch.isfinite(window).all(1)
        if not bool(finite.all()):
            bad = int((~finite).nonzero()[0])
            row = {k: float(v[bad]) for k, v in stats.items()}
            kept = (f"The last checkpoint ({self.checkpoint}, from before this failure) was kept."
                    if self.checkpoint is not None else "No checkpoint was being written.")
            raise TrainingDiverged(
                f"Training diverged at step {first_step + bad}: loss D {row['loss_d']}, loss G {row['loss_g']}, "
                f"grad norms D {row['grad_norm_d']:.3g}, G {row['grad_norm_g']:.3g}. Stopped. {kept} Try a "
                f"lower learning rate, spectral normalisation in D, or checking the data for NaNs. {_SEE_05}",
                history)
        if len(window) < HEALTH_EVERY // 2:  # too short to call a trend (e.g. an epoch's tail)
            return
        last = first_step + len(window) - 1
        d_real, d_fake = float(stats["d_real"].mean()), float(stats["d_fake"].mean())
        if d_real > HEALTH_D_WINS and d_fake < 1 - HEALTH_D_WINS:
            self._warn("d_wins", f"steps {first_step}-{last}: D(x) = {d_real:.3f} and D(G(z)) = {d_fake:.4f} "
                       "on average: the discriminator is winning outright, so the generator learns little. Try "
                       "a lower discriminator learning rate, one-sided label smoothing (real_label=0.9), "
                       f"instance noise or spectral normalisation in D. {_SEE_05}")
        loss_g = float(stats["loss_g"].mean())
        if not self.saturating and loss_g > HEALTH_LOSS_G_LIMIT:
            self._warn("loss_g", f"steps {first_step}-{last}: the generator loss averages {loss_g:.1f} "
                       f"(> {HEALTH_LOSS_G_LIMIT:g}): it is exploding because D rejects every fake with "
                       f"near certainty. {_SEE_05}")

    def _warn(self, kind: str, message: str) -> None:
        if kind not in self.warned:
            self.warned.add(kind)
            warnings.warn(message, GANHealthWarning, stacklevel=4)


def _grad_norm(params: Sequence[torch.Tensor]) -> torch.Tensor:
    grads = [p.grad for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.float()) for g in grads]))


def _apply(loss: torch.Tensor, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None) -> torch.Tensor:
    """Backward + optimizer step (through the grad scaler under fp16); returns the grad norm."""
    params = [p for group in opt.param_groups for p in group["params"]]
    if scaler is None:
        loss.backward()
        norm = _grad_norm(params)
        opt.step()
        return norm
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    norm = _grad_norm(params)
    scaler.step(opt)
    scaler.update()
    return norm


def discriminator_step(D: nn.Module, real: torch.Tensor, fake: torch.Tensor, opt_d: torch.optim.Optimizer,
                       *, real_label: float = 1.0, scaler: torch.amp.GradScaler | None = None,
                       autocast: contextlib.AbstractContextManager | None = None) -> dict[str, torch.Tensor]:
    """Teach D to say 1 for real images and 0 for generated ones (one update).

    ``fake`` must be detached from G: this step changes D only. ``real_label`` below
    1 is one-sided label smoothing (notebook 05). Returns detached statistics.
    """
    opt_d.zero_grad(set_to_none=True)
    with autocast or contextlib.nullcontext():
        logits_real, logits_fake = D(real), D(fake)
        loss = (F.binary_cross_entropy_with_logits(logits_real, torch.full_like(logits_real, real_label))
                + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake)))
    norm = _apply(loss, opt_d, scaler)
    return {"loss_d": loss.detach(), "d_real": torch.sigmoid(logits_real.detach().float()).mean(),
            "d_fake": torch.sigmoid(logits_fake.detach().float()).mean(), "grad_norm_d": norm}


def generator_step(D: nn.Module, fake: torch.Tensor, opt_g: torch.optim.Optimizer, *, saturating: bool = False,
                   scaler: torch.amp.GradScaler | None = None,
                   autocast: contextlib.AbstractContextManager | None = None) -> dict[str, torch.Tensor]:
    """Teach G to make D say 1 for its images (one update of G through a frozen D).

    The default is the non-saturating loss ``-log D(G(z))``; ``saturating=True`` uses
    the original minimax ``log(1 - D(G(z)))``, whose gradient vanishes while D easily
    spots the fakes (notebooks 02 and 05).
    """
    opt_g.zero_grad(set_to_none=True)
    D.requires_grad_(False)  # gradients flow through D to G, but D's weights need none
    try:
        with autocast or contextlib.nullcontext():
            logits = D(fake)
            if saturating:
                loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
            else:
                loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        norm = _apply(loss, opt_g, scaler)
    finally:
        D.requires_grad_(True)
    return {"loss_g": loss.detach(), "grad_norm_g": norm}


@dataclass
class History:
    """What happened during training: per-step statistics and epoch boundaries."""

    loss_d: list[float] = field(default_factory=list)
    loss_g: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    grad_norm_d: list[float] = field(default_factory=list)
    grad_norm_g: list[float] = field(default_factory=list)
    epoch_end_step: list[int] = field(default_factory=list)
    epoch_end_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.loss_d)

    @property
    def epochs(self) -> int:
        """Completed epochs."""
        return len(self.epoch_end_step)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**d)

    def _extend(self, rows: list[torch.Tensor]) -> None:
        if rows:
            for key, column in zip(STEP_KEYS, torch.stack(rows).T.tolist()):
                getattr(self, key).extend(column)

    def summary(self, last: int = 100) -> str:
        """One line with the mean of the last ``last`` steps, for logs."""
        if not self.steps:
            return "no steps yet"
        def mean(values: list[float]) -> float:
            return sum(values[-last:]) / len(values[-last:])
        return (f"epochs {self.epochs}, steps {self.steps}, {self.seconds:.0f} s | "
                f"loss D {mean(self.loss_d):.3f}, G {mean(self.loss_g):.3f} | "
                f"D(x) {mean(self.d_real):.2f}, D(G(z)) {mean(self.d_fake):.2f}")


@dataclass
class EpochEnd:
    """Handed to each callback after every completed epoch."""

    epoch: int
    G: nn.Module
    D: nn.Module
    history: History


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, **state: object) -> None:
    """Write ``state`` atomically (a temp file, then rename): a kill mid-write keeps the old one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint with ``weights_only=True`` (no arbitrary code), or explain why not."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"No checkpoint at {path}.")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path} is not a readable checkpoint ({type(exc).__name__}). It may be "
                              "truncated by an interrupted copy: delete it to start afresh.") from exc


def load_weights(model: nn.Module, state: dict, what: str, path: str | Path) -> None:
    """``load_state_dict`` with an error that names the file and the likely cause."""
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[1:2] or [str(exc)[:200]]
        raise CheckpointError(f"{path} holds a {what} of a different shape than {type(model).__name__} "
                              f"built here ({first[0].strip()}). It was written by another recipe or "
                              "settings: use another output folder, or delete the checkpoint.") from exc


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX), where bf16 autocast pays off.

    Elsewhere PyTorch emulates bf16 on CPU, which is slower than float32.
    """
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check is not None and bool(check()) for check in checks)


def amp_setup(device: torch.device, amp: bool | None) -> tuple[contextlib.AbstractContextManager | None,
                                                                 torch.amp.GradScaler | None]:
    """Mixed precision on CUDA: bf16 where supported (no scaler), else fp16 with a grad scaler.

    ``amp=None`` means on for CUDA, off elsewhere (CPU autocast is slower for these nets).
    ``amp=True`` on a CPU means bf16 autocast, only where the CPU computes bf16 natively
    (:func:`cpu_has_native_bf16`); convolutional nets gain about 2x there (``dcgan-cats``).
    """
    if not (amp if amp is not None else device.type == "cuda"):
        return None, None
    if device.type == "cpu" and cpu_has_native_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16), None
    if device.type != "cuda":
        raise ValueError("amp=True needs a CUDA device or a CPU with native bf16 (AVX512-BF16 or AMX); "
                         "pass amp=None or False here.")
    if torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16), None
    return torch.autocast("cuda", dtype=torch.float16), torch.amp.GradScaler("cuda")


def fit(G: nn.Module, D: nn.Module, data: TensorBatches, opt_g: torch.optim.Optimizer,
        opt_d: torch.optim.Optimizer, noise: Callable[[int], torch.Tensor], *, epochs: int | None = None,
        max_seconds: float | None = None, callbacks: Sequence[Callable[[EpochEnd], None]] = (),
        checkpoint: str | Path | None = None, resume: bool = False, progress: bool = True,
        amp: bool | None = None, saturating: bool = False, real_label: float = 1.0,
        health: bool = True, ema: AveragedModel | None = None) -> History:
    """Train G and D together; stop after ``epochs`` or ``max_seconds`` (whichever comes first).

    ``noise(n)`` draws a batch of latent vectors on the data's device. With
    ``checkpoint`` set, the models, optimizers, history and every random state are
    saved after each epoch (and when the time budget ends mid-epoch); with
    ``resume=True`` an existing checkpoint is loaded first and training continues
    exactly where it stopped: same batches, same noise, same weights as if never
    interrupted (on CPU). Budgets count the whole run, resumed parts included.

    With ``health=True`` every :data:`HEALTH_EVERY` steps (one device sync each) the
    run is checked for signs of failure (:class:`HealthMonitor`): a discriminator
    that wins outright or an exploding generator loss give a :class:`GANHealthWarning`;
    a NaN/inf loss raises :class:`TrainingDiverged` before anything is saved, so the
    last good checkpoint is kept. Notebook 05 explains each symptom.

    ``ema`` (an ``AveragedModel`` of ``G``, see :func:`generator_ema`) is updated after
    every generator step, gets fresh batch-norm statistics at the end of each epoch and
    of the run, and is checkpointed with the rest: its averaged weights draw smoother
    samples than ``G``'s latest ones (notebook 02).
    """
    if epochs is None and max_seconds is None:
        raise ValueError("Give epochs=..., max_seconds=..., or both.")
    G.train()
    D.train()
    history, epoch, skip = History(), 0, 0
    autocast, scaler = amp_setup(data.device, amp)
    if resume and checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint, map_location=data.device)
        load_weights(G, state["G"], "generator", checkpoint)
        load_weights(D, state["D"], "discriminator", checkpoint)
        if ema is not None:
            if "G_ema" not in state:
                raise CheckpointError(f"{checkpoint} has no averaged generator (G_ema): it was written by a "
                                      "run without one. Use another output folder, or delete the checkpoint.")
            load_weights(ema, state["G_ema"], "averaged generator", checkpoint)
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        if scaler is not None and "scaler" in state:
            scaler.load_state_dict(state["scaler"])
        history = History.from_dict(state["history"])
        epoch, skip = int(state["epoch"]), int(state["step_in_epoch"])
        data.generator.set_state(state["data_rng"])
        _set_rng_state(state["rng"])

    def save(epoch: int, step_in_epoch: int, data_rng: torch.Tensor) -> None:
        if checkpoint is not None:
            save_checkpoint(checkpoint, G=G.state_dict(), D=D.state_dict(), opt_g=opt_g.state_dict(),
                            opt_d=opt_d.state_dict(), history=history.to_dict(), epoch=epoch,
                            step_in_epoch=step_in_epoch, data_rng=data_rng, rng=_rng_state(),
                            **({"scaler": scaler.state_dict()} if scaler is not None else {}),
                            **({"G_ema": ema.state_dict()} if ema is not None else {}))

    budget_steps = None if epochs is None else epochs * len(data)
    bar = tqdm(total=budget_steps if budget_steps is not None else math.ceil(max_seconds),
               initial=min(history.steps if budget_steps is not None else int(history.seconds),
                           budget_steps or math.ceil(max_seconds)),
               unit="step" if budget_steps is not None else "s", disable=not progress, leave=True)
    start = time.perf_counter() - history.seconds
    # a resumed run whose budget is already spent (a notebook re-executed after training) trains nothing
    out_of_time = max_seconds is not None and history.seconds >= max_seconds
    monitor = HealthMonitor(saturating, checkpoint) if health else None

    def check(rows: list[torch.Tensor], checked: int) -> int:
        """Run the health checks on ``rows[checked:]``; return the new ``checked``."""
        if monitor is not None and len(rows) > checked:
            try:
                monitor.check(torch.stack(rows[checked:]).cpu(), history.steps + checked, history)
            except TrainingDiverged:
                history._extend(rows)  # keep the steps that led to the blow-up for plotting
                history.seconds = time.perf_counter() - start
                raise
        return len(rows)

    try:
        while (epochs is None or epoch < epochs) and not out_of_time:
            data_rng = data.generator.get_state()
            rows: list[torch.Tensor] = []
            checked = 0
            step = skip
            for real in data.epoch(skip):
                fake = G(noise(len(real)))
                stats = discriminator_step(D, real, fake.detach(), opt_d, real_label=real_label,
                                           scaler=scaler, autocast=autocast)
                stats |= generator_step(D, fake, opt_g, saturating=saturating, scaler=scaler, autocast=autocast)
                if ema is not None:
                    ema.update_parameters(G)
                rows.append(torch.stack([stats[k].float() for k in STEP_KEYS]))
                step += 1
                if len(rows) - checked >= HEALTH_EVERY:
                    checked = check(rows, checked)
                now = time.perf_counter()
                if budget_steps is not None:
                    bar.update(1)
                else:
                    bar.update(int(now - start) - bar.n)
                if max_seconds is not None and now - start >= max_seconds and step < len(data):
                    out_of_time = True
                    break
            check(rows, checked)  # before anything is saved: NaN weights never reach the checkpoint
            if ema is not None:  # before callbacks sample from it and before it is saved
                recalibrate_batch_norm(ema, noise, data.batch_size)
            history._extend(rows)
            history.seconds = time.perf_counter() - start
            skip = 0
            if out_of_time:  # stopped mid-epoch: remember where, to resume there
                save(epoch, step, data_rng)
                break
            epoch += 1
            history.epoch_end_step.append(history.steps)
            history.epoch_end_seconds.append(history.seconds)
            bar.set_postfix_str(f"epoch {epoch} | " + history.summary(len(rows)).split(" | ", 1)[1], refresh=False)
            for callback in callbacks:
                callback(EpochEnd(epoch, G, D, history))
            G.train()
            D.train()
            save(epoch, 0, data.generator.get_state())
            if max_seconds is not None and history.seconds >= max_seconds:  # the saved time, as a resume sees it
                break
    finally:
        bar.close()
    return history


def generator_ema(G: nn.Module, decay: float) -> AveragedModel:
    """An exponential moving average of ``G``'s weights, for :func:`fit`.

    After each step the average moves ``1 - decay`` of the way towards ``G``. GAN
    weights circle around a good solution rather than settle in it (the two players
    keep reacting to each other); the average sits nearer the middle, so its samples
    are cleaner than those of the latest weights, at the cost of one copy of ``G``.
    Its batch-norm statistics are not averaged: :func:`fit` re-estimates them from the
    average's own activations (:func:`recalibrate_batch_norm`).
    """
    ema = AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=False)
    ema.update_parameters(G)  # start the average at G's initial weights (its first update copies)
    return ema


def recalibrate_batch_norm(G: nn.Module, noise: Callable[[int], torch.Tensor], batch_size: int,
                           samples: int = 2048) -> None:
    """Re-estimate the running batch-norm statistics of ``G`` from ``samples`` of its own activations.

    Why: eval-mode sampling normalises with running statistics, and those must come from
    the weights that sample. A weight average's activations differ from those of the
    latest weights that trained (averaging running statistics along with the weights put
    the ``dcgan-mnist`` average at Fréchet distance 205 instead of 169 after 120 s on a
    2-core CPU). Noise comes from a forked random state, so training's random stream, and
    with it exact resume, is unchanged.
    """
    device = next(G.parameters()).device
    with torch.random.fork_rng(devices=[] if device.type == "cpu" else None, device_type=device.type):
        update_bn((noise(batch_size) for _ in range(math.ceil(samples / batch_size))), G)


@torch.no_grad()
def draw_samples(G: nn.Module, noise: Callable[[int], torch.Tensor], n: int, *, seed: int = 1,
                 batch_size: int = 1000) -> torch.Tensor:
    """``n`` images of ``G`` in [0, 1] on the CPU, in eval mode, from noise seeded with ``seed``.

    Why one function: every score in the series compares samples drawn the same way. The
    random state is forked, so drawing in the middle of training (a callback) leaves the
    training noise unchanged; G's train/eval mode is restored afterwards.
    """
    was_training = G.training
    G.eval()
    device = next(G.parameters()).device
    with torch.random.fork_rng(devices=[] if device.type == "cpu" else None, device_type=device.type):
        torch.manual_seed(seed)
        out = torch.cat([to_unit(G(noise(min(batch_size, n - i)))).cpu() for i in range(0, n, batch_size)])
    G.train(was_training)
    return out


def load_generator(G: nn.Module, checkpoint: str | Path, map_location: str | torch.device = "cpu",
                   averaged: bool = True) -> nn.Module:
    """Load the generator from a :func:`fit` checkpoint into ``G`` (eval mode).

    With ``averaged=True`` the averaged weights (``G_ema``) are used when the run kept them.
    """
    state = load_checkpoint(checkpoint, map_location)
    if averaged and "G_ema" in state:
        weights = {k.removeprefix("module."): v for k, v in state["G_ema"].items() if k.startswith("module.")}
    elif "G" in state:
        weights = state["G"]
    else:
        raise CheckpointError(f"{checkpoint} has no generator weights (keys: {sorted(state)[:6]}).")
    load_weights(G, weights, "generator", checkpoint)
    return G.eval()
