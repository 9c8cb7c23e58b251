# %% [markdown]
# # 05 · Evaluating and debugging GANs, with the numbers to prove each point
#
# Two questions come up with every GAN: **"is my GAN any good?"** and **"why did my training fall
# apart?"**. Folklore answers both with rules of thumb. This notebook answers them with
# measurements: every claim below is a number computed in the notebook, and every conclusion is an
# `assert` that fails if the claim stops being true.
#
# You will see
# 1. what the scores of `helpers.scores.mnist` measure (Fréchet distance, class coverage, confidence),
#    their values for real, blurred, noisy and collapsed "generators", and their limits;
# 2. how the number of images scored shifts the Fréchet distance, and why you compare at equal counts;
# 3. a healthy reference run, and a nearest-neighbour check that it does not copy training digits;
# 4. why the loss curves alone do not tell you whether the samples are getting better;
# 5. three controlled failures — the saturating loss, an overpowering discriminator, mode
#    collapse — and five remedies, each measured against the failing run, over two seeds;
# 6. a symptom → likely cause → what to try table, and the health warnings `helpers.fit` prints.
#
# All experiments start from the fully connected GAN of notebook 02 (recipe `vanilla-gan-mnist`).
# Each experiment is a copy of that recipe with named fields changed (`dataclasses.replace`), trained
# with the same seed, data and number of steps, so the change is the only difference.
#
# **Committed outputs:** full settings on a 2-core x86-64 CPU (no GPU), 10.6 minutes for the whole
# notebook, as its last cell prints. With `GAN_FAST=1` every budget shrinks, the
# notebook runs in about a minute, and the assertions that need full training are skipped (it says so).

# %% tags=["nbval-ignore-output"]
# Setup (the same cell opens every notebook): make `helpers` importable, pick the device, seed.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("helpers") is None:  # opened alone on Colab/Kaggle: install the series' helpers
    SERIES = os.environ.get("GAN_SERIES_REPO", "git+https://github.com/gan-series/gan-notebooks@main")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", SERIES], check=True)
    importlib.invalidate_caches()

import helpers
from helpers import FAST, fast_or_full

SEED = 0
device = helpers.get_device()
helpers.seed_everything(SEED)
print(helpers.describe_runtime(device))

# %% [markdown]
# The rest of the imports (`helpers.experiments` runs the experiments: section 4). `skipped` prints a visible
# note where FAST mode cannot check a claim.

# %%
import dataclasses
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from helpers import Recipe, build, draw_samples, get_recipe, mnist_scores, moving_average, show_image_grids, show_images
from helpers.experiments import Run, run_table, train_run, window_mean, with_discriminator
from helpers.recipes import Setup
from helpers.scores.mnist import features_and_probs

notebook_start = time.perf_counter()


def skipped(what: str) -> None:
    """Say visibly that a full-settings assertion was not checked."""
    print(f"FAST mode: {what}: assertion skipped (it needs the full training budget)")


# %% [markdown]
# ## 1. Data
# The MNIST training digits feed the GANs. The scores compare against the MNIST **test** set (the
# classifier's reference statistics were computed there), so the training digits we score below
# as "real digits" are genuinely unseen by the reference.

# %% tags=["nbval-ignore-output"]
images, labels = helpers.load_mnist(train=True)
test_images, test_labels = helpers.load_mnist(train=False)
images, labels = images[: fast_or_full(3000, len(images))], labels[: fast_or_full(3000, len(images))]
print(f"{len(images)} training digits and {len(test_images)} test digits, {tuple(images.shape[1:])}, {images.dtype}")

# %% [markdown]
# ## 2. What the scores measure
# `helpers.scores.mnist.mnist_scores` runs a small MNIST classifier (about 1 MB, shipped with the
# series) over a batch of digits and reports three things. First, how good a judge is it? Its
# accuracy on the test digits, and the size of the feature vector it describes each image with:

# %% tags=["nbval-ignore-output"]
features, probs = features_and_probs(test_images)
accuracy = (probs.argmax(1) == test_labels).float().mean().item()
print(f"classifier accuracy on {len(test_images)} test digits: {accuracy:.1%}; "
      f"features per image: {features.shape[1]}")

# %% [markdown]
# **Fréchet distance** (the idea of FID, the Fréchet Inception Distance, with this MNIST network in
# place of the Inception image network). Take the classifier's penultimate-layer features $f(x)$
# (the vector just printed), fit a Gaussian to the features of the samples, $(\mu_g, \Sigma_g)$, and
# one to the MNIST test set, $(\mu_r, \Sigma_r)$, and compute
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
# real 1s. The blur is a $5 \times 5$ binomial filter, a cheap approximation of a Gaussian blur.

