# %% [markdown]
# # 01 · Autoencoder recap: why we need a generator
#
# This series builds up to a DCGAN that draws cat faces. Before any adversarial training we
# revisit a model you may already know, the **autoencoder**, and ask it to do something it was
# never trained for: *invent* new digits. Watching it fail, and understanding *why* it fails, is
# the best motivation for the two ideas a GAN adds.
#
# **What you will do**
# 1. Train a small autoencoder on MNIST: encoder, decoder, reconstruction loss, loss curve.
# 2. Train a second one with a 2-D latent space and look at where the digits' codes lie.
# 3. The decisive experiment: feed the decoder *random* latent vectors and let a digit
#    classifier judge what comes out.
# 4. Explore the latent plane and interpolations interactively.
#
# **Run time.** Committed outputs: full settings on a 2-core x86-64 CPU (no GPU), 2.4 minutes for
# the whole notebook, as its last code cell prints (GPU time not measured). FAST mode
# (`GAN_FAST=1`) trains on a 3,000-digit subset for a few epochs.

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
# The rest of the imports. `helpers.viz.show_images` draws image grids, and `helpers.scores.mnist`
# holds a small, pre-trained MNIST classifier that we will use as an impartial judge of
# "does this look like a digit?".

# %%
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers import TensorBatches, count_parameters, load_mnist, mnist_scores, show_images, to_signed, to_unit
from helpers.scores.mnist import features_and_probs

notebook_start = time.perf_counter()

# %% [markdown]
# ## Settings
#
# Every size that FAST mode shrinks goes through `fast_or_full(fast, full)`; the code path is the
# same in both modes.

