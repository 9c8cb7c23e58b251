"""Cheap checks that :func:`helpers.fit` runs on windows of steps: warnings for a failing GAN, a stop on divergence.

Notebook 05 shows each symptom, its causes and its remedies.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import torch

from .history import History

#: Health checks run on windows of this many steps (one device sync per window).
HEALTH_EVERY = 100
#: Warnings about trends wait this many steps. A healthy start looks like a failure for a while: D
#: learns to reject G's first noise images within a few steps, and G needs some steps to catch up.
#: Measured: the article's ``article-dcgan-cats`` recipe averages a generator loss of 16.2 over its first 100
#: steps on an H200 (issue #14) and 15.9 on a 2-core CPU, and none of its later windows, nor any window
#: of the other recipes' runs, reaches a threshold; notebook 05's failing run (D 20x faster, saturating
#: loss) meets one in every window from step 100 on (``benchmarks/health_calibration.py``, seed 0,
#: recorded in ``benchmarks/results/health_histories.npz``). 200 leaves one window of margin.
HEALTH_WARMUP = 200
#: "D has won": mean D(x) above this and mean D(G(z)) below 1 minus it over a whole window.
HEALTH_D_WINS = 0.99
#: "Generator loss exploding": mean non-saturating generator loss above this over a window
#: (-log D(G(z)) > 10 means D gives the fakes a probability below 5e-5).
HEALTH_LOSS_G_LIMIT = 10.0
#: A float16 gradient scale below this means the gradients overflow float16 even unscaled: divergence.
HEALTH_MIN_LOSS_SCALE = 1.0
_SEE_05 = "See notebook 05 (evaluating and debugging GANs) for causes and remedies."


class GANHealthWarning(UserWarning):
    """:func:`helpers.fit` noticed a sign of a failing GAN (notebook 05 shows each one and its remedies)."""


class TrainingDiverged(FloatingPointError):
    """Training diverged (a NaN/inf loss, or a collapsed float16 gradient scale); nothing of it was saved.

    ``history`` holds the steps up to the last completed epoch's checkpoint plus the
    failing window, for plotting what led to the blow-up. The message is ``what`` (what happened)
    followed by ``advice`` (what to try); :meth:`note` puts a sentence between them.
    """

    def __init__(self, what: str, history: History, advice: str = "") -> None:
        self.what, self.history, self.advice = what, history, advice
        super().__init__(self._message())

    def note(self, sentence: str) -> None:
        """Add ``sentence`` (such as which checkpoint was kept) after what happened and before the advice."""
        self.what = f"{self.what} {sentence}"
        self.args = (self._message(),)

    def _message(self) -> str:
        return f"{self.what} {self.advice}" if self.advice else self.what


class HealthMonitor:
    """Checks on windows of per-step statistics, the columns named as a step returns them (:data:`STEP_KEYS`).

    Divergence raises :class:`TrainingDiverged`: a non-finite value in a step's statistics, or a float16 gradient
    scale below :data:`HEALTH_MIN_LOSS_SCALE`. Where float16 gradient scalers guard the updates, they skip the
    steps whose gradients overflow (their gradient norms are inf or NaN) and lower their scale, which is normal, so
    there only non-finite *losses* count; without one, a non-finite gradient norm is divergence too (that update
    wrote NaNs into the weights). Each kind of trend warning (:class:`GANHealthWarning`) is issued at most once,
    and not before step :data:`HEALTH_WARMUP`; they read D's probabilities (``d_real``, ``d_fake``) and the
    generator loss, so a Wasserstein critic's steps (which record ``wasserstein``) get the divergence checks only.
    ``saturating=True`` says the generator loss is the minimax one, whose size means something else.
    """

    def __init__(self, saturating: bool = False) -> None:
        self.saturating = saturating
        self.warned: set[str] = set()

    def check(
        self,
        window: torch.Tensor,
        keys: Sequence[str],
        first_step: int,
        history: History,
        loss_scales: Sequence[float] = (),
    ) -> None:
        """Inspect ``window`` (steps x len(keys), on the CPU) that starts at global step ``first_step``.

        ``loss_scales``: the current scales of the float16 gradient scalers (none: no scaler at work). Raises
        :class:`TrainingDiverged` (carrying ``history``) on divergence; warns on a failing trend.
        """
        if not len(window):
            return
        stats = dict(zip(keys, window.T))
        self._check_divergence(stats, first_step, history, loss_scales)
        trend = {"d_real", "d_fake", "loss_g"} <= set(stats) and "wasserstein" not in stats
        if not trend or len(window) < HEALTH_EVERY // 2 or first_step < HEALTH_WARMUP:  # no trend to read
            return
        last = first_step + len(window) - 1
        d_real, d_fake = float(stats["d_real"].mean()), float(stats["d_fake"].mean())
        if d_real > HEALTH_D_WINS and d_fake < 1 - HEALTH_D_WINS:
            self._warn(
                "d_wins",
                f"steps {first_step}-{last}: D(x) = {d_real:.3f} and D(G(z)) = {d_fake:.4f} "
                "on average: the discriminator is winning outright, so the generator learns little. Try "
                "a lower discriminator learning rate, one-sided label smoothing (real_target=0.9), "
                f"instance noise or spectral normalisation in D. {_SEE_05}",
            )
        loss_g = float(stats["loss_g"].mean())
        if not self.saturating and loss_g > HEALTH_LOSS_G_LIMIT:
            self._warn(
                "loss_g",
                f"steps {first_step}-{last}: the generator loss averages {loss_g:.1f} "
                f"(> {HEALTH_LOSS_G_LIMIT:g}): it is exploding because D rejects every fake with "
                f"near certainty. {_SEE_05}",
            )

    def _check_divergence(
        self, stats: dict[str, torch.Tensor], first_step: int, history: History, loss_scales: Sequence[float]
    ) -> None:
        watched = [v for k, v in stats.items() if k.startswith("loss") or not loss_scales]
        finite = torch.stack(watched, 1).isfinite().all(1)
        if not bool(finite.all()):
            bad = int((~finite).nonzero()[0])
            row = ", ".join(f"{k} {float(v[bad]):.4g}" for k, v in stats.items())
            raise TrainingDiverged(
                f"Training diverged at step {first_step + bad}: {row}. Stopped.",
                history,
                "Try a lower learning rate, spectral normalisation in D, or checking the data for NaNs. " + _SEE_05,
            )
        low = [s for s in loss_scales if not (s >= HEALTH_MIN_LOSS_SCALE and math.isfinite(s))]
        if low:
            last = first_step + len(next(iter(stats.values()))) - 1
            raise TrainingDiverged(
                f"Training diverged by step {last}: a float16 gradient scale fell to {low[0]:.3g}, so the "
                "gradients overflow float16 at every step and no update is applied. Stopped.",
                history,
                "Train in float32 (precision='fp32', CLI --precision fp32) or with a lower learning rate. " + _SEE_05,
            )

    def _warn(self, kind: str, message: str) -> None:
        if kind not in self.warned:
            self.warned.add(kind)
            warnings.warn(message, GANHealthWarning, stacklevel=4)
