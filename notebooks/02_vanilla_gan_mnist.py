# %% [markdown]
# # 02 · A vanilla GAN on MNIST
#
# In notebook 01 an autoencoder's decoder turned a small vector into a digit, but only for
# vectors the encoder had produced: random vectors decoded to smudges. This notebook builds
# the fix that started the GAN story: a **generator** that is trained from the first step on
# random vectors from a distribution *we choose*, judged by a second network, the
# **discriminator**, that learns what real digits look like.
#
# You will see
# 1. why a known noise distribution turns a decoder into a generator;
# 2. the discriminator as a learned judge, and the minimax game between the two;
# 3. why the generator in practice maximises $\log D(G(z))$ instead of minimising $\log(1 - D(G(z)))$;
# 4. the two training steps, the training loop, and how to read its curves;
# 5. how to *measure* sample quality, and how much a better recipe buys in the same CPU time.
#
# **Committed outputs:** full settings on a 2-core x86-64 CPU (no GPU, nothing else running),
# 6.5 minutes for the whole notebook (the last cell prints it). With `GAN_FAST=1` (what the
# tests use) every size shrinks and the notebook runs in about a minute.

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
print(helpers.data.describe_runtime(device))

# %%
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import HTML, Code, display

from helpers import (
    SampleRecorder,
    animate,
    build,
    get_recipe,
    interpolation_explorer,
    mnist_scores,
    plot_history,
    show_frames,
    show_image_grids,
    show_images,
    slerp,
    to_unit,
)
from helpers.recipes import Setup
from helpers.sampling import latent_of_seed

notebook_start = time.perf_counter()

# %% [markdown]
# ## 1. The data
# MNIST: 60,000 handwritten digits, 28×28 pixels, grey levels 0–255. `load_mnist` returns the
# whole training set as one `uint8` tensor, which we keep on the device and batch by indexing: no
# per-epoch decoding and no DataLoader workers. In FAST mode we keep only the first 2,000.

# %% tags=["nbval-ignore-output"]
images, labels = helpers.load_mnist(train=True)
images = images[: fast_or_full(2000, len(images))]
print(f"{len(images):,} training digits in one tensor of {images.nbytes / 1e6:.0f} MB")

# %%
print("one image:", tuple(images.shape[1:]), images.dtype, "values", int(images.min()), "to", int(images.max()))
show_images(images[:64], title="Real MNIST digits")
plt.show()

# %% [markdown]
# ## 2. From a decoder to a generator
# A decoder maps a code $z$ to an image. The autoencoder's trouble was that nobody decided
# *which* codes are valid. A GAN decides up front: $z$ is drawn from a fixed, simple
# distribution $p_z$, here the standard normal $\mathcal{N}(0, I)$ in 64 dimensions. The
# generator $G$ must turn **every** such draw into a convincing digit, so after training,
# sampling is trivial: draw $z \sim p_z$, compute $G(z)$.
#
# Nobody can write down a loss that says "this is a convincing digit". So a second network,
# the **discriminator** $D$, learns it: $D(x) \in (0, 1)$ is its probability that $x$ is a real
# digit rather than one of $G$'s. It is an ordinary binary classifier, trained on real digits
# (label 1) and on the generator's current fakes (label 0), and it keeps learning as $G$ improves.
#
# ## 3. The minimax game
# $D$ maximises the log-likelihood of telling real from fake, while $G$ minimises it:
#
# $$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}\big[\log D(x)\big]
#   + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big].$$
#
# For a fixed $G$ the best judge is $D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_G(x))$, and
# with it the game's value measures the (Jensen–Shannon) distance between the two
# distributions; it is lowest when $p_G = p_\text{data}$ and $D$ answers ½ everywhere.
#
# **The saturation problem.** Early in training $G$'s images are poor, $D$ rejects them
# confidently and $D(G(z)) \approx 0$. Exactly there $\log(1 - D)$ is flat: the generator gets
# almost no gradient. The fix used in practice (already in the original GAN paper) is to let
# $G$ *maximise* $\log D(G(z))$ instead, the **non-saturating** loss $-\log D(G(z))$: same
# fixed point, strong gradients when $G$ is losing. Let us look at both, as functions of the
# discriminator's logit $a$ (so $D = \sigma(a)$), which is what the generator's gradient flows through.

