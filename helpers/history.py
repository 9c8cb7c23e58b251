"""What happened during training: per-step statistics and epoch boundaries (:class:`History`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch

#: What the series' steps return, in this order: the two losses, the discriminator's mean outputs on real and
#: generated images, and the gradient norms of both updates. A critic's step (notebook 07) adds its Wasserstein
#: estimate, ``wasserstein``.
STEP_KEYS = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")


@dataclass
class History:
    """Per-step statistics (one float per step under each name a step returns) and where epochs ended.

    ``history["loss_d"]`` lists one value per step. The series' steps return :data:`STEP_KEYS`: ``loss_d``/``loss_g``
    are the two losses, ``d_real``/``d_fake`` the discriminator's mean probability for real and generated images
    (in [0, 1]), ``grad_norm_*`` the gradient norms before each update (``inf`` on a step that a float16 gradient
    scaler skipped). A Wasserstein critic's step (notebook 07) returns its mean scores (any real numbers) as
    ``d_real``/``d_fake`` and their difference, its estimate of the Wasserstein distance, as ``wasserstein``: then
    :attr:`critic` is true. ``epoch_end_step`` and ``epoch_end_seconds`` hold, for every completed epoch, the steps
    and the training seconds so far; ``seconds`` is the training time of the whole run.
    """

    stats: dict[str, list[float]] = field(default_factory=dict)
    epoch_end_step: list[int] = field(default_factory=list)
    epoch_end_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def __getitem__(self, key: str) -> list[float]:
        """The values of ``key`` (e.g. ``"loss_d"``), one per step; ``KeyError`` naming the recorded keys."""
        if key not in self.stats:
            raise KeyError(f"no statistic {key!r} recorded: this history has {', '.join(self.stats) or 'none'}")
        return self.stats[key]

    @property
    def steps(self) -> int:
        """Completed training steps."""
        return len(next(iter(self.stats.values()), []))

    @property
    def epochs(self) -> int:
        """Completed epochs."""
        return len(self.epoch_end_step)

    @property
    def critic(self) -> bool:
        """Whether D was a Wasserstein critic (its steps recorded ``wasserstein``)."""
        return "wasserstein" in self.stats

    def to_dict(self) -> dict:
        """Plain lists and numbers (JSON- and checkpoint-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        """The inverse of :meth:`to_dict`; also reads the flat layout of earlier versions (one list per key at the
        top level, as the shipped generator's file holds it)."""
        if "stats" in d:
            return cls(**d)
        bounds = ("epoch_end_step", "epoch_end_seconds", "seconds")
        stats = {k: v for k, v in d.items() if k not in (*bounds, "critic")}
        if d.get("critic"):
            stats["wasserstein"] = [r - f for r, f in zip(stats["d_real"], stats["d_fake"])]
        return cls(stats, **{k: d[k] for k in bounds if k in d})

    def extend(self, keys: Sequence[str], rows: list[torch.Tensor]) -> None:
        """Append steps: each row holds one step's statistics in the order of ``keys``. ``ValueError`` when the
        keys differ from those recorded so far (every step of a run returns the same statistics)."""
        if not rows:
            return
        if self.stats and list(keys) != list(self.stats):
            raise ValueError(
                f"these steps return {list(keys)}, the history holds {list(self.stats)}: one run, one step."
            )
        for key, column in zip(keys, torch.stack(rows).T.tolist()):
            self.stats.setdefault(key, []).extend(column)

    def end_epoch(self) -> None:
        """Mark the steps recorded so far as a completed epoch, ending at :attr:`seconds` of training."""
        self.epoch_end_step.append(self.steps)
        self.epoch_end_seconds.append(self.seconds)

    def epoch_means(self) -> list[dict]:
        """The mean of each statistic per epoch, one dict an epoch, in order.

        Each dict also holds ``epoch`` (1-based) and ``complete``: a run whose time budget ended
        inside an epoch gets a last entry for that partial epoch with ``complete=False`` (for a
        budget shorter than one epoch, the only entry). No steps, no entries.
        """
        bounds = [0, *self.epoch_end_step]
        if self.steps > bounds[-1]:
            bounds.append(self.steps)
        return [
            {"epoch": i + 1, "complete": i < self.epochs, **{k: sum(v[a:b]) / (b - a) for k, v in self.stats.items()}}
            for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))
        ]

    def summary(self, last: int = 100) -> str:
        """One line with the mean of the last ``last`` steps, for logs."""
        if not self.steps:
            return "no steps yet"

        def mean(key: str) -> float:
            values = self.stats[key][-last:]
            return sum(values) / len(values)

        if self.critic:
            scores = f" | Wasserstein estimate {mean('wasserstein'):.3f}"
        elif "d_real" in self.stats and "d_fake" in self.stats:
            scores = f" | D(x) {mean('d_real'):.2f}, D(G(z)) {mean('d_fake'):.2f}"
        else:
            scores = ""
        losses = ", ".join(
            f"{k.removeprefix('loss_').upper()} {mean(k):.3f}" for k in self.stats if k.startswith("loss_")
        )
        return f"epochs {self.epochs}, steps {self.steps}, {self.seconds:.0f} s | loss {losses}{scores}"