# %% tags=["nbval-ignore-output"]
LATENT_DIM = 16                               # the "small latent vector" of the main autoencoder
BATCH_SIZE = 256
N_TRAIN = fast_or_full(3000, 60000)           # training digits
N_EVAL = fast_or_full(1000, 5000)             # test digits used for every score below
EPOCHS = fast_or_full(30, 12)                 # 16-D autoencoder (FAST: more passes over far fewer digits)
EPOCHS_2D = fast_or_full(30, 15)              # 2-D autoencoder
LEARNING_RATE = 1e-3
steps = [epochs * (N_TRAIN // BATCH_SIZE) for epochs in (EPOCHS, EPOCHS_2D)]  # full batches per epoch
print(f"{'FAST' if FAST else 'full'} settings: {N_TRAIN:,} training digits, {N_EVAL:,} evaluation digits, "
      f"{EPOCHS} + {EPOCHS_2D} epochs = {steps[0]:,} + {steps[1]:,} steps of batch {BATCH_SIZE}, device {device}")

# %% [markdown]
# ## The data
#
# `load_mnist` returns the whole dataset as one uint8 tensor of shape `(N, 1, 28, 28)`.
# `TensorBatches` keeps it on the device and serves shuffled mini-batches as floats in $[-1, 1]$,
# the range every model in this series works in (`to_unit` maps back to $[0, 1]$ for plots and
# scores).

# %%
train_images, train_labels = load_mnist(train=True)
test_images, test_labels = load_mnist(train=False)
train_images, train_labels = train_images[:N_TRAIN], train_labels[:N_TRAIN]
eval_images, eval_labels = test_images[:N_EVAL], test_labels[:N_EVAL]

batches = TensorBatches(train_images, BATCH_SIZE, device, seed=SEED)
eval_x = to_signed(eval_images.to(device))     # float in [-1, 1], on the device
first = next(iter(batches))
print("one image:", tuple(train_images.shape[1:]), train_images.dtype,
      f"values {int(train_images.min())}..{int(train_images.max())}")
print("one batch:", tuple(first.shape), first.dtype, f"values in [{first.min():.0f}, {first.max():.0f}]")

# %%
show_images(train_images[:64], nrow=16, size=8, title="Real MNIST digits (the first 64 training images)")
plt.show()

# %% [markdown]
# ## The autoencoder
#
# An autoencoder is two networks trained as one. The **encoder** $f_\phi$ squeezes an image
# $x \in \mathbb{R}^{784}$ into a short **latent code** $z = f_\phi(x) \in \mathbb{R}^{d}$ with
# $d \ll 784$; the **decoder** $g_\theta$ turns the code back into an image
# $\hat{x} = g_\theta(z)$. Both are trained together to make the reconstruction close to the input,
# here with the mean squared error over a batch of $N$ images:
#
# $$\mathcal{L}(\phi, \theta) = \frac{1}{N} \sum_{i=1}^{N} \frac{1}{784}
#   \left\lVert x_i - g_\theta\!\left(f_\phi(x_i)\right) \right\rVert^2 .$$
#
# Because the code is much smaller than the image, the networks cannot just copy pixels: they have
# to learn what digits have in common. We use plain fully connected layers; the decoder ends in
# `Tanh`, so its output lies in $[-1, 1]$ like the data (and like the GAN generators later on).
#
# Note what the loss does **not** mention: the codes $z$ themselves. Any arrangement of codes that
# reconstructs well is as good as any other. Keep that in mind.

# %%
def make_encoder(latent_dim: int, hidden: tuple[int, int] = (512, 256)) -> nn.Module:
    """Image (N, 1, 28, 28) in [-1, 1] -> code (N, latent_dim)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, hidden[0]), nn.ReLU(),
        nn.Linear(hidden[0], hidden[1]), nn.ReLU(),
        nn.Linear(hidden[1], latent_dim),          # no activation: codes may take any real value
    )


def make_decoder(latent_dim: int, hidden: tuple[int, int] = (512, 256)) -> nn.Module:
    """Code (N, latent_dim) -> image (N, 1, 28, 28) in [-1, 1]."""
    return nn.Sequential(
        nn.Linear(latent_dim, hidden[1]), nn.ReLU(),
        nn.Linear(hidden[1], hidden[0]), nn.ReLU(),
        nn.Linear(hidden[0], 28 * 28), nn.Tanh(),
        nn.Unflatten(1, (1, 28, 28)),
    )


# %% [markdown]
# A shape check on one batch: the encoder turns 256 images into 256 codes of 16 numbers, and the
# decoder turns them back into images of the input's shape.

# %%
helpers.seed_everything(SEED)
encoder, decoder = make_encoder(LATENT_DIM).to(device), make_decoder(LATENT_DIM).to(device)
with torch.no_grad():
    codes = encoder(first)
    print("encoder:", tuple(first.shape), "->", tuple(codes.shape))
    print("decoder:", tuple(codes.shape), "->", tuple(decoder(codes).shape))
print(f"parameters: encoder {count_parameters(encoder):,}, decoder {count_parameters(decoder):,}")

# %% [markdown]
# ## Training
#
# The training loop is short enough to read in full: encode, decode, compare, step. After each
# epoch we also measure the reconstruction error on held-out test digits, to check that the model
# did not just memorise the training set. (Only this notebook uses an autoencoder, so its loop lives
# here rather than in `helpers`.)
#
# First the test error: the mean squared error over held-out digits, in eval mode (no gradients).

# %%
@torch.no_grad()
def reconstruction_mse(encoder: nn.Module, decoder: nn.Module, x: torch.Tensor) -> float:
    """Mean squared error of reconstructing ``x`` (float in [-1, 1]), in eval mode."""
    encoder.eval()
    decoder.eval()
    return F.mse_loss(decoder(encoder(x)), x).item()


# %% [markdown]
# Then the loop itself, with a progress bar that shows the training and test error of each epoch.

# %%
def train_autoencoder(encoder: nn.Module, decoder: nn.Module, data: TensorBatches, epochs: int,
                      eval_x: torch.Tensor, lr: float = LEARNING_RATE, desc: str = "autoencoder"
                      ) -> tuple[list[float], list[float]]:
    """Adam on the reconstruction MSE; returns (loss per step, test MSE per epoch)."""
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=lr)
    step_losses, test_losses = [], []
    with tqdm(total=epochs * len(data), desc=desc) as bar:
        for epoch in range(epochs):
            encoder.train()
            decoder.train()
            for x in data:
                loss = F.mse_loss(decoder(encoder(x)), x)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step_losses.append(loss.item())
                bar.update()
            test_losses.append(reconstruction_mse(encoder, decoder, eval_x))
            bar.set_postfix(epoch=epoch + 1, train=f"{np.mean(step_losses[-len(data):]):.4f}",
                            test=f"{test_losses[-1]:.4f}")
    return step_losses, test_losses


# %% tags=["nbval-ignore-output"]
t0 = time.perf_counter()
step_losses, test_losses = train_autoencoder(encoder, decoder, batches, EPOCHS, eval_x,
                                             desc=f"{LATENT_DIM}-D autoencoder")
print(f"trained {EPOCHS} epochs ({len(step_losses)} steps) in {time.perf_counter() - t0:.0f} s; "
      f"test MSE {test_losses[-1]:.4f}")


# %% [markdown]
# The loss curve: the training loss per step (light), its moving average, and the test error after
# each epoch. Both keep falling together, so the model generalises to digits it has not seen.

# %%
def plot_losses(step_losses: list[float], test_losses: list[float], steps_per_epoch: int, title: str) -> None:
    """Training loss per step with a moving average, and the test MSE at each epoch end."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    steps = np.arange(1, len(step_losses) + 1)
    ax.plot(steps, step_losses, color="tab:blue", alpha=0.3, lw=0.8, label="training loss (per step)")
    window = min(50, len(step_losses))
    ax.plot(steps[window - 1:], np.convolve(step_losses, np.ones(window) / window, mode="valid"),
            color="tab:blue", label=f"training loss ({window}-step average)")
    ax.plot(np.arange(1, len(test_losses) + 1) * steps_per_epoch, test_losses, "o-", color="tab:orange",
            label="test MSE (end of epoch)")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("mean squared error (pixels in [-1, 1])")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    plt.show()


plot_losses(step_losses, test_losses, len(batches), f"Reconstruction loss of the {LATENT_DIM}-D autoencoder")

# %% [markdown]
# ## Reconstructions beside originals
#
# Test digits (top row of each pair) and what the decoder rebuilds from their 16 numbers (bottom
# row). The reconstructions are a little blurry, which is typical of a squared-error loss: when
# unsure, the average of several plausible strokes is the cheapest answer.

# %%
encoder.eval()
decoder.eval()
with torch.no_grad():
    eval_codes = encoder(eval_x)                    # (N_EVAL, LATENT_DIM)
    reconstructions = decoder(eval_codes)           # (N_EVAL, 1, 28, 28) in [-1, 1]

pairs = torch.stack([eval_x[:16], reconstructions[:16]]).flatten(0, 1)   # 16 originals, then 16 reconstructions
show_images(to_unit(pairs), nrow=16, size=9, title="Test digits (top) and their reconstructions from a 16-D code (bottom)")
plt.show()

# %% [markdown]
# How good is "good"? A fair yardstick is a model that ignores its input and always outputs the
# average training image: its error is the pixel variance of the data. The autoencoder should do far
# better than that, and we check it in code so this claim cannot silently stop being true.

# %% tags=["nbval-ignore-output"]
mean_image = to_signed(train_images.to(device)).mean(0, keepdim=True)
baseline_mse = F.mse_loss(mean_image.expand_as(eval_x), eval_x).item()
recon_mse = reconstruction_mse(encoder, decoder, eval_x)
print(f"test MSE: always-the-mean-image baseline {baseline_mse:.4f}, autoencoder {recon_mse:.4f} "
      f"({recon_mse / baseline_mse:.0%} of the baseline)")

# %% tags=["nbval-ignore-output"]
assert recon_mse < 0.5 * baseline_mse, "the autoencoder should reconstruct far better than the mean image"
if not FAST:
    assert recon_mse < 0.25 * baseline_mse, "with full settings the error should be under a quarter of the baseline"
else:
    print("FAST mode: the full-settings check (error < 25 % of the baseline) was skipped")
print("reconstruction checks passed")

# %% [markdown]
# ## Where do the codes live? A 2-D autoencoder
#
# We cannot look at 16-D space, so we train a second autoencoder, identical except that its code
# has just **two** numbers. It reconstructs worse (two numbers are very little), but we can plot
# every test digit's code as a point in the plane and colour it by the digit's true label, which
# the model never saw.

# %% tags=["nbval-ignore-output"]
helpers.seed_everything(SEED)
encoder_2d, decoder_2d = make_encoder(2).to(device), make_decoder(2).to(device)
t0 = time.perf_counter()
step_losses_2d, test_losses_2d = train_autoencoder(encoder_2d, decoder_2d, batches, EPOCHS_2D, eval_x,
                                                   desc="2-D autoencoder")
print(f"trained {EPOCHS_2D} epochs in {time.perf_counter() - t0:.0f} s; test MSE {test_losses_2d[-1]:.4f} "
      f"(16-D: {test_losses[-1]:.4f})")
with torch.no_grad():
    codes_2d = encoder_2d(eval_x).cpu()                # (N_EVAL, 2)

# %%
plot_losses(step_losses_2d, test_losses_2d, len(batches), "Reconstruction loss of the 2-D autoencoder")

# %% [markdown]
# The scatter plot below is the map of the 2-D latent space. The dashed circles of radius 1 and 2
# mark where a standard normal $\mathcal{N}(0, I)$ puts most of its samples: that is where we would
# look if we "just sampled a random code". In 2-D the share inside radius $r$ is $1 - e^{-r^2/2}$:

# %%
for radius in (1, 2):
    print(f"N(0, I) in 2-D puts {1 - np.exp(-radius**2 / 2):.0%} of its samples within radius {radius}")


# %%
def plot_codes(codes: torch.Tensor, labels: torch.Tensor, ax: plt.Axes, title: str) -> None:
    """Scatter 2-D codes coloured by digit class, with the 1- and 2-sigma circles of N(0, I)."""
    scatter = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=4, alpha=0.7, vmin=-0.5, vmax=9.5)
    for radius in (1, 2):
        ax.add_patch(plt.Circle((0, 0), radius, fill=False, ls="--", color="black", lw=1))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    ax.set_aspect("equal")
    plt.colorbar(scatter, ax=ax, ticks=range(10), label="true digit")


fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
plot_codes(codes_2d, eval_labels, ax, f"Codes of {N_EVAL:,} test digits (2-D autoencoder)\n"
           "dashed: radius 1 and 2 of N(0, I)")
plt.show()

# %% [markdown]
# Three things stand out:
# * digits of the same class cluster together, although no label was used in training;
# * the clusters have odd, stretched shapes with gaps between them;
# * the scale and position of the cloud are arbitrary: nothing in the loss asked for zero mean, unit
#   spread, or any particular shape.
#
# Decoding a regular grid over the plane shows what the decoder does *everywhere*, including in the
# gaps. (The interactive explorer near the end lets you drag a point through this plane.)

# %%
lo_2d, hi_2d = codes_2d.quantile(0.01, dim=0), codes_2d.quantile(0.99, dim=0)
GRID = 15
z1 = torch.linspace(float(lo_2d[0]), float(hi_2d[0]), GRID)
z2 = torch.linspace(float(hi_2d[1]), float(lo_2d[1]), GRID)        # top row = largest z2, as in the scatter
grid_codes = torch.stack(torch.meshgrid(z2, z1, indexing="ij")[::-1], dim=-1).reshape(-1, 2)
with torch.no_grad():
    decoder_2d.eval()
    grid_images = decoder_2d(grid_codes.to(device))
print("grid of codes:", tuple(grid_codes.shape), "-> decoded images:", tuple(grid_images.shape))
show_images(to_unit(grid_images), nrow=GRID, size=8,
            title="Decoder of the 2-D autoencoder on a 15 x 15 grid over the codes' range\n"
                  "(z1 grows to the right, z2 grows upwards)")
plt.show()

# %% [markdown]
# ## The decisive experiment: decode random vectors
#
# A *generative* model must turn randomness into new samples. The autoencoder has a decoder
# $g_\theta: \mathbb{R}^{16} \to$ images, so the obvious recipe is: draw a random $z$ and decode it.
# But which random $z$? We try three sources, each with as many samples as we have test digits:
#
# 1. **$\mathcal{N}(0, I)$**, the standard normal: the distribution a GAN will use.
# 2. **A box around the codes**: uniform in the smallest axis-aligned box holding all test codes,
#    so every coordinate lies in a range the decoder has seen.
# 3. **A Gaussian fitted to the codes**: the codes' own per-coordinate mean and standard deviation.
#    This is the best we can do without knowing how the coordinates depend on each other.
#
# As the yardstick, the **reconstructions** of the test digits: images the decoder makes from codes
# it was trained to handle.

# %%
generator = torch.Generator().manual_seed(SEED)      # CPU generator: the same vectors on every device
codes_cpu = eval_codes.cpu()
code_lo, code_hi = codes_cpu.min(0).values, codes_cpu.max(0).values
code_mean, code_std = codes_cpu.mean(0), codes_cpu.std(0)
latent_sources = {
    "N(0, I)": torch.randn(N_EVAL, LATENT_DIM, generator=generator),
    "box around codes": code_lo + (code_hi - code_lo) * torch.rand(N_EVAL, LATENT_DIM, generator=generator),
    "Gaussian fit to codes": code_mean + code_std * torch.randn(N_EVAL, LATENT_DIM, generator=generator),
}
with torch.no_grad():
    decoded = {"reconstructions": reconstructions}
    decoded |= {name: decoder(z.to(device)) for name, z in latent_sources.items()}
for name, images in decoded.items():
    print(f"{name:22s} one image per test digit, each {tuple(images.shape[1:])}")

# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 4.6))
for ax, (name, images) in zip(axes, decoded.items()):
    show_images(to_unit(images[:36]), nrow=6, ax=ax, title=name)
fig.suptitle(f"What the {LATENT_DIM}-D decoder makes from different codes (first 36 of each)")
fig.tight_layout()
plt.show()

# %% [markdown]
# By eye, the random decodes are mostly smudges, blends of two digits, or strokes that belong to no
# digit. To make that objective we let a judge decide: the MNIST classifier from `helpers.scores.mnist`,
# trained on real digits and shipped with the series. How often is it right on the test digits?

# %% tags=["nbval-ignore-output"]
_, test_probs = features_and_probs(test_images)  # uint8 pixels are accepted as they are
accuracy = (test_probs.argmax(1) == test_labels).float().mean().item()
print(f"classifier accuracy on {len(test_images):,} test digits: {accuracy:.1%}")

# %% [markdown]
# For each set of images we report
#
# * **confident share**: the fraction of images that the classifier assigns to one class with
#   probability $p > 0.9$ — a recognisable digit gets a confident label;
# * **mean confidence**: the average of the top class probability;
# * **Fréchet distance** (FD) between the classifier's features of the set and of the MNIST test set,
#   the MNIST analogue of FID: lower means the set looks more like real digits overall.
#
# The real test digits themselves are scored too, as the ceiling.

# %% tags=["nbval-ignore-output"]
scored = {"real test digits": to_unit(eval_x)} | {name: to_unit(images) for name, images in decoded.items()}
verdicts = {}
for name, images in scored.items():
    _, probs = features_and_probs(images)
    confidence = probs.max(1).values
    scores = mnist_scores(images)
    verdicts[name] = {"confident share": (confidence > 0.9).float().mean().item(),
                      "mean confidence": scores["mean_confidence"], "FD": scores["frechet_distance"],
                      "confidence": confidence}
print(f"{'images':22s} {'confident share':>16s} {'mean confidence':>16s} {'FD':>8s}")
for name, v in verdicts.items():
    print(f"{name:22s} {v['confident share']:16.1%} {v['mean confidence']:16.3f} {v['FD']:8.1f}")

# %%
fig, ax = plt.subplots(figsize=(8, 3.8))
bins = np.linspace(0.1, 1.0, 37)
for name, v in verdicts.items():
    ax.hist(v["confidence"].numpy(), bins=bins, histtype="step", lw=1.8, density=True, label=name)
ax.axvline(0.9, color="black", ls="--", lw=1)
ax.set_xlabel("classifier's top class probability")
ax.set_ylabel("density")
ax.set_title("How sure is a digit classifier about each set of images? (dashed: p = 0.9)")
ax.legend(loc="upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# The lesson, checked in code: random codes give far fewer recognisable digits than the
# reconstructions, and their feature statistics are far from real digits. The strict margins need
# the full training run; the looser ones also hold for the short FAST run.

# %% tags=["nbval-ignore-output"]
rec = verdicts["reconstructions"]
for name in latent_sources:
    v = verdicts[name]
    assert v["confident share"] < rec["confident share"], f"{name}: as many confident digits as reconstructions?"
    assert v["FD"] > 1.5 * rec["FD"], f"{name}: decoded noise should be further from real digits"
if not FAST:
    assert verdicts["N(0, I)"]["confident share"] < 0.75 * rec["confident share"]
    for name in latent_sources:
        assert verdicts[name]["confident share"] < 0.6 * rec["confident share"], f"{name}: too many confident digits"
        assert verdicts[name]["FD"] > 2 * rec["FD"], f"{name}: decoded noise should be much further from real digits"
    assert verdicts["N(0, I)"]["confident share"] < 0.4 * rec["confident share"]
else:
    print("FAST mode: the strict full-settings margins were skipped")
print("decoded-noise checks passed: random codes give far fewer recognisable digits than reconstructions")

# %% [markdown]
# ### Why the random codes miss
#
# The loss only asked that *the codes of real images* decode well. Where those codes end up is an
# accident of initialisation and training. Compare their typical size with that of $\mathcal{N}(0, I)$
# samples, whose length concentrates near $\sqrt{d} = 4$:

# %% tags=["nbval-ignore-output"]
print(f"length |z| of the test codes: mean {codes_cpu.norm(dim=1).mean():.1f}, "
      f"of N(0, I) samples: mean {latent_sources['N(0, I)'].norm(dim=1).mean():.1f}")
print("per-coordinate mean of the codes:", np.round(code_mean.numpy(), 1))
print("per-coordinate std  of the codes:", np.round(code_std.numpy(), 1))

# %% [markdown]
# So $\mathcal{N}(0, I)$ samples sit in a region the decoder never saw. Matching the range (the box)
# or even the mean and spread of every coordinate (the Gaussian fit) helps only partly: the codes
# fill a thin, curved, clustered region of the 16-D space, and almost all of the box's volume —
# and much of the fitted Gaussian's — lies *between* those clusters, where the decoder's output is
# unconstrained. In 2-D the plane is small and the clusters cover much of it (see the grid above);
# in higher dimensions the empty space grows exponentially.
#
# ## What a GAN changes
#
# The autoencoder failed as a generator for one reason: **nothing told the model which latent
# distribution to expect**, and nothing checked the images it makes from codes it never saw. A GAN
# fixes both:
#
# * **A fixed noise distribution.** We choose $p(z)$ up front, e.g. $z \sim \mathcal{N}(0, I)$, and
#   the generator $G$ is trained on samples of exactly that distribution. Every $z$ we later draw is
#   one the generator was trained on, so sampling is trivial.
# * **A learned judge.** There is no encoder and no target image for a given $z$, so a pixel loss is
#   impossible. Instead a second network, the **discriminator** $D$, learns to tell real images from
#   $G(z)$, and $G$ is trained to fool it. The "is this a digit?" test that we applied *after* training
#   here becomes the training signal itself.
#
# The next notebook, [02 · A vanilla GAN on MNIST](02_vanilla_gan_mnist.ipynb), builds exactly that.
#
# **Other ways to fix the autoencoder.** GANs are not the only answer. A **variational autoencoder
# (VAE)** keeps encoder and decoder but makes the encoder output a distribution and adds a
# Kullback-Leibler penalty that pulls the codes towards $\mathcal{N}(0, I)$, so decoding prior samples
# works (at the price of blurrier images). **Autoregressive models** (PixelCNN, and the language
# models behind today's chatbots) drop the latent code and generate one pixel or token at a time,
# each conditioned on the previous ones, with an exact likelihood. **Normalizing flows** use an
# invertible network, so the latent space has the same size as the image and the change-of-variables
# formula gives the exact density of $\mathcal{N}(0, I)$ pushed through it. Diffusion models, the
# current state of the art for images, learn to undo gradual noising step by step.
#
# ## Explore the latent space yourself
#
# First a static view for readers of the rendered notebook: the straight line between the codes of two
# real test digits, decoded at eight points, next to a plain pixel cross-fade. Interpolating codes
# morphs one digit into another through shapes the decoder knows, but the midpoints can still fall
# into a gap and look like neither digit.

# %%
@torch.no_grad()
def interpolate_codes(decoder: nn.Module, z_a: torch.Tensor, z_b: torch.Tensor, steps: int = 8) -> torch.Tensor:
    """Decode ``steps`` points on the straight line from code ``z_a`` to code ``z_b`` (each (1, d))."""
    decoder.eval()
    t = torch.linspace(0, 1, steps, device=z_a.device).view(-1, 1)
    return decoder((1 - t) * z_a + t * z_b)


def interpolation_rows(index_a: int, index_b: int, steps: int = 8) -> torch.Tensor:
    """Latent interpolation (16-D model) above a pixel cross-fade, between two test digits."""
    latent_row = interpolate_codes(decoder, eval_codes[index_a:index_a + 1], eval_codes[index_b:index_b + 1], steps)
    t = torch.linspace(0, 1, steps, device=eval_x.device).view(-1, 1, 1, 1)
    pixel_row = (1 - t) * eval_x[index_a] + t * eval_x[index_b]
    return torch.cat([latent_row, pixel_row])


# %% [markdown]
# Test digits 3 and 4 are a 0 and a 4:

# %%
index_a, index_b = 3, 4        # a 0 and a 4 from the test set
print("labels:", int(eval_labels[index_a]), "->", int(eval_labels[index_b]))
show_images(to_unit(interpolation_rows(index_a, index_b)), nrow=8, size=8,
            title="From one test digit to another: decoded code interpolation (top), pixel cross-fade (bottom)")
plt.show()

# %% [markdown]
# Now the interactive part (it needs a running kernel). **Left:** drag the two sliders to move a
# point (red cross) through the latent plane of the 2-D autoencoder and see what the decoder makes
# there; try the gaps between the coloured clusters and the area outside them. **Right:** pick two
# test digits by index and slide between their 16-D codes.

# %% tags=["nbval-ignore-output"]
def show_plane_point(z1: float, z2: float) -> None:
    """The 2-D code map with a marker at (z1, z2), and the decoded image of that point."""
    with torch.no_grad():
        decoder_2d.eval()
        image = decoder_2d(torch.tensor([[z1, z2]], dtype=torch.float32, device=device))
    fig, (ax_map, ax_img) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.4, 1]})
    ax_map.scatter(codes_2d[:, 0], codes_2d[:, 1], c=eval_labels, cmap="tab10", s=3, alpha=0.5, vmin=-0.5, vmax=9.5)
    ax_map.plot([z1], [z2], "rx", ms=14, mew=3)
    ax_map.set_xlabel("$z_1$")
    ax_map.set_ylabel("$z_2$")
    ax_map.set_title("2-D latent plane (colours: true digit)")
    show_images(to_unit(image), nrow=1, ax=ax_img, title=f"decoded at ({z1:.1f}, {z2:.1f})")
    fig.tight_layout()
    plt.show()


