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
# 4. the training loop, written out in 15 lines, and the same loop in the series' `helpers`;
# 5. how to read the curves, how to *measure* sample quality, what an average of the generator's
#    weights buys, and how much a better recipe buys in the same CPU time.
#
# **Committed outputs:** full settings on a 2-core x86-64 CPU (no GPU, nothing else running),
# 7.3 minutes for the whole notebook (the last cell prints it). With `GAN_FAST=1` every size
# shrinks and the notebook runs in about a minute.

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

# %%
import inspect
import itertools
import time
from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import HTML, Code, display
from torch import nn

from helpers import (
    SampleRecorder,
    TensorBatches,
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
from helpers.models import MLPDiscriminator, MLPGenerator
from helpers.sampling import latents

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

# %% [markdown]
# ## 4. The two networks
# Both are small fully connected networks (`helpers.models`, printed below):
# * **G**: $z \in \mathbb{R}^{64}$ → 256 → 512 → 1024 → 784 units, batch norm and LeakyReLU
#   between layers, **Tanh** at the end so pixels lie in $[-1, 1]$ (real images are scaled the same way);
# * **D**: 784 → 512 → 256 → 1, LeakyReLU and **dropout** 0.3, which keeps D from memorising
#   the training digits and overpowering G too early.
#
# D outputs a *logit* $a$ with $D(x) = \sigma(a)$; the loss applies the sigmoid inside
# `binary_cross_entropy_with_logits`, which is numerically safer than a sigmoid layer followed by `log`.
# Each network gets its own Adam optimiser, with $\beta_1 = 0.5$ (a shorter momentum memory copes
# better with an opponent that keeps moving) and learning rate $5\cdot10^{-4}$. The batches come from
# `TensorBatches`: the digits stay in one tensor on the device, and each epoch slices it in a fresh
# random order, 64 digits at a time, as floats in $[-1, 1]$.

# %%
LATENT_DIM = 64


def noise(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` latent vectors z ~ N(0, I), shape (n, 64), drawn on the CPU (from ``generator`` when given) and moved to
    the device: one seed then draws the same vectors on every device."""
    return torch.randn(n, LATENT_DIM, generator=generator).to(device)


def plain_gan(seed: int = SEED) -> tuple[nn.Module, nn.Module, torch.optim.Adam, torch.optim.Adam, TensorBatches]:
    """Fresh G and D, their optimisers and the batches, all from ``seed``."""
    torch.manual_seed(seed)
    G = MLPGenerator(LATENT_DIM, hidden=(256, 512, 1024)).to(device)
    D = MLPDiscriminator(hidden=(512, 256), dropout=0.3).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=5e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=5e-4, betas=(0.5, 0.999))
    return G, D, opt_g, opt_d, TensorBatches(images, batch_size=64, device=device, seed=seed)


G, D, opt_g, opt_d, batches = plain_gan()
print(G)
print(D)
z = noise(16)
fake = G(z)
print("z:", tuple(z.shape), "-> G(z):", tuple(fake.shape), "-> D(G(z)):", tuple(D(fake).shape))
print(f"parameters: G {helpers.count_parameters(G):,}, D {helpers.count_parameters(D):,}")
assert fake.shape == (16, 1, 28, 28) and fake.abs().max() <= 1

# %% [markdown]
# ## 5. The training loop
# Training alternates two updates on every batch of real digits.
#
# **Discriminator update.** Show D the real batch labelled 1 and a batch of fakes labelled 0, add
# the two binary cross-entropies, take one optimiser step on D. The fakes are *detached*: this update
# must not send gradients into G.
#
# **Generator update.** Push the same fakes through the *updated* D and label them **1**: the loss
# is small when D is fooled. The gradient flows back *through* D into G, and only G's optimiser
# steps. With labels 1 this is exactly the non-saturating loss $-\log D(G(z))$. (It leaves gradients
# in D's weights too; D's next `zero_grad` clears them before they are used.)
#
# That is the whole algorithm:


# %%
def train_epoch(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                batches: Iterable[torch.Tensor]) -> list[tuple[float, float]]:
    """One pass over ``batches`` of real images; returns (D loss, G loss) of every step."""
    losses = []
    for real in batches:
        fake = G(noise(len(real)))

        # discriminator: real -> 1, fake -> 0
        logits_real, logits_fake = D(real), D(fake.detach())
        loss_d = (F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
                  + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake)))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

        # generator: make the updated discriminator say 1 for the fakes
        logits = D(fake)
        loss_g = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        losses.append((loss_d.item(), loss_g.item()))
    return losses


# %% [markdown]
# Two epochs of it (two passes over the 60,000 digits), then samples. For sampling, G goes into
# eval mode: its batch-norm layers then use the running averages they kept during training instead
# of the statistics of the batch at hand. `helpers.draw_samples` does that, returns pixels in
# $[0, 1]$, and draws its noise from a fixed seed, so that every set of samples below is comparable.

# %% tags=["nbval-ignore-output"]
PLAIN_EPOCHS = fast_or_full(1, 2)
start = time.perf_counter()
plain_losses = [step for _ in range(PLAIN_EPOCHS) for step in train_epoch(G, D, opt_g, opt_d, batches)]
plain_seconds = time.perf_counter() - start
last = np.mean(plain_losses[-100:], axis=0)
print(f"{PLAIN_EPOCHS} epochs, {len(plain_losses)} steps in {plain_seconds:.0f} s; "
      f"last 100 steps: loss D {last[0]:.3f}, loss G {last[1]:.3f}")

N_SCORE = fast_or_full(2000, 10000)
plain_samples = helpers.draw_samples(G, noise, N_SCORE)
show_images(plain_samples[:64], title=f"The vanilla GAN after {PLAIN_EPOCHS} epochs")
plt.show()

# %% [markdown]
# How good are they? Looking is subjective, so `helpers.mnist_scores` scores a batch of digits with
# the small MNIST classifier of notebook 01:
# * **Fréchet distance** between the classifier's penultimate-layer features of our samples and of the
#   MNIST test set (like FID, with an MNIST network instead of Inception): near 0 for real digits, lower is better;
# * **class entropy**: $\ln 10 = 2.30$ when all ten digits appear equally often, 0 when G draws one digit;
# * **mean confidence** of the classifier.
#
# Scores depend on the sample count (notebook 05 shows how), so we always score the same number of
# samples, `N_SCORE`.

# %% tags=["nbval-ignore-output"]
real_digits = images[torch.randperm(len(images))[:N_SCORE]].float() / 255
scores = {"real digits": mnist_scores(real_digits), "vanilla loop": mnist_scores(plain_samples)}


def print_scores(scores: dict[str, dict[str, float]]) -> None:
    """One row per set of samples: Fréchet distance, class entropy, mean confidence."""
    print(f"{'':<15} {'Fréchet':>9} {'entropy':>8} {'confidence':>11}")
    for name, s in scores.items():
        print(f"{name:<15} {s['frechet_distance']:9.2f} {s['class_entropy']:8.3f} {s['mean_confidence']:11.3f}")


print_scores(scores)

# %% [markdown]
# ## 6. The same loop in `helpers`
# The rest of the series trains with `helpers.train_step`, which is these lines. Its two halves,
# `discriminator_step` and `generator_step` (`helpers/train.py`), add what later notebooks use and
# what changes nothing here: `precision.autocast` and `precision.scaler` (mixed precision, notebook
# 04; in float32 both do nothing), and the gradient norms they return with the losses.
# `generator_step` also freezes D's weights while G's loss flows through them, so that no gradient is
# computed for them at all.

# %% tags=["nbval-ignore-output"]
display(Code(inspect.getsource(helpers.discriminator_step) + "\n" + inspect.getsource(helpers.generator_step),
             language="python"))

# %% [markdown]
# The claim, checked: from the same seed, 20 steps of our loop and 20 steps of `helpers.train_step`
# leave the two pairs of networks with the same weights, bit for bit.

# %%
G1, D1, opt_g1, opt_d1, batches1 = plain_gan()
train_epoch(G1, D1, opt_g1, opt_d1, itertools.islice(batches1, 20))
G2, D2, opt_g2, opt_d2, batches2 = plain_gan()
for real in itertools.islice(batches2, 20):
    helpers.train_step(G2, D2, real, noise, opt_g2, opt_d2)
pairs = [(a, b) for one, two in [(G1, G2), (D1, D2)] for a, b in zip(one.state_dict().values(), two.state_dict().values())]
print(f"{len(pairs)} tensors of weights and batch-norm statistics compared; all equal: "
      f"{all(torch.equal(a, b) for a, b in pairs)}")
assert all(torch.equal(a, b) for a, b in pairs)

# %% [markdown]
# ## 7. A longer run, and an average of G
# **`helpers.fit`** runs the same loop for many epochs and adds what a long run needs: a progress bar,
# a time budget, a record of every step's statistics (both losses, $D(x)$, $D(G(z))$, both gradient
# norms), health checks as it goes (notebook 05), callbacks after each epoch, and checkpoints that an
# interrupted run resumes from exactly (`checkpoint=..., resume=True`).
#
# It also brings **one more ingredient: an average of G.** Look at the vanilla GAN's samples again:
# speckles, broken strokes. The two players never settle: each generator step answers the
# discriminator's last move, so G's weights keep circling around a good solution instead of stopping in
# it, and any single snapshot carries the wobble of its last few hundred steps. So we keep a second copy
# of G whose weights are an exponential moving average, $\bar\theta \leftarrow 0.999\,\bar\theta +
# 0.001\,\theta$ after every generator step (`helpers.generator_ema`, PyTorch's `AveragedModel`). It is
# never trained, costs one more copy of G, and is what we draw samples from. Only the weights are
# averaged: G's batch-norm layers also keep running means and variances of their inputs for eval mode,
# and averaged weights produce other inputs than the latest ones, so after every epoch
# `helpers.recalibrate_batch_norm` re-estimates the average's statistics from its own samples.
#
# All of it is the recipe **`vanilla-gan-mnist`** (`helpers.recipes`, the same one the command line
# trains): the networks and optimisers of section 4 plus the average. `build` makes it on our device;
# `ours.fit(...)` is `helpers.fit(ours.G, ours.D, ours.data, ours.opt_g, ours.opt_d, ours.noise, ...)`
# with the recipe's settings filled in, so a notebook cannot train a recipe differently from the
# command line by accident; `ours.G_ema` is the average. A `SampleRecorder` draws the **same 64
# noise vectors** through it after each epoch, so we can watch one set of digits take shape.

# %% tags=["nbval-ignore-output"]
print(get_recipe("vanilla-gan-mnist").summary())
ours = build("vanilla-gan-mnist", device, seed=SEED, images=images)

# %% tags=["nbval-ignore-output"]
EPOCHS = fast_or_full(2, 8)
recorder = SampleRecorder(ours.G_ema, ours.noise(64))
history = ours.fit(epochs=EPOCHS, callbacks=[recorder])
print(history.summary())

# %% [markdown]
# ## 8. Reading the curves
# GAN losses do not go to zero, and a falling generator loss does not mean better digits:
# each network's loss is measured against an opponent that keeps changing. What to look for:
# * **Both losses stay bounded** after the first epoch and change only slowly: the game is balanced.
#   (Here, after the first epochs, D's loss creeps up and G's creeps down, as D finds the fakes harder
#   to tell apart: $D(x)$ and $D(G(z))$ on the right close in on ½.) A discriminator loss near 0 with a rising
#   generator loss means D has won and G gets no useful signal (notebook 05 provokes this).
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
# ## 9. What the average buys, and the source article's recipe
# The series grew from Marcello Politi's article
# ["Hands-on Generative AI with GANs using Python: Image Generation"](https://towardsdatascience.com/hands-on-generative-ai-with-gans-using-python-image-generation-9a62e591c7c6)
# (Towards Data Science). Its GAN is also a recipe, `article-gan-mnist`, and we call its settings the
# *article recipe*: a small uniform $z$, one hidden layer in each network, no batch norm, Adam at its
# default settings. We train it for **the same wall-clock time** our recipe just used.

# %% tags=["nbval-ignore-output"]
print(get_recipe("article-gan-mnist").summary())
article_setup = build("article-gan-mnist", device, seed=SEED, images=images)
article_history = article_setup.fit(max_seconds=history.seconds)
print(f"ours: {history.steps} steps in {history.seconds:.0f} s; article recipe: {article_history.steps} steps "
      f"in {article_history.seconds:.0f} s")

# %% [markdown]
# Now score everything the same way: the vanilla loop of section 5, our recipe's latest weights of G
# and their average (the same run, the same step count: the difference is the average alone), and
# the article recipe.

# %% tags=["nbval-ignore-output"]
ours_samples = helpers.draw_samples(ours.G_ema, ours.noise, N_SCORE)  # the average
latest_samples = helpers.draw_samples(ours.G, ours.noise, N_SCORE)
article_samples = helpers.draw_samples(article_setup.G, article_setup.noise, N_SCORE)
scores |= {"latest G": mnist_scores(latest_samples), "average of G": mnist_scores(ours_samples),
           "article recipe": mnist_scores(article_samples)}
print_scores(scores)
fd = {name: s["frechet_distance"] for name, s in scores.items()}
print(f"after {history.steps} steps, averaging G's weights: Fréchet distance {fd['latest G']:.1f} -> "
      f"{fd['average of G']:.1f} ({fd['latest G'] / fd['average of G']:.1f}x lower)")
print(f"same time: the article recipe's Fréchet distance is {fd['article recipe'] / fd['average of G']:.1f}x ours "
      f"({fd['article recipe'] / fd['latest G']:.1f}x our latest weights without the average)")
if not FAST:  # FAST mode trains too little for these comparisons
    assert fd["average of G"] < 0.8 * fd["latest G"], "the average should draw clearly better digits"
    assert fd["article recipe"] > 3 * fd["average of G"], fd
    assert scores["average of G"]["class_entropy"] > 2.25, "all ten digits should appear"

# %% tags=["nbval-ignore-output"]
show_image_grids({f"latest G, {EPOCHS} epochs": latest_samples[:64], "average of G": ours_samples[:64],
                  "article recipe, same time": article_samples[:64]},
                 title="Our recipe's latest weights, their average, and the article recipe (same CPU time)")
plt.show()

# %% [markdown]
# The average removes the step-to-step wobble that shows up as speckles and broken strokes: the same
# run's digits, with the Fréchet distance lowered by the factor printed above, for the price of one
# more copy of G. The article recipe's digits are further behind, and part of that gap is there
# before any averaging (its distance against our *latest* weights, printed above): it comes from the
# rest of the recipe:
# * a wider, deeper generator with **batch norm** (each layer sees inputs of a stable scale, so a
#   higher-capacity G trains without collapsing) and a **normal** latent vector of 64 values
#   instead of a few uniform ones;
# * Adam with $\beta_1 = 0.5$ at learning rate $5\cdot10^{-4}$ and batch 64, chosen by short timed runs (the
#   [benchmarks](../benchmarks/README.md) page has them, and a longer comparison of the two recipes).
#
# Each of its steps costs more, and it still wins per second.
#
# ## 10. Exploring the latent space
# G maps every point of the 64-d normal distribution to an image. Pick two noise seeds and slide
# between them: the path is spherical (`slerp`), because a straight line between two normal
# vectors runs through the low-norm centre where G saw few inputs. One digit changes smoothly into
# another: G has learned a continuous map, not a lookup table. Continuity has a price: on the way
# from one digit to a different one, the path must cross images that are neither, and some of the
# frames in between are no digit at all.

# %% tags=["nbval-ignore-output"]
ours.G_ema.eval()


def noise_of_seed(seed: int) -> torch.Tensor:
    """One reproducible latent vector per integer seed (`helpers.sampling.latents`: its own CPU generator)."""
    return latents(1, LATENT_DIM, seed, device)


interpolation_explorer(ours.G_ema, noise_of_seed, title="Sliding through latent space")

# %% [markdown]
# The same idea as a static figure: eight interpolation paths between random pairs.

# %%
with torch.no_grad():
    rows = [torch.cat([slerp(noise_of_seed(2 * i), noise_of_seed(2 * i + 1), t)
                       for t in np.linspace(0, 1, 10)]) for i in range(8)]
    show_images(to_unit(ours.G_ema(torch.cat(rows))), nrow=10, size=6, title="Latent interpolations (left to right)")

# %% [markdown]
# ## Summary
# * A GAN turns a decoder into a generator by fixing the input distribution ($z \sim \mathcal{N}(0, I)$)
#   and letting a learned judge, the discriminator, provide the training signal.
# * The minimax objective has a vanishing gradient exactly when the generator is bad; the
#   non-saturating loss $-\log D(G(z))$ fixes that and is what everyone uses.
# * Training alternates one discriminator update (real → 1, fake → 0) and one generator update
#   (fake → 1 through D), about 15 lines of PyTorch (section 5). Loss curves tell you whether the game is balanced, not how
#   good the samples are: measure that with a score such as the Fréchet distance.
# * Architecture, optimizer settings and an average of the generator's weights matter as much as
#   training time: our recipe beats the article recipe's tiny networks at equal CPU time (section 9
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
#    `ours.G_ema`) and the latest `ours.G` too. When does the average start to pay off, and why
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