# %%
N_REF = fast_or_full(2000, 10000)
torch.manual_seed(SEED)
real = images[torch.randperm(len(images))[:N_REF]].float() / 255
kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
kernel = (kernel[:, None] * kernel[None, :] / 256).view(1, 1, 5, 5)  # weights sum to 1
references = {
    "real digits": real,
    "blurred digits": F.conv2d(real, kernel, padding=2),
    "uniform noise": torch.rand(N_REF, 1, 28, 28),
    "only real 1s": images[labels == 1][:N_REF].float() / 255,
}
fig, axes = plt.subplots(1, 4, figsize=(12, 3.6), layout="constrained")
for ax, (name, x) in zip(axes, references.items()):
    show_images(x[:16], nrow=4, ax=ax, title=name)
fig.suptitle("Four reference 'generators' whose quality we know (16 images each)")
plt.show()


# %% [markdown]
# A small function prints one row of scores per set of images; the tables below all use it.

# %%
def score_table(scores: dict[str, dict], title: str = "") -> None:
    """Print one row per entry: Fréchet distance, effective classes, confidence, collapse flag."""
    if title:
        print(title)
    print(f"{'':<26} {'Fréchet':>8} {'classes':>8} {'confidence':>11}  collapsed  n")
    for name, s in scores.items():
        print(f"{name:<26} {s['frechet_distance']:8.1f} {s['effective_classes']:8.2f} "
              f"{s['mean_confidence']:11.3f}  {str(s['collapsed']):<9}  {s['n']}")


# %% tags=["nbval-ignore-output"]
reference_scores = {name: mnist_scores(x) for name, x in references.items()}
score_table(reference_scores, f"Reference scores ({N_REF} images each)")

# %% [markdown]
# What the table says:
# * Real digits score near 0 (not exactly: a finite sample never matches the reference exactly).
# * Blurring is invisible to the class scores (the classifier still recognises every digit, all
#   ten classes are there) but the Fréchet distance sees it.
# * **Uniform noise gets a mean confidence of about 1**, higher than real digits. A classifier
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
# ## 3. The number of images scored changes the Fréchet distance
# The Fréchet distance is estimated from a finite sample, and the estimate is **biased upwards**:
# a covariance matrix from few samples is noisy, and noise only adds distance. We score the first
# 250, 500, ... of the same real and blurred digits. The figure uses log scales on both axes, since
# the two distances differ by two orders of magnitude.

# %% tags=["nbval-ignore-output"]
counts = [n for n in (250, 500, 1000, 2000, 5000, 10000) if n <= N_REF]
by_count = {name: [mnist_scores(references[name][:n])["frechet_distance"] for n in counts]
            for name in ("real digits", "blurred digits")}
