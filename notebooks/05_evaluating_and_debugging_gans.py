# %% [markdown]
# # 05 · Evaluating and debugging GANs, with the numbers to prove each point
#
# Two questions come up with every GAN: **"is my GAN any good?"** and **"why did my training fall
# apart?"**. Folklore answers both with rules of thumb. This notebook answers them with
# measurements: every claim below is a number computed in the notebook, and every conclusion is an
# `assert` that fails if the claim stops being true.
#
# You will see
# 1. what the scores of `helpers.metrics` measure (Fréchet distance, class coverage, confidence),
#    their reference values for real, blurred, noisy and collapsed "generators", and their limits;
# 2. how the sample count shifts the Fréchet distance, and why you must compare at equal counts;
# 3. a nearest-neighbour check that the generator does not simply copy training digits;
# 4. why the loss curves alone do not tell you whether the samples are getting better;
# 5. three controlled failures — the saturating loss, an overpowering discriminator, mode
#    collapse — and five remedies, each measured against the failing run;
# 6. a symptom → likely cause → what to try table, and the health warnings `helpers.fit` prints.
#
# All experiments use the fully connected GAN of notebook 02 (recipe `vanilla-gan-mnist`) and
# change one thing at a time, with the same seed, data and number of steps.
#
# **Committed outputs:** full settings on a 2-core x86-64 CPU (AMD EPYC, no GPU, torch 2.13), 9.3
# minutes for the whole notebook (ten training runs of 1,500 steps, 42 to 53 s each). With `GAN_FAST=1` (what the tests use) every budget shrinks, the notebook runs
# in about a minute, and the assertions that need full training are skipped (it says so).

# %%
# NBVAL_IGNORE_OUTPUT
# Setup (the same cell opens every notebook): make `helpers` importable, pick the device, seed.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("helpers") is None:  # opened alone on Colab/Kaggle: install the series
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/gan-series/gan-notebooks"],
                   check=True)

import helpers
from helpers import FAST, fast_or_full

SEED = 0
device = helpers.get_device()
helpers.seed_everything(SEED)
print(helpers.describe_runtime(device))

# %%
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from helpers import (
    GANHealthWarning,
    History,
    MLPDiscriminator,
    build,
    get_recipe,
    mnist_scores,
    moving_average,
    show_images,
)

notebook_start = time.perf_counter()


def skipped(what: str) -> None:
    """Say visibly that a full-settings assertion was not checked."""
    print(f"FAST mode: {what}: assertion skipped (it needs the full training budget)")


# %% [markdown]
# ## 1. Data
# The MNIST training digits feed the GANs; the scores compare against the **test** set (the
# classifier's reference statistics were computed there), so the training digits we score below
# are genuinely unseen by the reference.

# %%
# NBVAL_IGNORE_OUTPUT
images, labels = helpers.load_mnist(train=True)
images, labels = images[: fast_or_full(3000, len(images))], labels[: fast_or_full(3000, len(images))]
print(f"{len(images)} training digits, {tuple(images.shape[1:])}, {images.dtype}")

# %% [markdown]
# ## 2. What the scores measure
# `helpers.metrics.mnist_scores` runs a small MNIST classifier (≈99.3 % test accuracy, ~1 MB,
# shipped with the series) over a batch of digits and reports three things.
#
# **Fréchet distance** (the idea of FID, with an MNIST network instead of Inception). Take the
# classifier's 128-dimensional penultimate features $f(x)$, fit a Gaussian to the features of the
# samples, $(\mu_g, \Sigma_g)$, and one to the MNIST test set, $(\mu_r, \Sigma_r)$, and compute
#
# $$d_F^2 = \lVert \mu_g - \mu_r \rVert^2 + \operatorname{tr}\!\big(\Sigma_g + \Sigma_r - 2(\Sigma_g\Sigma_r)^{1/2}\big).$$
#
# It is 0 when the two Gaussians coincide and grows both when the samples look wrong (the means
# move) and when they lack variety (the covariances differ). Lower is better.
#
# **Class coverage.** Let $p_k$ be the share of samples the classifier labels as digit $k$. The
# entropy $H = -\sum_k p_k \ln p_k$ is $\ln 10 = 2.30$ when all ten digits appear equally and 0
# when every sample is the same digit; $e^H$, the **effective number of classes**, reads more
# easily (10 = all digits, 1 = one digit). Below 5 effective classes `mnist_scores` reports
# `collapsed=True`.
#
# **Mean confidence**: the average top-class probability. Real digits get high confidence, but so
# can garbage, as the reference points show.
#
# ### Reference points
# Before scoring any GAN, score things whose quality we know: real (unseen) training digits,
# the same digits blurred, uniform noise, and a "perfectly collapsed generator" that only draws
# real 1s.

