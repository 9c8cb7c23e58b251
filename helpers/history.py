"""What happened during training: per-step statistics and epoch boundaries (:class:`History`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

#: Per-step quantities recorded in :class:`History`, in the order of a step's statistics row.
STEP_KEYS = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")


@dataclass
class History:
    """Per-step statistics (one float per step each) and where epochs ended.

    ``loss_d``/``loss_g`` are the two losses, ``d_real``/``d_fake`` the discriminator's mean
    probability for real and generated images (in [0, 1]), ``grad_norm_*`` the gradient norms
    before each update (``inf`` on a step that a float16 gradient scaler skipped).
    ``epoch_end_step`` and ``epoch_end_seconds`` hold, for every completed epoch, the steps and
    the training seconds so far; ``seconds`` is the training time of the whole run.

    ``critic=True``: D was a Wasserstein critic (:mod:`helpers.wgan`, notebook 07). Then ``d_real`` and
    ``d_fake`` are its mean scores (any real numbers, averaged over a step's critic updates) and their
    difference is its estimate of the Wasserstein distance (:meth:`wasserstein`); ``loss_g`` is ``-d_fake``
    of G's update.
    """

    loss_d: list[float] = field(default_factory=list)
    loss_g: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    grad_norm_d: list[float] = field(default_factory=list)
    grad_norm_g: list[float] = field(default_factory=list)
    epoch_end_step: list[int] = field(default_factory=list)
    epoch_end_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0
    critic: bool = False

    @property
    def steps(self) -> int:
        """Completed training steps."""
        return len(self.loss_d)

    @property
    def epochs(self) -> int:
        """Completed epochs."""
        return len(self.epoch_end_step)

    def to_dict(self) -> dict:
        """Plain lists and numbers (JSON- and checkpoint-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        """The inverse of :meth:`to_dict`."""
        return cls(**d)

    def extend(self, rows: list[torch.Tensor]) -> None:
        """Append steps: each row holds one step's statistics in the order of :data:`STEP_KEYS`."""
        if rows:
            for key, column in zip(STEP_KEYS, torch.stack(rows).T.tolist()):
                getattr(self, key).extend(column)

    def wasserstein(self) -> list[float]:
        """The critic's Wasserstein estimate ``d_real - d_fake`` per step (``ValueError`` unless ``critic``)."""
        if not self.critic:
            raise ValueError("This history has no critic (it was trained with the standard GAN loss): no estimate.")
        return [r - f for r, f in zip(self.d_real, self.d_fake)]

    def end_epoch(self) -> None:
        """Mark the steps recorded so far as a completed epoch, ending at :attr:`seconds` of training."""
        self.epoch_end_step.append(self.steps)
        self.epoch_end_seconds.append(self.seconds)

    def epoch_means(self, keys: tuple[str, ...] = ("loss_d", "loss_g", "d_real", "d_fake")) -> list[dict]:
        """The mean of each of ``keys`` per epoch, one dict an epoch, in order.

        Each dict also holds ``epoch`` (1-based) and ``complete``: a run whose time budget ended
        inside an epoch gets a last entry for that partial epoch with ``complete=False`` (for a
        budget shorter than one epoch, the only entry). No steps, no entries.
        """
        bounds = [0, *self.epoch_end_step]
        if self.steps > bounds[-1]:
            bounds.append(self.steps)
        return [
            {"epoch": i + 1, "complete": i < self.epochs, **{k: sum(getattr(self, k)[a:b]) / (b - a) for k in keys}}
            for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))
        ]

    def summary(self, last: int = 100) -> str:
        """One line with the mean of the last ``last`` steps, for logs."""
        if not self.steps:
            return "no steps yet"

        def mean(values: list[float]) -> float:
            return sum(values[-last:]) / len(values[-last:])

        scores = (
            f"Wasserstein estimate {mean(self.wasserstein()):.3f}"
            if self.critic
            else f"D(x) {mean(self.d_real):.2f}, D(G(z)) {mean(self.d_fake):.2f}"
        )
        return (
            f"epochs {self.epochs}, steps {self.steps}, {self.seconds:.0f} s | "
            f"loss D {mean(self.loss_d):.3f}, G {mean(self.loss_g):.3f} | {scores}"
        )