for i, n in enumerate(counts):
    print(f"n = {n:>5}: Fréchet distance of real digits {by_count['real digits'][i]:6.2f}, "
          f"of blurred digits {by_count['blurred digits'][i]:6.1f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
for name, values in by_count.items():
    ax.plot(counts, values, "o-", label=name)
ax.set(xscale="log", yscale="log", xlabel="number of images scored", ylabel="Fréchet distance (log scale)",
       title="Fréchet distance of the same images vs how many are scored")
ax.legend(loc="center right")
plt.show()

# %%
assert by_count["real digits"][0] > 2 * by_count["real digits"][-1], by_count["real digits"]
print("fewer samples -> larger distance: compare Fréchet distances only at the same sample count")

# %% [markdown]
# For real digits the estimate from 250 images is more than ten times the one from 10,000. For the
# blurred digits the bias is a few percent of a distance in the hundreds, within the noise of
# which images happen to be scored. Either way, every score table in this series states its
# sample count, and comparisons use equal counts.
#
# ## 4. A healthy reference run
# The experiments of section 6 all compare against this run: the `vanilla-gan-mnist` recipe of
# notebook 02. Its settings, read off the recipe:

# %%
recipe = get_recipe("vanilla-gan-mnist")
print(recipe.summary())

# %% [markdown]
# To fit over a dozen training runs into one sitting on a CPU, each experiment trains for a fixed budget of
# steps on a slice of the training digits; an "epoch" here is one pass over that slice. The budget is
# the shortest at which the healthy run is *healthy*: clearly better than the blurred digits of
# section 2, at the same sample count, for each seed that section 6.4 ranks remedies over. With less,
# the failures of section 6 would be compared with a run that has not learned to draw digits yet
# (`benchmarks/nb05_baseline_budget.py` measured the budget, scoring the healthy run as it trains).

# %% tags=["nbval-ignore-output"]
STEPS_PER_EPOCH = fast_or_full(10, 250)
EPOCHS = fast_or_full(2, 10)  # every experiment
SEEDS = (SEED, SEED + 1)  # the seeds of the healthy run and of the remedies' ranking (section 6.4)
N_SCORE = fast_or_full(1000, 5000)  # samples scored at the end of a run
N_TRACK = fast_or_full(500, 2000)  # samples scored after each epoch of the healthy run
HALF = max(1, STEPS_PER_EPOCH // 2)  # steps in half an epoch: the window of the training statistics
train_images = images[: STEPS_PER_EPOCH * recipe.batch_size]
print(f"each experiment: {EPOCHS} epochs x {STEPS_PER_EPOCH} steps = {EPOCHS * STEPS_PER_EPOCH} steps of "
      f"batch {recipe.batch_size}, on {len(train_images)} digits; {N_SCORE} samples scored; seeds {SEEDS}")

# %% [markdown]
# ### The controlled experiment
# An experiment is the recipe with named changes (section 6 makes them), trained with the same seed,
# data and number of steps as the run it is compared with, so that the change is the only difference.
# The bookkeeping lives in `helpers.experiments`: `train_run` builds a recipe with `helpers.build`
# (seeded, so the same initial weights, batches and noise each time), trains it with `Setup.fit`, keeps the
# health warnings `fit` gives, and scores samples; it returns a `Run` (name, history, samples, scores,
# seconds, warnings) and the set-up. `run_table` prints runs side by side: the scores, D's average
# outputs $D(x)$ and $D(G(z))$ over the last half-epoch, and the generator's gradient norm over the first
# and over the last half-epoch. The function below pins what every experiment shares, so that a call
# names only what differs:

# %%
def train(name: str, variant: Recipe, *, saturating: bool = False, seed: int = SEED,
          callbacks: tuple = ()) -> tuple[Run, Setup]:
    """``variant`` trained like every experiment: EPOCHS epochs on ``train_images``, N_SCORE samples scored."""
    return train_run(name, variant, train_images, epochs=EPOCHS, n_score=N_SCORE, seed=seed, device=device,
                     saturating=saturating, callbacks=callbacks)


# %% [markdown]
# Which generator to score? The recipe keeps a moving average of G's weights, which notebook 02 samples
# from, and `train_run` scores that average (`setup.G_ema`). At this budget the average is what
# makes the healthy run clearly better than blurred digits: the latest weights `setup.G` move a little
# off a good solution at every step, and get as good only after more steps (the benchmark's table). The
# failures of section 6 still show where they happen, in what the run records at every step (D's outputs
# and G's gradient, in `run.history`), which the tables print next to the scores.
#
# The healthy run, once per seed. The first is also scored after every epoch, both generators from the
# same noise, for section 5:

# %%
def epoch_scores(setup: Setup) -> dict[str, dict]:
    """Scores of N_TRACK samples of the latest G and of the weight average, from the same noise."""
    return {"latest G": mnist_scores(draw_samples(setup.G, setup.noise, N_TRACK, seed=2)),
            "average of G": mnist_scores(draw_samples(setup.G_ema, setup.noise, N_TRACK, seed=2))}


# %% tags=["nbval-ignore-output"]
tracked: list[dict] = []  # scores after each epoch of the first seed's run
healthy, healthy_latest = {}, {}
for seed in SEEDS:
    callbacks = (lambda end, setup: tracked.append(epoch_scores(setup)),) if seed == SEED else ()
    healthy[seed], setup = train(f"healthy (recipe), seed {seed}", recipe, seed=seed, callbacks=callbacks)
    healthy_latest[seed] = draw_samples(setup.G, setup.noise, N_SCORE)
baseline = healthy[SEED]
print(run_table(list(healthy.values()), HALF))

# %% [markdown]
# Both generators of both runs against the blurred digits of section 2, all at the same sample count
# (a ratio below 1 is better than blurred digits):

# %% tags=["nbval-ignore-output"]
healthy_scores = {}
for seed in SEEDS:
    healthy_scores[f"seed {seed}, average of G"] = healthy[seed].scores
    healthy_scores[f"seed {seed}, latest G"] = mnist_scores(healthy_latest[seed])
healthy_scores["blurred digits"] = mnist_scores(references["blurred digits"][:N_SCORE])
score_table(healthy_scores, f"the healthy run after {baseline.history.steps} steps, {N_SCORE} images each")
blurred_fd = healthy_scores["blurred digits"]["frechet_distance"]
for seed in SEEDS:
    ratios = [healthy_scores[f"seed {seed}, {name}"]["frechet_distance"] / blurred_fd for name in ("average of G", "latest G")]
    print(f"seed {seed}: Fréchet distance / that of blurred digits: average of G {ratios[0]:.2f}, latest G {ratios[1]:.2f}")

# %% [markdown]
# The samples of both generators of the first run, side by side. The latest weights draw speckled
# digits; the average is cleaner:

# %%
show_image_grids({f"{name}\nFréchet {healthy_scores[f'seed {SEED}, {name}']['frechet_distance']:.0f}": x[:36]
                  for name, x in (("average of G", baseline.samples), ("latest G", healthy_latest[SEED]))},
                 f"The healthy run after {baseline.history.steps} steps", nrow=6, size=3.7)
plt.show()

# %% tags=["nbval-ignore-output"]
if FAST:
    skipped("the healthy run beats blurred digits")
else:
    for seed in SEEDS:
        assert healthy[seed].scores["frechet_distance"] < 0.95 * blurred_fd, healthy_scores
        assert not healthy[seed].scores["collapsed"], healthy_scores
    print("for each seed the healthy run's averaged generator scores better than blurred real digits, "
          "with no collapse")

# %% [markdown]
# ### Do the samples copy the training set? A nearest-neighbour check
# A generator that memorised its training digits would score perfectly and teach us nothing. The
# check: for generated samples, find the **nearest training digit** (Euclidean distance in pixel
# space, pixels in $[0, 1]$) and compare that distance with the same distance for real digits the
# GAN never saw (test digits). Copies would sit much closer to the training set than fresh real
# digits do; a copy would be at distance 0.

# %% tags=["nbval-ignore-output"]
def nearest(queries: torch.Tensor, pool: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distance to and index of the nearest ``pool`` image for each query (pixel space, [0, 1])."""
    best = torch.cdist(queries.flatten(1), pool.flatten(1)).min(1)
    return best.values, best.indices


pool = train_images.float() / 255
generated = baseline.samples[:N_TRACK]
gen_dist, gen_idx = nearest(generated, pool)
test_dist, _ = nearest(test_images[:N_TRACK].float() / 255, pool)
print(f"median distance to the nearest training digit: generated {gen_dist.median():.2f}, "
      f"unseen real digits {test_dist.median():.2f} (over {N_TRACK} each)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained", gridspec_kw={"width_ratios": [1.3, 1]})
pairs = torch.cat([generated[:8], pool[gen_idx[:8]]])
show_images(pairs, nrow=8, ax=axes[0], title="top: generated, bottom: nearest training digit")
bins = np.linspace(0, float(max(gen_dist.max(), test_dist.max())), 40)
axes[1].hist(test_dist.numpy(), bins, alpha=0.6, label="unseen real digits")
axes[1].hist(gen_dist.numpy(), bins, alpha=0.6, label="generated digits")
axes[1].set(xlabel="distance to the nearest training digit", ylabel="count",
            title="Distance to the training set")
axes[1].legend(loc="upper left", fontsize=9)
plt.show()

# %% tags=["nbval-ignore-output"]
if FAST:
    skipped("no copying")
else:
    assert gen_dist.median() > 0.5 * test_dist.median(), (gen_dist.median(), test_dist.median())
    assert (gen_dist < 1).float().mean() < 0.01, "no generated digit should be a near-copy"
    print("no generated digit is a near-copy of a training digit")

# %% [markdown]
# (Pixel distance is a blunt tool — a digit shifted by one pixel is "far" from itself — but it is
# exactly the right tool for the question "did G store pixel-perfect copies?".)
#
# ## 5. Loss curves alone do not tell quality
# In supervised learning a falling loss means a better model. In a GAN each loss is measured
# against an opponent that keeps improving, so the losses can stay level, or even get *worse*,
# while the samples get better. The healthy run's epoch-mean losses next to the Fréchet distance
# of its samples after every epoch:

# %% tags=["nbval-ignore-output"]
h = baseline.history
ends = np.array(h.epoch_end_step)
loss_g_epoch = [window_mean(h["loss_g"], a, b) for a, b in zip([0, *ends[:-1]], ends)]
loss_d_epoch = [window_mean(h["loss_d"], a, b) for a, b in zip([0, *ends[:-1]], ends)]
fd_epoch = {name: [s[name]["frechet_distance"] for s in tracked] for name in ("latest G", "average of G")}
for i, step in enumerate(ends):
    print(f"step {step:>4}: loss G {loss_g_epoch[i]:.3f}, loss D {loss_d_epoch[i]:.3f}, Fréchet: latest G "
          f"{fd_epoch['latest G'][i]:6.1f}, average {fd_epoch['average of G'][i]:6.1f}")
fd_gain = fd_epoch["latest G"][0] / fd_epoch["latest G"][-1]
loss_change = {name: max(v[0] / v[-1], v[-1] / v[0]) for name, v in (("G", loss_g_epoch), ("D", loss_d_epoch))}
print(f"from the first epoch to the last: the Fréchet distance of the latest G fell {fd_gain:.1f}x; "
      f"the loss of G changed by a factor of {loss_change['G']:.2f}, the loss of D by {loss_change['D']:.2f}")

# %% [markdown]
# The same numbers as a figure (the panel titles repeat the factors just printed):

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.9), layout="constrained")
ax1.plot(ends, loss_g_epoch, "o-", label="generator")
ax1.plot(ends, loss_d_epoch, "s-", label="discriminator")
ax1.set(xlabel="training step", ylabel="loss (epoch mean)",
        title=f"Epoch-mean losses, first to last epoch: G ×{loss_g_epoch[-1] / loss_g_epoch[0]:.2f}, "
              f"D ×{loss_d_epoch[-1] / loss_d_epoch[0]:.2f}")
ax1.legend()
for name, values in fd_epoch.items():
    ax2.plot(ends, values, "^-", label=name)
ax2.set(xlabel="training step", ylabel="Fréchet distance (log scale)", yscale="log",
        title=f"Fréchet distance, first to last epoch: latest G ×{1 / fd_gain:.2f} ({N_TRACK} scored)")
ax2.legend()
plt.show()

# %% tags=["nbval-ignore-output"]
if FAST:
    skipped("losses vs quality")
else:
    assert fd_gain > 2 and fd_gain > 2 * max(loss_change.values()), (fd_gain, loss_change)
    print("the Fréchet distance changed by a far larger factor than either loss: read losses as a health "
          "monitor, not a score")

# %% [markdown]
# ## 6. Debugging: controlled experiments
# Each experiment is the healthy recipe with named changes, trained for the same steps
# from the same initial weights, and compared with the healthy run **at that budget** (the table's
# first row; the scores are those of the weight average of G, as in section 4). `helpers.fit` checks the
# run for the classic failure signs as it trains and warns (the table repeats its warnings).
#
# ### 6.1 Saturating vs non-saturating generator loss
# *One change: the generator loss.* Notebook 02 derived that the original minimax loss
# $\log(1 - D(G(z)))$ passes back a gradient proportional to $D(G(z))$: almost nothing while D
# rejects the fakes with confidence. The non-saturating loss $-\log D(G(z))$ passes back
# $1 - D(G(z))$ instead. First with the recipe's discriminator, which stays unsure ($D(G(z))$ near
# one half):

# %% tags=["nbval-ignore-output"]
saturating, _ = train("saturating loss", recipe, saturating=True)
print(run_table([baseline, saturating], HALF))

# %% [markdown]
# Compare the generator's gradient at the start, and the final scores:

# %% tags=["nbval-ignore-output"]
def start_grad(run: Run) -> float:
    """Mean generator gradient norm over the first half-epoch."""
    return window_mean(run.history["grad_norm_g"], 0, HALF)


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
# The saturating gradient is smaller at the start (by the factor printed), but it does not vanish while
# $D(G(z))$ stays near one half, and Adam divides every step by a running average of the gradient's size,
# so a uniformly smaller gradient does not mean smaller steps. The loss only matters once D becomes **confident**, which
# is the next experiment.
#
# ### 6.2 A discriminator that overpowers the generator
# *Two changes, both on D's side of the balance:* G's learning rate divided by 20 (so D learns 20
# times faster than G), and no dropout in D (so D can fit the training digits more sharply).
# Section 6.4 undoes each half separately. We train this strong D once with each generator loss.
#
# A change inside D is made by `with_discriminator` (from `helpers.experiments`): it sets D's dropout rate
# here, and spectral normalisation or instance noise in section 6.4, on the recipe's own D after it is
# built, so the variant starts from the same initial weights as the healthy run.

# %% tags=["nbval-ignore-output"]
STRONG_D = with_discriminator(dataclasses.replace(recipe, lr_g=recipe.lr_g / 20), dropout=0.0)
strong_d, _ = train("strong D", STRONG_D)
strong_d_sat, _ = train("strong D + saturating", STRONG_D, saturating=True)
print(run_table([baseline, strong_d, strong_d_sat], HALF))

# %% [markdown]
# Their samples, the first 36 of each run, with the scores in the panel titles:

# %%
def sample_grids(runs: list[Run], title: str) -> None:
    """The first 36 samples of each run side by side, its Fréchet distance and classes in the panel title."""
    show_image_grids({f"{run.name}\nFréchet {run.scores['frechet_distance']:.0f}, "
                      f"{run.scores['effective_classes']:.1f} classes": run.samples[:36] for run in runs},
                     title, nrow=6, size=2.9)
    plt.show()


sample_grids([baseline, strong_d, strong_d_sat], "A strong discriminator, with each generator loss")

# %% [markdown]
# The curves over training, smoothed over 50 steps: how sure D is that the fakes are fake, and how
# much gradient reaches the generator (log scale).

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for run in (baseline, strong_d, strong_d_sat):
    ax1.plot(moving_average(run.history["d_fake"], 50), label=run.name)
    ax2.semilogy(moving_average(run.history["grad_norm_g"], 50), label=run.name)
ax1.set(xlabel="step", ylabel="D(G(z))", title="D's output on fakes (0 = sure they are fake)")
ax2.set(xlabel="step", ylabel="generator gradient norm (log scale)", title="Signal reaching the generator")
fig.legend(*ax1.get_legend_handles_labels(), loc="outside lower center", ncol=3)
plt.show()

# %% [markdown]
# With the saturating loss $D(G(z))$ falls to 0 (D spots every fake) and the generator's gradient
# fades by orders of magnitude, so G stops moving. With the non-saturating loss the same strong D
# still passes back a usable gradient, and G still learns: at the end its Fréchet distance is far
# below the saturating run's, though with little variety (see its classes in the table; these are
# end-of-training scores, not a record over time). Checked:

# %% tags=["nbval-ignore-output"]
if FAST:
    skipped("overpowering discriminator")
else:
    end_grad = {run.name: window_mean(run.history["grad_norm_g"], -HALF) for run in (baseline, strong_d, strong_d_sat)}
    assert window_mean(strong_d_sat.history["d_fake"], -HALF) < 0.01, "D(G(z)) -> 0"
    assert end_grad[strong_d_sat.name] < 0.05 * end_grad[baseline.name], end_grad  # the signal vanishes
    assert strong_d_sat.scores["frechet_distance"] > 2 * strong_d.scores["frechet_distance"]
    assert strong_d_sat.warnings, "fit should have warned that D wins"
    print("a strong D drives D(G(z)) to 0; with the saturating loss the generator's gradient "
          "vanishes and it stalls, with the non-saturating loss it keeps learning")

# %% [markdown]
# ### 6.3 Mode collapse
# *One change: G's learning rate ×10.* The opposite imbalance: a generator that moves much faster
# than its judge. It finds a few outputs that currently fool D and piles its samples onto them; D
# catches up, G jumps to the next few. At the end of this run its samples cover far fewer classes than
# the healthy run's, and unevenly (the shares below): the class-coverage score detects it without looking
# at a single image. Compare the effective classes with the healthy run's rather than with a fixed
# threshold: `collapsed=True` needs fewer than 5.

# %% tags=["nbval-ignore-output"]
collapse, _ = train("G 10x faster", dataclasses.replace(recipe, lr_g=10 * recipe.lr_g))
print(run_table([baseline, collapse], HALF))
print("class shares:", [f"{p:.2f}" for p in collapse.scores["class_shares"]])

# %%
sample_grids([baseline, collapse], "A generator that learns 10x faster than its discriminator")

# %% tags=["nbval-ignore-output"]
if FAST:
    skipped("mode collapse")
else:
    assert collapse.scores["effective_classes"] < 0.7 * baseline.scores["effective_classes"]
    print(f"coverage {collapse.scores['effective_classes']:.1f} effective classes vs "
          f"{baseline.scores['effective_classes']:.1f} for the healthy run: collapse detected")

# %% [markdown]
# ### 6.4 Remedies, measured against a failing run
# Five standard remedies, each added **alone** to the run that stalled in section 6.2 (strong D, saturating
# loss). The first three are new settings; the last two undo half of what made D strong, to see
# which half mattered:
# * **one-sided label smoothing**: train D towards 0.9 instead of 1 on real digits (`real_target=0.9`;
#   only the real side, so D still pushes fakes towards 0). An over-confident D is penalised.
# * **spectral normalisation in D**: each layer's weight is divided by its largest singular value
#   (its largest stretch of any input), so D's output cannot change steeply with its input.
# * **instance noise**: Gaussian noise of standard deviation 0.3 on every image D sees while
#   training (pixels are in $[-1, 1]$), which blurs the real/fake boundary.
# * **two timescales**: choose the two learning rates on purpose; here D learns 2× as fast as G
#   instead of 20× (both rates stay small).
# * **dropout in D**, back to the recipe's rate: D sees a different random sub-network at every
#   step and cannot memorise the boundary.

# %% tags=["nbval-ignore-output"]
remedy_recipes = {
    "+ label smoothing 0.9": dataclasses.replace(STRONG_D, real_target=0.9),
    "+ spectral norm in D": with_discriminator(STRONG_D, spectral_norm=True),
    "+ instance noise 0.3": with_discriminator(STRONG_D, input_noise=0.3),
    "+ two timescales (D 2x)": dataclasses.replace(STRONG_D, lr_d=2 * STRONG_D.lr_g),
    "+ dropout 0.3 in D": with_discriminator(STRONG_D, dropout=0.3),
}
failing = {SEED: strong_d_sat}  # the failing run of section 6.2, then the same for the other seeds
remedies: dict[int, list[Run]] = {}
for seed in SEEDS:
    if seed not in failing:
        failing[seed], _ = train("strong D + saturating", STRONG_D, saturating=True, seed=seed)
    remedies[seed] = [train(name, variant, saturating=True, seed=seed)[0] for name, variant in remedy_recipes.items()]
    print(f"seed {seed}:")
    print(run_table([failing[seed], *remedies[seed]], HALF))

# %%
sample_grids([failing[SEED], *remedies[SEED]], f"The failing run and five remedies, each alone (seed {SEED})")

# %% [markdown]
# How much each remedy lowers the Fréchet distance of the failing run (the failing run's distance divided
# by the remedy's, so 1 means no gain) for each seed, how far apart the seeds are, and how many classes
# each draws. One seed is one draw of initial weights, batches and noise; a ranking is worth stating only
# where the seeds agree:

# %% tags=["nbval-ignore-output"]
gain = {seed: {run.name: failing[seed].scores["frechet_distance"] / run.scores["frechet_distance"]
               for run in remedies[seed]} for seed in SEEDS}
classes = {seed: {run.name: run.scores["effective_classes"] for run in remedies[seed]} for seed in SEEDS}
print(f"{'remedy':<26}" + "".join(f"{f'gain, seed {s}':>15}" for s in SEEDS) + f"{'spread':>9}   effective classes")
for name in remedy_recipes:
    g = [gain[s][name] for s in SEEDS]
    print(f"{name:<26}" + "".join(f"{x:14.2f}x" for x in g) + f"{max(g) - min(g):8.2f}x   "
          + ", ".join(f"{classes[s][name]:.1f}" for s in SEEDS))
ranking = {seed: sorted(gain[seed], key=gain[seed].get, reverse=True) for seed in SEEDS}
for seed in SEEDS:
    print(f"ranking, seed {seed}: {' > '.join(ranking[seed])}")

# %% tags=["nbval-ignore-output"]
if FAST:
    skipped("remedies")
else:  # only what holds for every seed
    best, worst = ["+ spectral norm in D"], ["+ instance noise 0.3"]
    middle = [name for name in remedy_recipes if name not in best + worst]
    for seed in SEEDS:
        assert ranking[seed][0] == best[0] and ranking[seed][-1] == worst[0], ranking  # the same ends ...
        assert all(gain[seed][name] > 2 for name in best + middle), gain  # ... the rest lower it more than 2x
        not_collapsed = [run.name for run in remedies[seed] if not run.scores["collapsed"]]
        assert not_collapsed == best, (seed, not_collapsed)
    print(f"for each of the seeds {SEEDS}: spectral normalisation lowers the failing run's distance most and alone "
          f"restores variety, instance noise helps least; the order of {', '.join(middle)} is not asserted")

# %% [markdown]
# Read the tables with both scores, and the ranking with its spread. What both seeds agree on: spectral
# normalisation gives the largest gain and is the only remedy whose samples keep most of the ten digits;
# instance noise with $\sigma = 0.3$ gives the smallest gain. It is too weak for a discriminator this strong:
# D still wins outright for a stretch of training (the health warning), and at the end of the budget the
# generator has moved least from the failing run's score, drawing one kind of digit. Label smoothing, two timescales and dropout each get
# the generator moving again (its gradient no longer vanishes, the Fréchet distance drops more than twofold) but
# leave it drawing few kinds of digit: they fix the **stall**, not the imbalance behind it. Their gains lie
# close together, and their order changes from one seed to the other (the printed rankings): one run per
# remedy could not tell them apart, and neither can two. A remedy is a setting to measure, over seeds, not a
# switch that always works.

# %% [markdown]
# ## 7. Symptom → likely cause → what to try
#
# | Symptom (what you see) | Likely cause | What to try | Section |
# |---|---|---|---|
# | $D(x) \to 1$, $D(G(z)) \to 0$ for many steps (`fit` warns), generator gradient tiny, samples stop improving | D overpowers G (learning rates, no dropout, capacity) and the saturating (minimax) generator loss | the non-saturating loss $-\log D(G(z))$ (the default of `fit`); spectral norm in D; label smoothing, dropout in D, or a slower D get G moving | 6 |
# | Samples look fine but repeat; effective classes drop (`collapsed=True`) | mode collapse: G moves faster than D can follow (or a remedy fixed a stall but not the imbalance) | lower G's learning rate or raise D's, spectral norm in D; check coverage, not only samples | 6 |
# | Loss becomes NaN / inf (`fit` stops, last checkpoint kept) | learning rate far too high, exploding weights, bad input data | lower learning rates, spectral norm, check the data; resume from the checkpoint | 7 |
# | Losses stay level while samples change | losses are relative to a moving opponent | score samples (Fréchet distance, coverage) and look at them | 5 |
# | High confidence score, bad pictures | the classifier is confidently wrong off the digit manifold | read confidence only next to the Fréchet distance | 2 |
# | Scores better than held-out real digits | memorisation of the training set | nearest-neighbour check | 4 |
#
# ### The health warnings of `helpers.fit`
# `fit` checks the statistics it already keeps every few steps (one device synchronisation per
# window, nothing per step) and warns once per run with a pointer to this notebook. Its thresholds:

# %%
from helpers import health

print(f"checked every {health.HEALTH_EVERY} steps: warn when D(x) > {health.HEALTH_D_WINS} and "
      f"D(G(z)) < {1 - health.HEALTH_D_WINS:.2f} over a whole window (D wins), or when the non-saturating "
      f"generator loss averages above {health.HEALTH_LOSS_G_LIMIT:g} (it explodes)")

# %% [markdown]
# Any NaN or infinite loss raises `helpers.TrainingDiverged` *before* saving, so the checkpoint of
# the last good epoch is kept. A small demonstration: one epoch trains normally, then G's learning
# rate is set to infinity.

# %% tags=["nbval-ignore-output"]
demo = build(recipe, device, seed=SEED, images=train_images[: 4 * recipe.batch_size])
checkpoint = Path(tempfile.mkdtemp()) / "nan_demo.pt"
demo.fit(epochs=1, checkpoint=checkpoint, progress=False)
for group in demo.opt_g.param_groups:
    group["lr"] = float("inf")  # an absurd learning rate: G's weights blow up on the next step
try:
    demo.fit(epochs=1, checkpoint=checkpoint, progress=False)  # diverges at its first step
except helpers.TrainingDiverged as err:
    print(f"{type(err).__name__}: {err}")
kept = helpers.infra.checkpoint.load_checkpoint(checkpoint)
print("checkpoint epoch:", kept["epoch"], "| all generator weights finite:",
      all(bool(torch.isfinite(v).all()) for v in kept["G"].values()))

# %% [markdown]
# ## Summary
# * Score generated digits with several numbers at once: the **Fréchet distance** catches bad
#   and blurry images and missing variety, **class coverage** catches mode collapse directly,
#   and **confidence** alone is misleading (noise gets a confidence of about 1).
# * Compare Fréchet distances only at the same sample count: fewer samples, larger distance.
# * Check for memorisation with nearest neighbours in the training set.
# * GAN losses are a health monitor, not a quality score: in section 5 the Fréchet distance changed by a
#   far larger factor than either loss (both factors are printed there).
# * A discriminator that learns much faster drives $D(G(z)) \to 0$; with the saturating loss the
#   generator's gradient then vanishes and it stalls, with the non-saturating loss it keeps learning.
#   Against a balanced D the two losses train about equally well.
# * A generator that learns much faster collapses onto a few digits.
# * Label smoothing, two timescales and dropout in D get a stalled generator moving but leave it
#   collapsed; spectral normalisation fixes both; weak instance noise helps least. Measure remedies over
#   seeds: the two seeds here agree on the best and the worst, not on the order of the three in between.
#
# ## Exercises
# Each needs only the notebook and `helpers` (a pip install of the series); the cells above are
# the starting points. A worked solution of exercise 1 is in
# [`solutions/05_evaluating_and_debugging_gans.py`](../solutions/05_evaluating_and_debugging_gans.py).
# 1. **Combine two remedies.** Train the failing run with spectral norm *and* label smoothing
#    (`with_discriminator(dataclasses.replace(STRONG_D, real_target=0.9), spectral_norm=True)`). Do
#    the gains add up?
# 2. **Sample count.** Score the healthy run's samples at 1,000 and at 5,000 samples. How much does
#    its Fréchet distance change? Would that change the ranking of the runs in section 6?
# 3. **Seeds.** Repeat section 6.3 with `seed=1` and `seed=2` (an argument of `train`). Is the collapse
#    robust? Add a third seed to `SEEDS`: do the best and the worst remedy of section 6.4 stay the same?
# 4. **More discriminator steps.** Give D five updates per generator update (a loop around
#    `helpers.discriminator_step`). Which of the symptoms of section 6.2 appear?
# 5. **Features instead of pixels.** Replace the pixel distance in the nearest-neighbour check by the
#    classifier's features (`helpers.scores.mnist.features_and_probs`). Do the nearest neighbours look more alike?

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {(time.perf_counter() - notebook_start) / 60:.1f} min on {helpers.infra.env.device_name(device)}")