# %%
a = torch.linspace(-8, 4, 400, requires_grad=True)
d = torch.sigmoid(a)
saturating, non_saturating = torch.log(1 - d), -torch.log(d)
grad_sat = torch.autograd.grad(saturating.sum(), a, retain_graph=True)[0]
grad_ns = torch.autograd.grad(non_saturating.sum(), a)[0]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
ax1.plot(d.detach(), saturating.detach(), label=r"minimax: $\log(1 - D(G(z)))$ (minimise)")
ax1.plot(d.detach(), non_saturating.detach(), label=r"non-saturating: $-\log D(G(z))$ (minimise)")
ax1.set(xlabel="D(G(z))", ylabel="generator loss", title="Two generator losses")
ax1.legend()
ax2.semilogy(d.detach(), grad_sat.abs(), label="minimax")
ax2.semilogy(d.detach(), grad_ns.abs(), label="non-saturating")
ax2.set(xlabel="D(G(z))", ylabel="|d loss / d logit|", title="Gradient reaching the generator")
ax2.legend()
fig.tight_layout()

# Where fakes are obvious (D(G(z)) = 0.01), how much gradient does each loss pass back?
at = torch.argmin((d - 0.01).abs())
print(f"at D(G(z)) = 0.01: minimax gradient {grad_sat[at].abs():.3f}, non-saturating {grad_ns[at].abs():.3f}")
assert grad_ns[at].abs() > 50 * grad_sat[at].abs()

# %% [markdown]
# With obvious fakes the minimax loss passes back about 1 % of the signal the non-saturating
# loss does. Notebook 05 trains both and measures the difference.
#
# ## 4. The two networks
# Both are small fully connected networks (recipe `vanilla-gan-mnist` in `helpers.recipes`,
# the same one the command line trains):
# * **G**: $z \in \mathbb{R}^{64}$ → 256 → 512 → 1024 → 784 units, batch norm and LeakyReLU
#   between layers, **Tanh** at the end so pixels lie in $[-1, 1]$ (real images are scaled the same way);
# * **D**: 784 → 512 → 256 → 1, LeakyReLU and **dropout** 0.3, which keeps D from memorising
#   the training digits and overpowering G too early.
#
# D outputs a *logit* $a$ with $D(x) = \sigma(a)$; the loss applies the sigmoid inside
# `binary_cross_entropy_with_logits`, which is numerically safer than a sigmoid layer followed by `log`.
#
# The GAN of the article this series grew from (the **source article**) is also a recipe,
# `article-gan-mnist`, and we call its settings the *article recipe*: a small uniform $z$, one
# hidden layer in each network, no batch norm, Adam at its default settings. We will train both
# for the same time. `Recipe.summary()` lists every setting of a recipe:

# %%
print(get_recipe("vanilla-gan-mnist").summary())
print(get_recipe("article-gan-mnist").summary())
ours = build("vanilla-gan-mnist", device, seed=SEED, images=images)
print(ours.G)
print(ours.D)

# %%
z = ours.noise(16)
fake = ours.G(z)
print("z:", tuple(z.shape), "-> G(z):", tuple(fake.shape), "-> D(G(z)):", tuple(ours.D(fake).shape))
print(f"parameters: G {helpers.count_parameters(ours.G):,}, D {helpers.count_parameters(ours.D):,}")
assert fake.shape == (16, 1, 28, 28) and fake.abs().max() <= 1

# %% [markdown]
# ## 5. One training step = a discriminator step + a generator step
# **Discriminator step.** Show D a batch of real digits labelled 1 and a batch of fakes
# labelled 0, sum the two binary cross-entropies, take one optimizer step on D only. The
# fakes are *detached*, so no gradient reaches G.
#
# **Generator step.** Push fresh fakes through D and label them **1**: the loss is small when D
# is fooled. The gradient flows back *through* D into G, but only G's optimizer steps (D's
# weights are frozen for this step). With labels 1 this is exactly the non-saturating loss
# $-\log D(G(z))$.
#
# Both live in `helpers/train.py` because every GAN in the series uses them:

# %% tags=["nbval-ignore-output"]
display(Code(inspect.getsource(helpers.discriminator_step) + "\n" + inspect.getsource(helpers.generator_step),
             language="python"))

# %% [markdown]
# One step by hand, to see what they return:

# %%
real = next(iter(ours.data))
fake = ours.G(ours.noise(len(real)))
d_stats = helpers.discriminator_step(ours.D, real, fake.detach(), ours.opt_d)
g_stats = helpers.generator_step(ours.D, fake, ours.opt_g)
print("discriminator step:", sorted(d_stats), "| generator step:", sorted(g_stats))
assert 0 < d_stats["d_real"] < 1 and 0 < d_stats["d_fake"] < 1

# %% [markdown]
# ## 6. The training loop
# One **training step** puts the two together: G draws a batch of fakes from fresh noise, D takes its
# step on real and fake, then G takes its step against the updated D. `helpers.train_step` is that,
# plus what the rest of the series needs (mixed precision, the average of G below), and returns the
# step's statistics: the two losses, $D(x)$, $D(G(z))$ and both gradient norms.

# %% tags=["nbval-ignore-output"]
display(Code(inspect.getsource(helpers.train_step), language="python"))

# %% [markdown]
# **One more ingredient: an average of G.** The two players never settle: each generator step
# answers the discriminator's last move, so G's weights keep circling around a good solution
# instead of stopping in it, and any single snapshot carries the wobble of its last few hundred
# steps (speckles, broken strokes). So the recipe keeps a second copy of G whose weights are an
# exponential moving average, $\bar\theta \leftarrow 0.999\,\bar\theta + 0.001\,\theta$ after every
# generator step (`ours.G_ema`, made by `helpers.generator_ema` with PyTorch's `AveragedModel`; the
# `ema=` argument of `train_step` updates it). It is never trained, costs one more copy of G, and is
# what we draw samples from: `ours.generator`. Only the weights are averaged: G's batch-norm layers
# also keep running means and variances of their inputs for eval mode, and averaged weights produce
# other inputs than the latest ones, so after every epoch `helpers.recalibrate_batch_norm`
# re-estimates the average's statistics from its own samples. Section 8 measures what it buys.
#
# An **epoch** is one pass over the shuffled training digits, in batches of 64. Here is the first
# one, written out: the loop that trains. A `SampleRecorder` draws the **same 64 noise vectors**
# through the averaged generator after each epoch, so we can watch one set of digits take shape.

# %% tags=["nbval-ignore-output"]
EPOCHS = fast_or_full(2, 8)
fixed_noise = ours.noise(64)
recorder = SampleRecorder(fixed_noise, generator=ours.generator)

history = helpers.History()  # per step: both losses, D(x), D(G(z)), both gradient norms
start = time.perf_counter()
for real in ours.data:  # epoch 1: real digits as floats in [-1, 1], (64, 1, 28, 28) each
    row = helpers.train_step(ours.G, ours.D, real, ours.noise, ours.opt_g, ours.opt_d, ema=ours.G_ema)
    history.extend([row])
helpers.recalibrate_batch_norm(ours.G_ema, ours.noise, ours.data.batch_size)
history.seconds = time.perf_counter() - start
history.end_epoch()
recorder(helpers.EpochEnd(1, ours.G, ours.D, history))  # the fixed-noise samples after epoch 1
print(history.summary())

# %% [markdown]
# `helpers.fit` runs the same loop for the remaining epochs and adds what a long run needs: a
# progress bar, a time budget, health checks as it goes (notebook 05), callbacks after each epoch,
# and checkpoints that an interrupted run resumes from exactly (`checkpoint=..., resume=True`).
# `ours.fit(...)` is `helpers.fit(ours.G, ours.D, ours.data, ours.opt_g, ours.opt_d, ours.noise, ...)`
# with the recipe's settings filled in (the average, precision, labels), so a notebook cannot train
# a recipe differently from the command line by accident. Handed our `history`, it continues with
# epoch 2: the result is the same run as `ours.fit(epochs=EPOCHS)` from the start (a unit test checks
# that, weight for weight).

# %% tags=["nbval-ignore-output"]
history = ours.fit(epochs=EPOCHS, history=history, callbacks=[recorder])
print(history.summary())

# %% [markdown]
# ## 7. Reading the curves
# GAN losses do not go to zero, and a falling generator loss does not mean better digits:
# each network's loss is measured against an opponent that keeps changing. What to look for:
# * **Both losses stay bounded and roughly level** after the first epoch: the game is balanced.
#   A discriminator loss near 0 with a rising generator loss means D has won and G gets no
#   useful signal (notebook 05 provokes this).
# * **$D(x)$ above ½ and $D(G(z))$ below ½**, both drifting towards ½ as the fakes improve. If
#   $D(G(z))$ sticks near 0 for long, G is not learning.
# * Sudden spikes that recover are normal; oscillations that grow are not.