# %% [markdown]
# The sliders span the codes' range plus a margin of 15 % on each side, so you can also leave the cloud.

# %% tags=["nbval-ignore-output"]
span = (codes_2d.max(0).values - codes_2d.min(0).values) * 0.15
plane_explorer = widgets.interactive(
    show_plane_point,
    z1=widgets.FloatSlider(value=0.0, min=float(codes_2d[:, 0].min() - span[0]),
                           max=float(codes_2d[:, 0].max() + span[0]), step=0.1, description="z1"),
    z2=widgets.FloatSlider(value=0.0, min=float(codes_2d[:, 1].min() - span[1]),
                           max=float(codes_2d[:, 1].max() + span[1]), step=0.1, description="z2"),
)
plane_explorer

# %% tags=["nbval-ignore-output"]
def show_interpolation(index_a: int, index_b: int, t: float) -> None:
    """Decode the point t of the way from test digit a's 16-D code to test digit b's."""
    z = (1 - t) * eval_codes[index_a:index_a + 1] + t * eval_codes[index_b:index_b + 1]
    with torch.no_grad():
        decoder.eval()
        image = decoder(z)
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.3), gridspec_kw={"width_ratios": [1, 1, 1, 4]})
    show_images(to_unit(eval_x[index_a:index_a + 1]), nrow=1, ax=axes[0], title=f"digit a (label {int(eval_labels[index_a])})")
    show_images(to_unit(image), nrow=1, ax=axes[1], title=f"decoded at t = {t:.2f}")
    show_images(to_unit(eval_x[index_b:index_b + 1]), nrow=1, ax=axes[2], title=f"digit b (label {int(eval_labels[index_b])})")
    show_images(to_unit(interpolate_codes(decoder, eval_codes[index_a:index_a + 1], eval_codes[index_b:index_b + 1])),
                nrow=8, ax=axes[3], title="the whole path, t = 0 ... 1")
    fig.tight_layout()
    plt.show()