# %%
N_REF = fast_or_full(2000, 10000)
torch.manual_seed(SEED)
real = images[torch.randperm(len(images))[:N_REF]].float() / 255
kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
kernel = (kernel[:, None] * kernel[None, :] / 256).view(1, 1, 5, 5)  # a 5x5 binomial (Gaussian-like) blur
references = {
    "real digits": real,
    "blurred digits": F.conv2d(real, kernel, padding=2),
    "uniform noise": torch.rand(N_REF, 1, 28, 28),
    "only real 1s": images[labels == 1][:N_REF].float() / 255,
}
fig, axes = plt.subplots(1, 4, figsize=(14, 3.8))
for ax, (name, x) in zip(axes, references.items()):
    show_images(x[:16] * 2 - 1, nrow=4, ax=ax, title=name)
fig.suptitle("Reference 'generators' whose quality we know")
fig.tight_layout()


# %%
def score_table(scores: dict[str, dict], title: str = "") -> None:
    """Print one row per entry: Fréchet distance, effective classes, confidence, collapse flag."""
    if title:
        print(title)
    print(f"{'':<26} {'Fréchet':>8} {'classes':>8} {'confidence':>11}  collapsed  n")
    for name, s in scores.items():
        print(f"{name:<26} {s['frechet_distance']:8.1f} {s['effective_classes']:8.2f} "
              f"{s['mean_confidence']:11.3f}  {str(s['collapsed']):<9}  {s['n']}")


# %%
# NBVAL_IGNORE_OUTPUT
reference_scores = {name: mnist_scores(x) for name, x in references.items()}
score_table(reference_scores, f"Reference scores ({N_REF} images each)")

# %% [markdown]
# What the table says:
# * Real digits score near 0 (not exactly: a finite sample never matches the reference exactly).
# * Blurring is invisible to the class scores (the classifier still recognises every digit, all
#   ten classes are there) but the Fréchet distance sees it.
# * **Uniform noise gets a confidence close to 100 %**, higher than real digits. A classifier
#   trained only on digits has never seen noise and has no "none of these" answer: it files every
#   noise image under the same digit, with certainty. Confidence alone is a misleading quality
#   score; the Fréchet distance (thousands) and the class coverage (one class) expose the noise.
# * The collapsed generator draws perfect digits: confidence is high and the pictures look
#   great, yet the class coverage (1 effective class) and the Fréchet distance flag it.
#
# These orderings are the lesson, so they are checked:

# %%
r = reference_scores
assert r["real digits"]["frechet_distance"] < r["blurred digits"]["frechet_distance"] \
    < r["uniform noise"]["frechet_distance"]
assert r["blurred digits"]["effective_classes"] > 8, "blur keeps the classes"
assert r["uniform noise"]["mean_confidence"] > 0.9, "noise fools the confidence score"
assert r["only real 1s"]["collapsed"] and not r["real digits"]["collapsed"]
assert r["only real 1s"]["frechet_distance"] > 10 * r["real digits"]["frechet_distance"]
print("reference orderings hold")

# %% [markdown]
# ## 3. The sample count changes the Fréchet distance
# The Fréchet distance is estimated from a finite sample, and the estimate is **biased upwards**:
# a covariance matrix from few samples is noisy, and noise only adds distance. So the same
# real digits "get better" as we score more of them:

# %%
# NBVAL_IGNORE_OUTPUT
counts = [n for n in (250, 500, 1000, 2000, 5000, 10000) if n <= N_REF]
by_count = {name: [mnist_scores(references[name][:n])["frechet_distance"] for n in counts]
            for name in ("real digits", "blurred digits")}
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name, values in by_count.items():
    ax.plot(counts, values, "o-", label=name)
ax.set(xscale="log", xlabel="number of images scored", ylabel="Fréchet distance",
       title="Same images, more of them: the distance shrinks")
ax.legend()
for n, v in zip(counts, by_count["real digits"]):
    print(f"real digits, n = {n:>5}: Fréchet distance {v:.2f}")

# %%
assert by_count["real digits"][0] > 2 * by_count["real digits"][-1], by_count["real digits"]
print("fewer samples -> larger distance: compare Fréchet distances only at the same sample count")

# %% [markdown]
# So every score table in this series states its sample count, and comparisons use equal counts.
# Below, every GAN is scored on the same `N_SCORE` samples drawn from the same noise.
#
# ## 4. A healthy reference run
# The debugging experiments of section 6 all compare against this run: the `vanilla-gan-mnist`
# recipe of notebook 02, trained for a fixed number of steps. A small helper trains one variant
# (a changed learning rate, loss, label or discriminator) with **everything else equal**: the same
# seed, the same batches, the same noise. After every "epoch" (a fixed slice of the data) it
# also scores samples, so we can see quality and losses side by side.
#
# One difference from notebook 02: the experiments score the **latest** generator, not the moving
# average of its weights that the recipe samples from. The average smooths over exactly the
# jumps and oscillations we want to see here, so it would hide part of each failure.

# %%
# NBVAL_IGNORE_OUTPUT
STEPS_PER_EPOCH = fast_or_full(10, 250)
EPOCHS = fast_or_full(2, 6)
N_SCORE = fast_or_full(1000, 5000)
N_TRACK = fast_or_full(500, 2000)  # samples scored after each epoch
recipe = get_recipe("vanilla-gan-mnist")
train_images = images[: STEPS_PER_EPOCH * recipe.batch_size]
print(f"each run: {EPOCHS} epochs x {STEPS_PER_EPOCH} steps = {EPOCHS * STEPS_PER_EPOCH} steps of "
      f"batch {recipe.batch_size}, on {len(train_images)} digits")


# %%
@dataclass
class Run:
    """One training run of an experiment: what changed, what happened, how good it got."""

    name: str
    history: History
    samples: torch.Tensor  # N_SCORE digits in [0, 1], from fixed noise
    scores: dict
    tracked: list[dict]  # scores of N_TRACK samples after each epoch
    seconds: float
    warnings: list[str]


def train_variant(name: str, *, lr_g: float | None = None, lr_d: float | None = None,
                  saturating: bool = False, real_label: float = 1.0, spectral_norm: bool = False,
                  input_noise: float = 0.0, dropout: float | None = None) -> Run:
    """Train `vanilla-gan-mnist` with the given changes; every other setting stays the recipe's."""
    setup = build(recipe.name, device, seed=SEED, images=train_images)
    G, D = setup.G, setup.D
    if spectral_norm or input_noise or dropout is not None:  # a D with the stabilising options
        torch.manual_seed(SEED + 1)
        D = MLPDiscriminator(hidden=(512, 256), dropout=0.3 if dropout is None else dropout,
                             spectral_norm=spectral_norm, input_noise=input_noise).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g or recipe.lr_g, betas=recipe.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d or recipe.lr_d, betas=recipe.betas)
    tracked: list[dict] = []

    def track(end: helpers.EpochEnd) -> None:
        tracked.append(mnist_scores(helpers.draw_samples(end.G, setup.noise, N_TRACK, seed=2)))

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GANHealthWarning)
        history = helpers.fit(G, D, setup.data, opt_g, opt_d, setup.noise, epochs=EPOCHS, callbacks=[track],
                              saturating=saturating, real_label=real_label, progress=False)
    seconds = time.perf_counter() - start
    samples = helpers.draw_samples(G, setup.noise, N_SCORE)
    health = [str(w.message).split(": ", 1)[1][:90] + "..." for w in caught
              if issubclass(w.category, GANHealthWarning)]
    return Run(name, history, samples, mnist_scores(samples), tracked, seconds, health)