# %%
plot_history(history, smooth=fast_or_full(5, 100), title="Vanilla GAN on MNIST")
plt.show()

# %% [markdown]
# The fixed-noise samples, epoch by epoch (press play):

# %% tags=["nbval-ignore-output"]
HTML(animate(recorder.frames, [f"epoch {e}" for e in recorder.epochs]))

# %% [markdown]
# The same frames as a still picture (the player above needs JavaScript, which GitHub's view of a
# notebook does not run):

# %% tags=["nbval-ignore-output"]
show_frames(recorder.frames, [f"epoch {e}" for e in recorder.epochs])
plt.show()

# %% [markdown]
# ## 8. Measuring quality, and the article recipe side by side
# Looking at samples is essential but subjective. `helpers.scores.mnist` scores a batch of digits
# with the small MNIST classifier of notebook 01:
# * **Fréchet distance** between the classifier's penultimate-layer features of our samples and of the
#   MNIST test set (like FID, with an MNIST network instead of Inception): near 0 for real digits, lower is better;
# * **class entropy**: $\ln 10 = 2.30$ when all ten digits appear equally often, 0 when G draws one digit;
# * **mean confidence** of the classifier.
#
# Scores depend on the sample count (notebook 05 shows how), so we always use the same count,
# `N_SCORE` below.
#
# Now train the source article's recipe for **the same wall-clock time** our recipe just used.

# %% tags=["nbval-ignore-output"]
article_setup = build("article-gan-mnist", device, seed=SEED, images=images)
article_history = article_setup.fit(max_seconds=history.seconds)
print(f"ours: {history.steps} steps in {history.seconds:.0f} s; article recipe: {article_history.steps} steps "
      f"in {article_history.seconds:.0f} s")


# %% tags=["nbval-ignore-output"]
def samples(setup: Setup, n: int = 10000, averaged: bool = True) -> torch.Tensor:
    """``n`` generated digits in [0, 1] on the CPU, from a fixed noise seed (`helpers.draw_samples`).

    ``averaged=False`` draws from the latest weights of G instead of the recipe's average.
    """
    return helpers.draw_samples(setup.generator if averaged else setup.G, setup.noise, n)


N_SCORE = fast_or_full(2000, 10000)
ours_samples, article_samples = samples(ours, N_SCORE), samples(article_setup, N_SCORE)
real_digits = images[torch.randperm(len(images))[:N_SCORE]].float() / 255
scores = {"real digits": mnist_scores(real_digits), "our recipe": mnist_scores(ours_samples),
          "  latest G": mnist_scores(samples(ours, N_SCORE, averaged=False)),
          "article recipe": mnist_scores(article_samples)}
print(f"{'':<12} {'Fréchet':>9} {'entropy':>8} {'confidence':>11}")
for name, s in scores.items():
    print(f"{name:<12} {s['frechet_distance']:9.2f} {s['class_entropy']:8.3f} {s['mean_confidence']:11.3f}")

# %% tags=["nbval-ignore-output"]
ratio = scores["article recipe"]["frechet_distance"] / scores["our recipe"]["frechet_distance"]
print(f"the article recipe's Fréchet distance is {ratio:.1f}x ours after the same training time")
print(f"averaging G's weights: {scores['  latest G']['frechet_distance']:.1f} (latest weights) -> "
      f"{scores['our recipe']['frechet_distance']:.1f} (average)")
if FAST:
    print("FAST mode: too little training for the quality assertions; skipped")
else:
    assert ratio > 3, ratio  # measured: 5.0 here, 5.6x in the 300 s benchmark (see the text below)
    assert scores["our recipe"]["class_entropy"] > 2.25, "all ten digits should appear"
    assert scores["our recipe"]["frechet_distance"] < 0.8 * scores["  latest G"]["frechet_distance"], \
        "the averaged generator should draw clearly better digits than the latest weights"

# %%
show_image_grids({"real digits": real_digits[:64], f"our recipe, {EPOCHS} epochs": ours_samples[:64],
                  "article recipe, same time": article_samples[:64]},
                 title="Real vs generated (same CPU time for both GANs)")
plt.show()