# %% tags=["nbval-ignore-output"]
interpolation_explorer = widgets.interactive(
    show_interpolation,
    index_a=widgets.IntSlider(value=index_a, min=0, max=N_EVAL - 1, description="digit a"),
    index_b=widgets.IntSlider(value=index_b, min=0, max=N_EVAL - 1, description="digit b"),
    t=widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="a -> b"),
)
interpolation_explorer

# %% [markdown]
# ## Summary
#
# * An **autoencoder** compresses an image into a short code and rebuilds it; trained on the
#   reconstruction error alone, it reconstructs test digits well (error far below the mean-image
#   baseline).
# * Its codes cluster by digit class, but their location, scale and shape are arbitrary, with gaps
#   between the clusters: the loss never said anything about the code distribution.
# * Decoding **random codes** — from $\mathcal{N}(0, I)$, from a box around the codes, even from a
#   Gaussian fitted to them — mostly gives images a digit classifier does not recognise, and whose
#   features are far from real digits. An autoencoder is not a generator.
# * A **GAN** fixes the latent distribution in advance and replaces the pixel loss by a learned judge,
#   the discriminator. VAEs, autoregressive models, normalizing flows and diffusion models are other
#   ways to make sampling work.


# %% [markdown]
# ## Exercises
#
# Each runs with what a pip install of the series provides (Colab included). A worked solution of
# exercise 5 is in [`solutions/01_autoencoder_recap.py`](../solutions/01_autoencoder_recap.py).
#
# 1. **Latent size.** Retrain the main autoencoder with `LATENT_DIM = 4` and `64`. How do the
#    reconstruction error and the confident share of decoded $\mathcal{N}(0, I)$ samples change? Why do
#    more latent dimensions make reconstruction easier but random sampling harder?
# 2. **The 2-D model as a generator.** Run the decoded-noise experiment with `encoder_2d`/`decoder_2d`.
#    The gap to the reconstructions is much smaller. Use the grid figure to explain why, and say why
#    that does not rescue the autoencoder as a generator.
# 3. **A better fit.** Replace the per-coordinate Gaussian by one with the full covariance of the codes
#    (`torch.distributions.MultivariateNormal` with `torch.cov(codes_cpu.T)`). Does the confident share
#    rise? What would you need to fit to do even better — and is that not a generative model in itself?
# 4. **Towards a VAE.** Add a penalty $\lambda \lVert z \rVert^2$ on the codes to the loss and retrain.
#    Do $\mathcal{N}(0, I)$ decodes improve? What goes wrong when $\lambda$ is too large?
# 5. **Judge the judge.** Feed the classifier uniform noise images (`torch.rand(1000, 1, 28, 28)`).
#    How confident is it? Why do we report the Fréchet distance next to the confidence?

# %% [markdown]
# Total run time of this notebook (it depends on the machine and the mode):

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {(time.perf_counter() - notebook_start) / 60:.1f} min ({'FAST' if FAST else 'full'} settings, "
      f"{helpers.infra.env.device_name(device)})")