def window_mean(values: list[float], start: int, stop: int | None = None) -> float:
    """Mean of ``values[start:stop]``."""
    part = values[start:stop]
    return sum(part) / len(part)


def run_table(runs: list[Run]) -> None:
    """Scores and training statistics of some runs, one row each."""
    w = max(1, STEPS_PER_EPOCH // 2)
    print(f"{'run':<30} {'Fréchet':>8} {'classes':>8} {'D(x)':>6} {'D(G(z))':>8} {'|grad G| start':>15} "
          f"{'|grad G| end':>13} {'time':>6}")
    for run in runs:
        h = run.history
        print(f"{run.name:<30} {run.scores['frechet_distance']:8.1f} {run.scores['effective_classes']:8.2f} "
              f"{window_mean(h.d_real, -w):6.3f} {window_mean(h.d_fake, -w):8.4f} "
              f"{window_mean(h.grad_norm_g, 0, w):15.3g} {window_mean(h.grad_norm_g, -w):13.3g} {run.seconds:5.0f}s")
        for message in run.warnings:
            print(f"{'':<4}health warning: {message}")


def sample_grids(runs: list[Run], title: str) -> None:
    """The first 36 samples of each run, side by side."""
    fig, axes = plt.subplots(1, len(runs), figsize=(3.6 * len(runs), 4.4), layout="constrained")
    for ax, run in zip(np.atleast_1d(axes), runs):
        show_images(run.samples[:36] * 2 - 1, nrow=6, ax=ax,
                    title=f"{run.name}\nFréchet {run.scores['frechet_distance']:.0f}, "
                          f"{run.scores['effective_classes']:.1f} classes")
        ax.title.set_fontsize(10)
    fig.suptitle(title)


# %%
# NBVAL_IGNORE_OUTPUT
baseline = train_variant("healthy (recipe)")
run_table([baseline])

# %% [markdown]
# ### Do the samples copy the training set? A nearest-neighbour check
# A generator that memorised its training digits would score perfectly and teach us nothing. The
# check: for generated samples, find the **nearest training digit** (Euclidean distance in pixel
# space) and compare that distance with the same distance for real digits the GAN never saw
# (test digits). Copies would sit much closer to the training set than fresh real digits do.

# %%
# NBVAL_IGNORE_OUTPUT
def nearest(queries: torch.Tensor, pool: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distance to and index of the nearest ``pool`` image for each query (pixel space, [0, 1])."""
    dist = torch.cdist(queries.flatten(1), pool.flatten(1))
    best = dist.min(1)
    return best.values, best.indices


pool = train_images.float() / 255
test_images = helpers.load_mnist(train=False)[0][:N_TRACK].float() / 255
gen_dist, gen_idx = nearest(baseline.samples[:N_TRACK], pool)
test_dist, _ = nearest(test_images, pool)
print(f"median distance to the nearest training digit: generated {gen_dist.median():.2f}, "
      f"unseen real digits {test_dist.median():.2f} (over {N_TRACK} each)")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
pairs = torch.cat([baseline.samples[:8], pool[gen_idx[:8]]])
show_images(pairs * 2 - 1, nrow=8, ax=axes[0], title="top: generated, bottom: nearest training digit")
bins = np.linspace(0, float(max(gen_dist.max(), test_dist.max())), 40)
axes[1].hist(test_dist.numpy(), bins, alpha=0.6, label="unseen real digits")
axes[1].hist(gen_dist.numpy(), bins, alpha=0.6, label="generated digits")
axes[1].set(xlabel="distance to the nearest training digit", ylabel="count",
            title="Generated digits are not closer to the training set")
axes[1].legend()
fig.tight_layout()

# %%
# NBVAL_IGNORE_OUTPUT
if FAST:
    skipped("no copying")
else:
    assert gen_dist.median() > 0.8 * test_dist.median(), (gen_dist.median(), test_dist.median())
    print("generated digits are no closer to the training set than unseen real digits: no copying")

# %% [markdown]
# (Pixel distance is a blunt tool — a digit shifted by one pixel is "far" from itself — but it is
# exactly the right tool for the question "did G store pixel-perfect copies?".)
#
# ## 5. Loss curves alone do not tell quality
# In supervised learning a falling loss means a better model. In a GAN each loss is measured
# against an opponent that keeps improving, so the losses can stay level, or even get *worse*,
# while the samples get better. The reference run scored samples after every epoch:

# %%
# NBVAL_IGNORE_OUTPUT
h = baseline.history
ends = np.array(h.epoch_end_step)
loss_g_epoch = [window_mean(h.loss_g, a, b) for a, b in zip([0, *ends[:-1]], ends)]
loss_d_epoch = [window_mean(h.loss_d, a, b) for a, b in zip([0, *ends[:-1]], ends)]
fd_epoch = [s["frechet_distance"] for s in baseline.tracked]
fig, ax1 = plt.subplots(figsize=(7.5, 4))
ax1.plot(ends, loss_g_epoch, "o-", label="generator loss (epoch mean)")
ax1.plot(ends, loss_d_epoch, "s-", label="discriminator loss (epoch mean)")
ax1.set(xlabel="training step", ylabel="loss", title="Losses vs sample quality, same run")
ax2 = ax1.twinx()
ax2.plot(ends, fd_epoch, "k^--", label=f"Fréchet distance ({N_TRACK} samples)")
ax2.set_ylabel("Fréchet distance (lower is better)")
fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.88))
fig.tight_layout()
for step, lg, ld, fd in zip(ends, loss_g_epoch, loss_d_epoch, fd_epoch):
    print(f"step {step:>4}: loss G {lg:.3f}, loss D {ld:.3f}, Fréchet {fd:.1f}")

# %%
# NBVAL_IGNORE_OUTPUT
if FAST:
    skipped("losses vs quality")
else:
    assert fd_epoch[-1] < 0.6 * fd_epoch[0], fd_epoch  # the samples got much better ...
    assert abs(loss_g_epoch[-1] / loss_g_epoch[0] - 1) < 0.2, loss_g_epoch  # ... while G's loss stayed level
    print("quality improved while the generator loss stayed level: read losses as a health monitor, "
          "not a score")

# %% [markdown]
# ## 6. Debugging: controlled experiments
# Each experiment changes **one** thing relative to the healthy run and trains the same number of
# steps. The tables show the final scores (`N_SCORE` samples), the discriminator's average
# outputs $D(x)$ and $D(G(z))$ over the last half-epoch, and the generator's gradient norm over the
# first and the last half-epoch. `helpers.fit` checks every 100 steps for the classic failure signs
# and warns (the table repeats its warnings).
#
# ### 6.1 Saturating vs non-saturating generator loss
# Notebook 02 derived that the original minimax loss $\log(1 - D(G(z)))$ passes back a gradient
# proportional to $D(G(z))$: almost nothing while D rejects the fakes with confidence. The
# non-saturating loss $-\log D(G(z))$ passes back $1 - D(G(z))$ instead. First with the recipe's
# discriminator, which stays unsure ($D(G(z))$ near 0.5):

# %%
# NBVAL_IGNORE_OUTPUT
saturating = train_variant("saturating loss", saturating=True)
run_table([baseline, saturating])

# %%
# NBVAL_IGNORE_OUTPUT
w = max(1, STEPS_PER_EPOCH // 2)


def start_grad(run: Run) -> float:
    """Mean generator gradient norm over the first half-epoch."""
    return window_mean(run.history.grad_norm_g, 0, w)


print(f"start-of-training generator gradient, non-saturating / saturating: "
      f"{start_grad(baseline) / start_grad(saturating):.1f}x; Fréchet distance after training: "
      f"{baseline.scores['frechet_distance']:.0f} vs {saturating.scores['frechet_distance']:.0f}")
if FAST:
    skipped("saturating loss with a balanced D")
else:
    ratio = saturating.scores["frechet_distance"] / baseline.scores["frechet_distance"]
    assert 1 / 1.3 < ratio < 1.3, ratio
    print("with a balanced discriminator the saturating loss trains about as well")

# %% [markdown]
# The saturating gradient is smaller, but not by much while $D(G(z)) \approx 0.5$, and Adam divides
# every step by a running average of the gradient's size, so a uniformly smaller gradient does not
# mean smaller steps. The loss only matters once D becomes **confident**, which is the next
# experiment.
#
# ### 6.2 A discriminator that overpowers the generator
# Make D learn much faster than G: G's learning rate divided by 20, and D without dropout. Train
# it once with each generator loss.

# %%
# NBVAL_IGNORE_OUTPUT
STRONG_D = {"lr_g": recipe.lr_g / 20, "dropout": 0.0}
strong_d = train_variant("D 20x faster", **STRONG_D)
strong_d_sat = train_variant("D 20x faster + saturating", saturating=True, **STRONG_D)
run_table([baseline, strong_d, strong_d_sat])
sample_grids([baseline, strong_d, strong_d_sat], "Discriminator strength x generator loss")
plt.show()

# %% [markdown]
# The curves, smoothed over 50 steps: with the saturating loss $D(G(z))$ falls to 0 (D spots every
# fake) and the generator's gradient fades by orders of magnitude, so G stops moving. With the
# non-saturating loss the same over-strong D still passes back a usable gradient, and G keeps
# improving, slowly and with little variety (the table: about two effective classes).

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.8))
for run in (baseline, strong_d, strong_d_sat):
    ax1.plot(moving_average(run.history.d_fake, 50), label=run.name)
    ax2.semilogy(moving_average(run.history.grad_norm_g, 50), label=run.name)
ax1.set(xlabel="step", ylabel="D(G(z))", title="How sure D is that fakes are fake (0 = certain)")
ax2.set(xlabel="step", ylabel="generator gradient norm", title="Signal reaching the generator")
ax1.legend()
ax2.legend()
fig.tight_layout()
plt.show()

# %%
# NBVAL_IGNORE_OUTPUT
if FAST:
    skipped("overpowering discriminator")
else:
    end_grad = {run.name: window_mean(run.history.grad_norm_g, -w) for run in (baseline, strong_d, strong_d_sat)}
    assert window_mean(strong_d_sat.history.d_fake, -w) < 0.01, "D(G(z)) -> 0"
    assert end_grad[strong_d_sat.name] < 0.05 * end_grad[baseline.name], end_grad  # the signal vanishes
    assert strong_d_sat.scores["frechet_distance"] > 2 * strong_d.scores["frechet_distance"]
    assert strong_d_sat.warnings, "fit should have warned that D wins"
    print("an overpowering D drives D(G(z)) to 0; with the saturating loss the generator's gradient "
          "vanishes and it stalls, with the non-saturating loss it keeps learning")

# %% [markdown]
# ### 6.3 Mode collapse
# The opposite imbalance: a generator that moves much faster than its judge (G's learning rate ×10).
# It finds a few outputs that currently fool D and piles its samples onto them; D catches up, G
# jumps to the next few, and variety does not return. The class-coverage score detects it
# without looking. (At 1,500 steps the healthy run's latest weights do not cover all ten digits
# evenly either; the comparison is what counts.)

# %%
# NBVAL_IGNORE_OUTPUT
collapse = train_variant("G 10x faster", lr_g=10 * recipe.lr_g)
run_table([baseline, collapse])
sample_grids([baseline, collapse], "A generator that learns 10x faster than its discriminator")
plt.show()
print("class shares:", [f"{p:.2f}" for p in collapse.scores["class_shares"]])

# %%
# NBVAL_IGNORE_OUTPUT
if FAST:
    skipped("mode collapse")
else:
    assert collapse.scores["effective_classes"] < 0.7 * baseline.scores["effective_classes"]
    print(f"coverage {collapse.scores['effective_classes']:.1f} effective classes vs "
          f"{baseline.scores['effective_classes']:.1f} for the healthy run: collapse detected")

# %% [markdown]
# ### 6.4 Remedies, measured against a failing run
# Five standard remedies, each added **alone** to the run that stalled in 6.2 (D 20× faster, the
# saturating loss):
# * **one-sided label smoothing**: train D towards 0.9 instead of 1 on real digits (`real_label=0.9`;
#   only the real side, so D still pushes fakes towards 0). An over-confident D is penalised.
# * **two timescales**: choose the two learning rates on purpose; here D at 2× G's rate instead of 20×.
# * **spectral normalisation in D** (`MLPDiscriminator(spectral_norm=True)`): each layer's weight
#   is divided by its largest singular value, so D's output cannot change steeply with its input.
# * **dropout in D** (back to the recipe's 0.3): D sees a different random sub-network at every
#   step and cannot memorise the boundary.
# * **instance noise** (`MLPDiscriminator(input_noise=0.3)`): Gaussian noise on every image D sees
#   while training blurs the real/fake boundary.

# %%
# NBVAL_IGNORE_OUTPUT
failing = strong_d_sat
remedies = [
    train_variant("+ label smoothing 0.9", saturating=True, real_label=0.9, **STRONG_D),
    train_variant("+ two timescales (D 2x)", saturating=True, lr_g=recipe.lr_g / 20, lr_d=recipe.lr_g / 10,
                  dropout=0.0),
    train_variant("+ spectral norm in D", saturating=True, spectral_norm=True, **STRONG_D),
    train_variant("+ dropout 0.3 in D", saturating=True, lr_g=recipe.lr_g / 20, dropout=0.3),
    train_variant("+ instance noise 0.3", saturating=True, input_noise=0.3, **STRONG_D),
]
run_table([failing, *remedies])
sample_grids([failing, *remedies], "The failing run and five remedies, each alone")
plt.show()

# %%
# NBVAL_IGNORE_OUTPUT
if FAST:
    skipped("remedies")
else:
    gain = {run.name: failing.scores["frechet_distance"] / run.scores["frechet_distance"] for run in remedies}
    for run in remedies:
        print(f"{run.name:<26} Fréchet distance {gain[run.name]:.1f}x lower than the failing run, "
              f"{run.scores['effective_classes']:.1f} effective classes")
    *rescuing, noise = remedies
    assert all(gain[run.name] > 1.5 for run in rescuing), gain  # four remedies pull the run back ...
    assert gain[noise.name] < 1.5, gain  # ... instance noise of this size does not
    sn = remedies[2]
    assert all(sn.scores["effective_classes"] > 2 * run.scores["effective_classes"] for run in rescuing if run is not sn)
    print("four of five remedies rescue the stalled run; only spectral normalisation also restores variety")

# %% [markdown]
# Read the table with both scores. Label smoothing, two timescales and dropout each get the
# generator moving again (its gradient no longer vanishes, the Fréchet distance drops several-fold)
# but leave it drawing one or two kinds of digit: they fix the **stall**, not the imbalance behind
# it. Spectral normalisation fixes both here. Instance noise with $\sigma = 0.3$ (on pixels in
# $[-1, 1]$) is too weak for a discriminator this strong: D still wins outright. A remedy is a
# setting to measure, not a switch that always works.

# %% [markdown]
# ## 7. Symptom → likely cause → what to try
#
# | Symptom (what you see) | Likely cause | What to try | Shown in |
# |---|---|---|---|
# | $D(x) \to 1$, $D(G(z)) \to 0$ for many steps (`fit` warns), generator gradient tiny, samples stop improving | D overpowers G (learning rates, no dropout, capacity) and the saturating (minimax) generator loss | the non-saturating loss $-\log D(G(z))$ (the default of `fit`); spectral norm in D; label smoothing 0.9, dropout in D, or a slower D get G moving | 6.1, 6.2, 6.4 |
# | Samples look fine but repeat; effective classes drop (`collapsed=True`) | mode collapse: G moves faster than D can follow (or a remedy fixed a stall but not the imbalance) | lower G's learning rate or raise D's, spectral norm in D; check coverage, not only samples | 6.3, 6.4 |
# | Loss becomes NaN / inf (`fit` stops, last checkpoint kept) | learning rate far too high, exploding weights, bad input data | lower learning rates, spectral norm, check the data; resume from the checkpoint | 7 |
# | Losses stay level while samples change | losses are relative to a moving opponent | score samples (Fréchet distance, coverage) and look at them | 5 |
# | High confidence score, bad pictures | the classifier is confidently wrong off the digit manifold | read confidence only next to the Fréchet distance | 2 |
# | Scores better than held-out real digits | memorisation of the training set | nearest-neighbour check | 4 |
#
# ### The health warnings of `helpers.fit`
# `fit` checks the statistics it already keeps every 100 steps (one device synchronisation per
# window, nothing per step) and warns once per run with a pointer to this notebook:
# * D(x) > 0.99 and D(G(z)) < 0.01 averaged over a whole window: the discriminator is winning;
# * the non-saturating generator loss averaging above 10 over a window: it is exploding;
# * any NaN or infinite loss: it raises `helpers.TrainingDiverged` *before* saving, so the
#   checkpoint of the last good epoch is kept. A small demonstration:

# %%
# NBVAL_IGNORE_OUTPUT
demo = build(recipe.name, device, seed=SEED, images=train_images[: 4 * recipe.batch_size])
checkpoint = Path(tempfile.mkdtemp()) / "nan_demo.pt"
helpers.fit(demo.G, demo.D, demo.data, demo.opt_g, demo.opt_d, demo.noise, epochs=1, checkpoint=checkpoint,
            progress=False)
for group in demo.opt_g.param_groups:
    group["lr"] = float("inf")  # an absurd learning rate: G's weights blow up on the next step
try:
    helpers.fit(demo.G, demo.D, demo.data, demo.opt_g, demo.opt_d, demo.noise, epochs=3, checkpoint=checkpoint,
                progress=False)
except helpers.TrainingDiverged as err:
    print(f"{type(err).__name__}: {err}")
kept = helpers.load_checkpoint(checkpoint)
print("checkpoint epoch:", kept["epoch"], "| all generator weights finite:",
      all(bool(torch.isfinite(v).all()) for v in kept["G"].values()))

# %% [markdown]
# ## Summary
# * Score generated digits with several numbers at once: the **Fréchet distance** catches bad
#   and blurry images and missing variety, **class coverage** catches mode collapse directly,
#   and **confidence** alone is misleading (noise gets ~100 %).
# * Compare Fréchet distances only at the same sample count: fewer samples, larger distance.
# * Check for memorisation with nearest neighbours in the training set.
# * GAN losses are a health monitor, not a quality score: quality can improve severalfold while G's
#   loss stays level.
# * A discriminator that learns much faster drives $D(G(z)) \to 0$; with the saturating loss the
#   generator's gradient then vanishes and it stalls, with the non-saturating loss it keeps learning.
#   Against a balanced D the two losses train about equally well.
# * A generator that learns much faster collapses onto a few digits.
# * Label smoothing, two timescales and dropout in D get a stalled generator moving but leave it
#   collapsed; spectral normalisation fixes both; weak instance noise does nothing. Measure remedies.
#
# ## Exercises
# 1. Score the reference run at 1,000 and at 10,000 samples. How much does its Fréchet distance
#    change? Would that change the ranking of the runs in section 6?
# 2. Repeat experiment 6.3 with `SEED = 1` and `SEED = 2`. Is the collapse robust? Which remedy
#    is most reliable over seeds?
# 3. Combine two remedies (e.g. spectral norm and label smoothing). Do the gains add up?
# 4. Give D five updates per generator update (a loop around `helpers.discriminator_step`).
#    Which of the symptoms of 6.2 appear?
# 5. Replace pixel distance in the nearest-neighbour check by the classifier's features
#    (`helpers.metrics.features_and_probs`). Do the nearest neighbours look more alike?

# %%
# NBVAL_IGNORE_OUTPUT
print(f"notebook wall time: {(time.perf_counter() - notebook_start) / 60:.1f} min on {device}")