# %% [markdown]
# Why is ours better per second, although each of its steps costs more? In the order of what
# they bought in our measurements:
# * **the moving average of G** (section 6): the single largest gain (the line printed above
#   compares the latest weights with their average). It removes the step-to-step wobble that
#   shows up as speckles and broken strokes;
# * a wider, deeper generator with **batch norm** (each layer sees inputs of a stable scale, so a
#   higher-capacity G trains without collapsing) and a **normal** latent vector of 64 values
#   instead of a few uniform ones;
# * Adam with $\beta_1 = 0.5$ (a shorter momentum memory copes better with an opponent that keeps
#   moving) at learning rate $5\cdot10^{-4}$ and batch 64, chosen by short timed runs (the
#   [benchmarks](../benchmarks/README.md) page has them, and a longer comparison of the two recipes).
#
# ## 9. Exploring the latent space
# Every point of the 64-d normal distribution is now a digit. Pick two noise seeds and slide
# between them: the path is spherical (`slerp`), because a straight line between two normal
# vectors runs through the low-norm centre where G saw few inputs. Watch digits morph
# smoothly into one another: G has learned a continuous map, not a lookup table.

# %% tags=["nbval-ignore-output"]
ours.generator.eval()
latent_dim = get_recipe("vanilla-gan-mnist").latent_dim


def noise_of_seed(seed: int) -> torch.Tensor:
    """One reproducible latent vector per integer seed (`helpers.sampling.latent_of_seed`: its own CPU generator)."""
    return latent_of_seed(seed, latent_dim, device)


interpolation_explorer(ours.generator, noise_of_seed, title="Sliding through latent space")

# %% [markdown]
# The same idea as a static figure: eight interpolation paths between random pairs.

# %%
with torch.no_grad():
    rows = [torch.cat([slerp(noise_of_seed(2 * i), noise_of_seed(2 * i + 1), t)
                       for t in np.linspace(0, 1, 10)]) for i in range(8)]
    show_images(to_unit(ours.generator(torch.cat(rows))), nrow=10, size=6, title="Latent interpolations (left to right)")

# %% [markdown]
# ## Summary
# * A GAN turns a decoder into a generator by fixing the input distribution ($z \sim \mathcal{N}(0, I)$)
#   and letting a learned judge, the discriminator, provide the training signal.
# * The minimax objective has a vanishing gradient exactly when the generator is bad; the
#   non-saturating loss $-\log D(G(z))$ fixes that and is what everyone uses.
# * Training alternates one discriminator step (real → 1, fake → 0) and one generator step
#   (fake → 1 through a frozen D). Loss curves tell you whether the game is balanced, not how
#   good the samples are: measure that with a score such as the Fréchet distance.
# * Architecture, optimizer settings and an average of the generator's weights matter as much as
#   training time: our recipe beats the article recipe's tiny networks at equal CPU time (section 8
#   printed by how much).
#
# ## Exercises
# 1. Train the article recipe with Adam's `betas=(0.5, 0.999)` and learning rate $2\cdot10^{-4}$ for
#    the same time: `build(dataclasses.replace(get_recipe("article-gan-mnist"), betas=(0.5, 0.999),
#    lr_g=2e-4, lr_d=2e-4), device, images=images)`. How much of the gap closes? (A worked solution:
#    [`solutions/02_vanilla_gan_mnist.py`](../solutions/02_vanilla_gan_mnist.py).)
# 2. Remove the batch norm from our generator: a variant whose `make_networks` returns
#    `MLPGenerator(z, (256, 512, 1024), batch_norm=False)`. What happens to the scores?
# 3. Score the averaged generator after every epoch (a callback that calls `mnist_scores` on
#    `ours.generator`) and the latest `ours.G` too. When does the average start to pay off, and why
#    is it *worse* in the first epochs?
# 4. Switch the generator step to the saturating loss (`fit(..., saturating=True)`) and compare
#    $D(G(z))$ over the first epoch with the run above.
# 5. Use the command line: `python -m helpers train vanilla-gan-mnist --max-seconds 300 --out runs/v`,
#    then `python -m helpers sample runs/v --out s.npy` and `python -m helpers score s.npy`.
#    Interrupt the training with Ctrl-C and run it again: it resumes from its last checkpoint.
#
# Next: notebook 03 replaces the fully connected layers with (transposed) convolutions.

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {(time.perf_counter() - notebook_start) / 60:.1f} min on {helpers.infra.env.device_name(device)}")
