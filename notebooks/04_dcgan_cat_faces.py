# %% [markdown]
# # 04 · A DCGAN that draws cat faces
#
# Notebook 03 ended with a small DCGAN on 28×28 digits. Here the same family of networks grows up:
# colour images of 64×64 pixels, 15,747 photos of cat faces, and a training run long enough that
# you can watch blobs turn into cats. The networks are the classic DCGAN (Radford et al., 2016), as the
# source article of this series uses them: transposed convolutions in the generator, strided
# convolutions in the discriminator, batch norm, no pooling, no fully connected layers. The series'
# recipe trains them at half the article's width, with a smaller batch and a weight average (section 4
# says why, and what each change buys); the article's recipe stays beside it for comparison.
#
# **What you will do**
# 1. Load the Kaggle *Cats faces 64×64* dataset (or let the notebook find/download it) and
#    normalise it to $[-1, 1]$.
# 2. Build the generator and discriminator, check every layer's output shape, and apply the DCGAN
#    weight initialisation.
# 3. Train with `helpers.fit`: progress bar, a checkpoint after every epoch (so a Colab or Kaggle
#    disconnect costs at most one epoch), a fixed-noise sample grid and a quality score per epoch,
#    each score beside the score of real faces and of damaged ones.
# 4. Read the loss and $D$-output curves, compare real and generated faces, walk between two cats
#    in latent space, watch the whole run as an animation, and compare it with the same recipe
#    trained twice as long (a generator that ships with the series).
#
# **Run time.** On a GPU the full settings train 60 epochs, the source article's count. On a CPU
# they train for a 20-minute budget, as many epochs as fit (109.1 seconds each in the committed run on
# two cores, the score after each epoch included), and stop there. Readers who cannot wait may set
# `USE_PRETRAINED = True` (section 1): the notebook then skips training and uses the generator that
# ships with the series. FAST mode (`GAN_FAST=1`) trains one epoch on a small subset, with generated
# stand-in faces when the real ones are absent.
#
# **Committed outputs:** full settings on a 2-core x86-64 CPU (AMD EPYC without AVX-512, so float32;
# no GPU, torch 2.13), nothing else running, trained in this execution: 21.6 minutes for the whole
# notebook (the last cell prints it), 20 of them training (11 epochs and part of the 12th, 5,799 steps).

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
import json
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from IPython.display import HTML, display
from matplotlib_inline.backend_inline import set_matplotlib_formats

from helpers import (
    SampleRecorder,
    animate,
    build,
    count_parameters,
    dcgan_init,
    get_recipe,
    interpolation_explorer,
    plot_history,
    show_image_grids,
    show_images,
    slerp,
    to_signed,
    to_unit,
)
from helpers.sampling import latents

set_matplotlib_formats("jpeg", pil_kwargs={"quality": 90})  # figures of photos: JPEG keeps the notebook small
notebook_start = time.perf_counter()

# %% [markdown]
# ## 1. Settings
#
# Every size FAST mode shrinks goes through `fast_or_full(fast, full)`; the code path is the same in
# both modes. The run folder holds the checkpoint that makes training resumable. FAST mode uses a
# fresh temporary folder, so that a short trial run never resumes an old one.
#
# **On Colab**, the virtual machine's disk disappears with the session. To keep checkpoints across
# a disconnect, set `KEEP_ON_DRIVE = True`: the run folder then lives on your Google Drive (Colab
# asks once for permission). On Kaggle, `/kaggle/working` survives as long as the session; *Save
# Version* keeps it for good.

# %% tags=["nbval-ignore-output"]
RECIPE = get_recipe("dcgan-cats")            # the series' recipe, shared with `python -m helpers train dcgan-cats`
ARTICLE = get_recipe("article-dcgan-cats")   # the source article's, for comparison (section 4)
N_IMAGES = fast_or_full(256, None)           # None = all 15,747 faces
EPOCHS = fast_or_full(1, 60)
# On a CPU an epoch takes one to two minutes: stop after 20 minutes there, whatever epoch it is.
MAX_SECONDS = fast_or_full(None, None if device.type == "cuda" else 1200)
USE_PRETRAINED = False                       # True: skip training, use the generator that ships (section 5)
KEEP_ON_DRIVE = False                        # Colab only: keep the run folder on Google Drive

RUN_DIR = Path(fast_or_full(tempfile.mkdtemp(prefix="gan04_"), "runs/04_dcgan_cats"))
if KEEP_ON_DRIVE and helpers.infra.env.detect_platform() == "colab":
    from google.colab import drive

    drive.mount("/content/drive")
    RUN_DIR = Path("/content/drive/MyDrive/gan-series/04_dcgan_cats")
CHECKPOINT = RUN_DIR / "checkpoint.pt"
print(f"{'FAST' if FAST else 'full'} settings: {N_IMAGES or 'all'} images, {EPOCHS} epochs"
      f"{f' or {MAX_SECONDS} s' if MAX_SECONDS else ''}, batch {RECIPE.batch_size}, device {device}, "
      f"run folder {RUN_DIR}")

# %% [markdown]
# ## 2. The data
#
# The dataset is Kaggle's [*Cats faces 64x64 (for generative
# models)*](https://www.kaggle.com/datasets/spandan2/cats-faces-64x64-for-generative-models):
# 15,747 JPEG files, each a 64×64 crop around one cat's face. `helpers.load_cat_faces()` looks for
# it in this order and uses the first place that has it:
#
# 1. **`GAN_DATA_DIR`**, if that environment variable is set: a folder holding Kaggle's layout
#    `cats-faces-64x64-for-generative-models/cats/*.jpg` (or just `cats/*.jpg`);
# 2. **Kaggle's mount** `/kaggle/input/...` (on Kaggle: *Add Input* → search "cats faces 64x64");
# 3. a **kagglehub download** (`pip install kagglehub`; needs a Kaggle account's API token the first
#    time, then it is cached);
# 4. in FAST mode only, **generated stand-in faces** (`helpers.data.standin_cat_faces`), so that a
#    short trial run works offline.
#
# Already have the folder on your own disk? Pass it directly: `helpers.load_cat_faces(root="path/to/cats")`.
#
# Whatever the source, the JPEGs are decoded **once** into one `uint8` tensor of shape
# $(N, 3, 64, 64)$ and cached as a `.npy` file, so the next run starts in a second. Training
# then never touches a JPEG again: the whole tensor sits on the GPU and batches are slices of it.

# %%
# Colab only: the cat faces come from Kaggle, which wants to know who downloads them. Save your Kaggle
# API token (kaggle.com > Settings > API > Create New Token) as the Colab secret KAGGLE_API_TOKEN (or
# KAGGLE_USERNAME and KAGGLE_KEY) with the key icon on the left, or type it when asked: it is never
# printed nor saved in the notebook. Elsewhere (and in FAST mode) this cell does nothing.
if helpers.infra.env.detect_platform() == "colab" and not FAST:
    print(helpers.data.kaggle_login())

# %% tags=["nbval-ignore-output"]
t0 = time.perf_counter()
images = helpers.load_cat_faces()[:N_IMAGES]
source = helpers.data.find_data_locations()["cat faces"]
REAL_CATS = not source.startswith("not found")
print(f"{len(images):,} images ({images.nbytes / 1e6:.0f} MB as uint8) from "
      f"{source if REAL_CATS else 'the generated stand-in'} in {time.perf_counter() - t0:.1f} s")

# %%
print("one image:", tuple(images.shape[1:]), images.dtype)
assert images.shape[1:] == (3, 64, 64) and images.dtype == torch.uint8

# %% tags=["nbval-ignore-output"]
show_images(images[:64], nrow=8, size=6, title="Real training images (the first 64)")
plt.show()

# %% [markdown]
# **Normalisation.** The generator ends in $\tanh$, so its pixels lie in $[-1, 1]$; the real
# images must live in the same range, or the discriminator could tell them apart by brightness
# alone. Each 8-bit value $v \in \{0, \dots, 255\}$ becomes
#
# $$x = \frac{v}{127.5} - 1 \in [-1, 1],$$
#
# the same as torchvision's `ToTensor()` followed by `Normalize(mean=0.5, std=0.5)` in the source article.
# `TensorBatches` does this on the device, batch by batch; `to_unit` maps back to $[0, 1]$ for
# plotting.

# %%
x = to_signed(torch.tensor([[0, 127, 128, 255]], dtype=torch.uint8))
print("uint8 0, 127, 128, 255 ->", [round(v, 4) for v in x[0].tolist()])
assert x.min() == -1 and x.max() == 1

# %% [markdown]
# ## 3. The two networks
#
# Both come from the `helpers` DCGAN family (defined in notebook 03), sized for 64×64 colour images.
# One number sets their size, the **width** $w$: the channels of the generator's last hidden layer and
# of the discriminator's first. The source article uses $w = 64$; the series' recipe $w = 32$ (why:
# section 4).
#
# **Generator.** A latent vector $z \in \mathbb{R}^{128}$, $z \sim \mathcal{N}(0, I)$, is read as a
# $128 \times 1 \times 1$ feature map. A first transposed convolution (kernel 4, stride 1, no
# padding) grows it to $8w \times 4 \times 4$; four more (kernel 4, stride 2, padding 1) each
# double the size and halve the channels: $4 \to 8 \to 16 \to 32 \to 64$ pixels, $8w \to 4w \to
# 2w \to w \to 3$ channels (for $w = 32$: $256 \to 128 \to 64 \to 32 \to 3$). Batch norm and ReLU
# after each, except the last, which has $\tanh$.
#
# **Discriminator.** The mirror image: strided convolutions halve the size and double the channels,
# $3 \to w \to 2w \to 4w \to 8w$, with LeakyReLU and batch norm (not on the first layer,
# which sees raw pixels), then a $4 \times 4$ convolution down to a single number. It returns a
# **logit**; $\sigma(\text{logit})$ is the probability "real". The loss applies the sigmoid itself
# (`binary_cross_entropy_with_logits`), which is numerically safer than the source article's
# `Sigmoid` + `BCELoss` and safe under mixed precision.
#
# No convolution has a bias: the batch norm right after it subtracts the mean anyway.

# %%
G, D = RECIPE.networks()  # DCGANGenerator and DCGANDiscriminator, sized by the recipe; PyTorch's default init
print(G)
print(f"generator: {count_parameters(G):,} parameters, discriminator: {count_parameters(D):,}")

# %% [markdown]
# Shape check: push a batch of 4 latent vectors through the generator layer by layer, then a batch
# of 4 images through the discriminator.

# %%
x = torch.randn(4, RECIPE.latent_dim).view(4, -1, 1, 1)
for layer in G.net:
    x = layer(x)
    if isinstance(layer, torch.nn.ConvTranspose2d):
        print(f"{type(layer).__name__:16} -> {tuple(x.shape)}")
assert x.shape == (4, 3, 64, 64) and x.abs().max() <= 1

# %%
x = torch.randn(4, 3, 64, 64)
for layer in D.net:
    x = layer(x)
    if isinstance(layer, torch.nn.Conv2d):
        print(f"{type(layer).__name__:7} -> {tuple(x.shape)}")
print("D(images).shape:", tuple(D(torch.randn(4, 3, 64, 64)).shape), "(one logit per image)")

# %% [markdown]
# **Weight initialisation.** The source article keeps PyTorch's defaults, which scale each layer's
# random weights with its fan-in (Kaiming uniform), so every layer starts at its own scale. The
# DCGAN paper instead draws every convolution weight from $\mathcal{N}(0, 0.02^2)$ and every
# batch-norm scale from $\mathcal{N}(1, 0.02^2)$ (`helpers.dcgan_init`); its learning rate and
# $\beta_1$ were tuned with that start. The cell below shows what it changes: the wide middle layers
# start *larger* than the defaults (batch norm renormalises their outputs anyway), while the layers
# with no batch norm after them start *smaller*: the generator's last layer about 4× smaller, so the
# first images are low-contrast grey rather than saturated noise, and likewise the discriminator's
# first layer, which looks at the raw pixels.

# %%
torch.manual_seed(SEED)
default_std = [round(m.weight.std().item(), 4) for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
G.apply(dcgan_init)
D.apply(dcgan_init)
dcgan_std = [round(m.weight.std().item(), 3) for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
print("generator weight std, PyTorch default:", default_std)
print("generator weight std, DCGAN init     :", dcgan_std)
assert all(abs(s - 0.02) < 0.002 for s in dcgan_std)
assert default_std[-1] > 3 * dcgan_std[-1] and default_std[1] < dcgan_std[1]  # the claims of the text above

# %% [markdown]
# ## 4. Loss, optimisers, and what the series changed
#
# The losses are the ones of notebook 02: the discriminator minimises the binary cross-entropy of
# "real = 1, fake = 0",
#
# $$\mathcal{L}_D = -\,\mathbb{E}_{x}\big[\log D(x)\big] - \mathbb{E}_{z}\big[\log(1 - D(G(z)))\big],$$
#
# and the generator the non-saturating $\mathcal{L}_G = -\,\mathbb{E}_{z}[\log D(G(z))]$. Both use
# Adam with $\beta_1 = 0.5$ (the default $0.9$ keeps too much momentum for a game whose target keeps
# moving).
#
# **The article's recipe** (`article-dcgan-cats`) is the DCGAN paper's: width 64, batch 128, learning
# rate $2 \times 10^{-4}$ for both networks. It was tuned for a GPU and tens of epochs. Given minutes
# instead, the series' recipe (`dcgan-cats`) changes three things, each chosen by measurement (a search
# over training steps, then converted into CPU time: [benchmarks](../benchmarks/README.md), "The series'
# cat recipe"):
#
# 1. **Half the width** ($w = 32$): about a quarter of the multiply-adds per image, so several times
#    more steps in the same time; a 64×64 face does not need 512 channels to get started.
# 2. **Batch 32**: four times the updates per epoch, each about half the cost of a batch of 64. On a
#    budget, the number of updates matters more than the precision of each gradient.
# 3. **A weight average** of the generator (decay 0.999, notebook 02), sampled from, with its
#    batch-norm statistics re-estimated: the latest weights keep circling around a good solution,
#    their average sits nearer its middle.
#
# It keeps the article's learning rates. Faster ones (up to $10^{-3}$ for $G$, the discriminator at half
# of that) draw faces sooner, in the first two thousand steps, but by the end of a CPU's 20 minutes the
# article's rates at batch 32 were the steadier choice: each of three seeds ended with a Fréchet distance
# below 1, where runs with faster rates sometimes strayed into a bad stretch for several epochs.
#
# The cell prints both recipes, everything they set, and what the article's recipe reached in the same
# 20 minutes of training on this notebook's kind of CPU (2 cores, alone; measured in `benchmarks/README.md`).

# %%
print(RECIPE.summary())
print(ARTICLE.summary())
# `python -m helpers train article-dcgan-cats --max-seconds 1200`, `sample --n 2000`, `score` (benchmarks/README.md)
ARTICLE_AT_20_MINUTES = {"frechet_distance": 32.95, "kid_x1000": 3022, "n": 2000, "trained": "4 epochs and 1 step"}
print("article-dcgan-cats after 20 minutes on the 2-core CPU:", ARTICLE_AT_20_MINUTES)

# %% [markdown]
# `build` makes the recipe's networks afresh (seeded, with the DCGAN initialisation of section 3, on
# the device), and those are the ones we train from here on; the pair of section 3 was for looking
# inside. It also sets up the fast path: the image tensor lives on the device and is batched by
# permutation, and the number format is the one measured fastest for the device
# (`helpers.infra.env.choose_precision`: float32 on recent GPUs, float16 with a gradient scaler on older ones,
# bfloat16 and the channels_last layout on CPUs with bfloat16 instructions; notebook 03 explains
# them, the [benchmarks](../benchmarks/README.md) page measures them).

# %% tags=["nbval-ignore-output"]
setup = build(RECIPE, device, seed=SEED, images=images)
G, D = setup.G, setup.D
print(f"{len(setup.data)} batches of {setup.data.batch_size} per epoch; precision: {setup.precision}, "
      f"channels_last: {setup.data.images.is_contiguous(memory_format=torch.channels_last)}")

# %% [markdown]
# ## 5. Training
#
# `setup.fit(...)` calls `helpers.fit` with the recipe's models, optimisers, data and precision
# (notebook 02). It alternates one discriminator step and one generator step per batch, shows a
# progress bar, keeps a per-step history, and after every epoch (a) calls the `SampleRecorder`, which
# draws the same 64 fixed latent vectors through the generator, and (b) writes a checkpoint with
# both networks, both optimisers, the history and every random state.
#
# **A score for every epoch.** Loss curves do not say whether the cats get better (section 6). A
# second callback measures it: after each epoch it draws samples for the same `N_QUALITY` latent
# vectors and scores them with `helpers.cat_scores`, the cat-face counterpart of notebook 02's MNIST
# scores. A small network, trained by the project on the real faces without labels (to tell how far
# an image was rotated), turns each image into 128 features; the scores compare the generated faces'
# features with the real faces':
# * **Fréchet distance**: the distance between the two feature distributions, each summarised by its
#   mean and covariance (like FID, with our network instead of Inception); lower is better;
# * **KID** (kernel inception distance, here ×1000): a kernel two-sample statistic on the same
#   features; unlike the Fréchet distance it is unbiased, so it is about 0 for real faces at any
#   sample count. Lower is better.
#
# The scores are written to the run folder after each epoch, so a resumed run keeps them.
#
# **What the numbers mean.** A score alone says little: is 2 good? The cell below scores, at the same
# sample count, real faces the feature network never saw and damaged copies of them (blurred, noisy,
# one face repeated). Every score of a generator in this notebook is read against this table.

# %% tags=["nbval-ignore-output"]
train_idx, held_idx = helpers.scores.cats.held_out_split(len(images))
held_out = images[held_idx] if REAL_CATS else images  # faces the scorer never saw
N_QUALITY = min(fast_or_full(256, 1500), len(held_out))
real_ref = held_out[:N_QUALITY]
references = {"real faces": helpers.cat_scores(real_ref)}
for name, damaged in helpers.scores.cats.distorted_sets(real_ref).items():
    if name in ("blur 1", "blur 2", "noise 0.05", "one image repeated"):
        references[name] = helpers.cat_scores(damaged)
for name, r in references.items():
    print(f"{name:20}: Fréchet distance {r['frechet_distance']:7.2f}, KID x1000 {r['kid_x1000']:7.1f}  (N = {r['n']})")

# %% [markdown]
# **No time to train?** Set `USE_PRETRAINED = True` in section 1: the next cell then loads the
# generator that ships with the series (`helpers.load_pretrained`: this recipe, trained twice as long
# on the same kind of CPU) instead of training, and every section below works on it
# (except the animation, whose frames are not saved). Training is the default: it is the lesson.

# %% tags=["nbval-ignore-output"]
torch.manual_seed(SEED)
fixed_noise = setup.noise(64)
recorder = SampleRecorder(setup.G_ema, fixed_noise, nrow=8, folder=RUN_DIR / "samples")

QUALITY_FILE = RUN_DIR / "quality.json"
quality = json.loads(QUALITY_FILE.read_text()) if QUALITY_FILE.exists() else []


def score_epoch(end: helpers.EpochEnd) -> None:
    """Callback: cat-face scores of the averaged generator's samples for the same latent vectors, after each epoch."""
    samples = helpers.draw_samples(setup.G_ema, setup.noise, N_QUALITY, seed=SEED + 2, batch_size=500)
    quality.append({"epoch": end.epoch, "minutes": end.history.seconds / 60, **helpers.cat_scores(samples)})
    QUALITY_FILE.write_text(json.dumps(quality))


t0 = time.perf_counter()
if USE_PRETRAINED:
    G, info = helpers.load_pretrained(RECIPE.name, device)
    history = info["history"]
    print(f"training skipped: the shipped generator, {info['epochs']} epochs in {info['train_minutes']} min")
else:
    history = setup.fit(epochs=EPOCHS, max_seconds=MAX_SECONDS, callbacks=[recorder, score_epoch],
                        checkpoint=CHECKPOINT, resume=True)
    G = setup.G_ema.module  # the averaged generator: the one the recipe samples from
print(history.summary())
print(f"{time.perf_counter() - t0:.0f} s in this session, {history.seconds / max(history.epochs, 1):.1f} s per epoch")

# %% [markdown]
# ### Resuming after a disconnect
#
# Colab and Kaggle end idle or long sessions without warning. Because `fit` wrote a checkpoint after
# each epoch, **re-running the training cell above with the same `RUN_DIR` continues where the last
# checkpoint stopped** (same batches, same noise, same weights as if never interrupted), instead of
# starting over. On Colab, remember `KEEP_ON_DRIVE = True` (section 1), or the checkpoint vanishes
# with the machine. The command line does the same: run
# `python -m helpers train dcgan-cats --epochs 60 --out runs/cats` again after a kill and it prints
# `resuming from runs/cats/checkpoint.pt`.
#
# Here we call `fit` once more on the same checkpoint, asking for the epochs already completed: it
# loads the checkpoint, finds nothing left to do and returns at once with the same history. (The
# sample grids are not in the checkpoint: the `SampleRecorder` above writes each one to
# `RUN_DIR / "samples"` as a PNG and loads them back when it is created again, so the animation of a
# resumed run still starts at epoch 1.)

# %% tags=["nbval-ignore-output"]
if CHECKPOINT.exists():
    again = setup.fit(epochs=history.epochs, checkpoint=CHECKPOINT, resume=True, progress=False)
    print(f"resumed from {CHECKPOINT}: {again.epochs} epochs, {again.steps} steps done, nothing left to do")
    assert again.epochs == history.epochs and again["loss_d"] == history["loss_d"]
else:
    print("no checkpoint in this session (training was skipped)")

# %% [markdown]
# ### Exporting and reloading the generator
#
# To share a trained generator, half precision and the history are enough: a fraction of the
# checkpoint, which also holds the discriminator and both optimisers' state (the cell prints both
# sizes). The recipe's settings go with it, so the file cannot be loaded into other networks by
# mistake. The generator that ships with the series (section 5) is such a file.

# %% tags=["nbval-ignore-output"]
note = f"{history.epochs} epochs on {helpers.infra.env.device_name(device)}, {history.seconds / 60:.1f} min"
export = RUN_DIR / "dcgan_cats_generator.pt"
helpers.infra.checkpoint.save_checkpoint(export, G={k: v.half() if v.is_floating_point() else v
                                   for k, v in G.state_dict().items()},
                        history=history.to_dict(), note=note, run={"recipe": RECIPE.name} | RECIPE.settings())
print(f"wrote {export} ({export.stat().st_size / 1e6:.1f} MB): {note}")
if CHECKPOINT.exists():
    print(f"the training checkpoint {CHECKPOINT} is {CHECKPOINT.stat().st_size / 1e6:.1f} MB")

# %% [markdown]
# This is the path for readers without a GPU: a fresh generator, saved weights, no training.
# `load_generator` reads the `G` entry of any `fit` checkpoint or export (here the file just
# written) and puts the network in eval mode, where batch norm uses its running statistics. Same
# weights, same latent vectors: the same cats as the trained `G` draws.

# %% tags=["nbval-ignore-output"]
G_saved = helpers.load_generator(RECIPE.networks()[0].to(device), export, map_location=device,
                                 recipe=RECIPE.name, settings=RECIPE.settings())
with torch.no_grad():
    show_images(to_unit(G_saved(fixed_noise)), size=6, title=f"Reloaded generator: {helpers.infra.checkpoint.load_checkpoint(export)['note']}")
plt.show()

# %% [markdown]
# ## 6. Results
#
# ### Losses and discriminator outputs
#
# How to read these curves (smoothed over 50 steps; dotted lines are epoch ends):
#
# * **Losses** do not fall towards zero as in supervised learning: each network's loss is the other's
#   success. A healthy run has both losses **bounded and noisy**. $\mathcal{L}_D = 2\ln 2 \approx
#   1.39$ would mean $D$ cannot tell at all; the discriminator usually sits below that and the
#   generator above.
# * **$D(x)$ and $D(G(z))$**, the mean probabilities "real" that $D$ gives to a batch of real and of
#   generated images. They stay apart (the discriminator keeps an edge) but must not go to 1 and 0:
#   $D(G(z)) \to 0$ for many epochs means the generator's gradient has vanished, and a collapsed
#   generator shows up as a sudden jump of $D(G(z))$ down and $\mathcal{L}_G$ up.

# %% tags=["nbval-ignore-output"]
fig = plot_history(history, smooth=fast_or_full(1, 50),
                   title=f"DCGAN on cat faces: {history.epochs} epoch(s), {history.steps} steps")
plt.show()

# %% tags=["nbval-ignore-output"]
per_epoch = history.epoch_means()  # a budget that ended mid-epoch adds that partial epoch
for e in [per_epoch[i] for i in sorted({0, len(per_epoch) // 2, len(per_epoch) - 1} & set(range(len(per_epoch))))]:
    print(f"epoch {e['epoch']:3d}{'' if e['complete'] else ' (partial)'}: loss D {e['loss_d']:.2f}, "
          f"loss G {e['loss_g']:.2f}, D(x) {e['d_real']:.2f}, D(G(z)) {e['d_fake']:.2f}")
FULL_RUN = not FAST and history.epochs >= 2  # the text's claims are about a full run, not a shortened budget
if FULL_RUN:  # the claims of the text above, on this run
    last = per_epoch[-1]
    assert 0.5 < last["d_real"] < 0.98 and 0.02 < last["d_fake"] < 0.5, "D won or lost outright"
    # the first epoch is the settling-in phase (loss spikes while D learns faster, see the failure modes)
    assert max(e["loss_g"] for e in per_epoch[1:]) < 10, "the generator's loss blew up"
else:
    print("(FAST mode or under 2 epochs: the checks on the curves of a full run are skipped)")

# %% [markdown]
# ### Real and generated, side by side

# %% tags=["nbval-ignore-output"]
G.eval()
with torch.no_grad():
    torch.manual_seed(SEED + 1)
    fakes = to_unit(G(setup.noise(64))).cpu()  # in [0, 1], as plots and scores take images
real_sample = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(SEED))[:64]]
show_image_grids({"Real cats (64 random training images)": real_sample,
                  f"Generated cats (64 new latent vectors, after {history.epochs} epoch(s))": fakes}, size=6)
plt.show()

# %% [markdown]
# A quick, rough check for **mode collapse**: if the generator had collapsed onto a few faces, its
# samples would be much closer to each other than real images are. We compare the mean pixel
# distance between random pairs of generated images with the same number for real images (the
# scores of section 5 measure quality and variety properly; see below).

# %% tags=["nbval-ignore-output"]
def mean_pair_distance(batch: torch.Tensor) -> float:
    """Mean RMS pixel distance (in [0, 1] units) between distinct pairs of a batch."""
    flat = batch.flatten(1)
    d = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    n = len(flat)
    return (d.sum() / (n * (n - 1))).item()


real_unit = images[:64].float() / 255
spread_real, spread_fake = mean_pair_distance(real_unit), mean_pair_distance(fakes)
print(f"mean distance between two real images: {spread_real:.3f}, between two generated: {spread_fake:.3f} "
      f"(ratio {spread_fake / spread_real:.2f})")
if FULL_RUN:
    assert spread_fake > 0.6 * spread_real, "generated faces are far less varied than real ones: mode collapse?"
else:
    print("(FAST mode or under 2 epochs: the collapse check of a full run is skipped)")

# %% [markdown]
# ### Walking between two cats
#
# Each seed below names one latent vector. The widget moves along the great circle between two of
# them (spherical interpolation, `slerp`: a straight line between two Gaussian vectors passes close
# to the origin, a region the generator rarely saw). A well-trained generator changes the face
# *smoothly* rather than jumping between unrelated images: evidence that it learned a continuous
# space of faces instead of memorising photos. (Open the notebook in Jupyter or Colab for the
# sliders; the static row below shows one path.) For its two ends we let the discriminator choose, rather than hand-picking: of the first
# 64 seeds, the two faces it rates most real. In this run's strip both ends are black cats: a dim one,
# its face barely lit, turns step by step into a black-and-white one, the eyes staying in place and
# brightening to yellow while white fur grows in from the right edge and the nose shows. Dark faces are
# the hardest for a short run to draw sharply: the discriminator's favourite is not always the
# clearest cat.

# %%
def noise_of_seed(seed: int) -> torch.Tensor:
    """One reproducible latent vector per seed, on the device (`helpers.sampling.latents`, as in notebook 02)."""
    return latents(1, RECIPE.latent_dim, seed, device)


# %% tags=["nbval-ignore-output"]
D.eval()
with torch.no_grad():
    logits = D(G(torch.cat([noise_of_seed(seed) for seed in range(64)]))).float()
D.train()
seed_a, seed_b = logits.topk(2).indices.tolist()
z_path = torch.cat([slerp(noise_of_seed(seed_a), noise_of_seed(seed_b), t) for t in torch.linspace(0, 1, 10).tolist()])
print(f"ends: seeds {seed_a} and {seed_b}; latent norms along the path",
      [round(n, 1) for n in z_path.norm(dim=1)[[0, 5, 9]].tolist()])
fig, ax = plt.subplots(figsize=(12, 1.9), layout="constrained")
with torch.no_grad():
    show_images(to_unit(G(z_path)), nrow=10, ax=ax, title=f"From the cat of seed {seed_a} to the cat of seed {seed_b} (slerp)")
plt.show()

# %% tags=["nbval-ignore-output"]
interpolation_explorer(G, noise_of_seed, title="Latent interpolation between two cats")

# %% [markdown]
# ### Training animation
#
# The same 64 latent vectors after each epoch. In this run (the still below the player shows 9 of
# them): after epoch 1, grey noise with a fine grid; after epoch 2, murky, blurred patches of light
# and dark fur, no eyes yet; after epoch 5, faces with eyes, a nose and each cat's colouring, still
# blotchy; by epochs 10 and 11, smoother fur, sharper eyes and stripes, the two epochs differing only
# in details. Each vector keeps its cat's colouring from epoch 5 on. (JPEG frames keep the notebook
# small.)

# %% tags=["nbval-ignore-output"]
if recorder.frames:
    with plt.rc_context({"animation.frame_format": "jpeg"}):
        display(HTML(animate(recorder.frames, [f"epoch {e}" for e in recorder.epochs], interval_ms=250, size=5)))
else:
    print("no frames: no epoch was completed in this session (training skipped, or a budget under one epoch)")

# %% tags=["nbval-ignore-output"]
if recorder.frames:
    picks = sorted({1, 2, 5, 10, 30, len(recorder.frames)} & set(range(1, len(recorder.frames) + 1)))
    fig, axes = plt.subplots(1, len(picks), figsize=(3 * len(picks), 3.5), squeeze=False, layout="constrained")
    for ax, epoch in zip(axes[0], picks):
        ax.imshow(recorder.frames[epoch - 1][: 3 * 66 + 2, : 3 * 66 + 2], interpolation="nearest")
        ax.set_title(f"after epoch {recorder.epochs[epoch - 1]}")
        ax.axis("off")
    fig.suptitle("The same 9 latent vectors over training")
    plt.show()

# %% [markdown]
# ### Quality over the run
#
# The scores the `score_epoch` callback recorded after every epoch (section 5), against training
# time, with the references of section 5 at the same sample count as horizontal lines: real faces
# (the floor a perfect generator would reach; their KID, about 0, is drawn at $10^{-2}$ because a log axis
# has no 0) and lightly damaged ones.
#
# In this run both scores fall after every epoch: steeply at first (Fréchet distance 74.40, 57.07,
# 25.75, 11.80 after epochs 1 to 4; below the blur-1 reference, 6.61, from epoch 5 on), then more
# slowly, to 0.68 (KID 56.41) after epoch 11, below the light-noise reference (1.39) from epoch 9 on.
# Runs with faster learning rates had epochs where the samples got worse for a while (the benchmarks).
# Read one epoch's score as a noisy estimate, and the trend over several epochs as the signal.

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for ax, key, label in ((axes[0], "frechet_distance", "Fréchet distance"), (axes[1], "kid_x1000", "KID × 1000")):
    ax.plot([q["minutes"] for q in quality], [q[key] for q in quality], "o-")
    for q in quality:
        ax.annotate(str(q["epoch"]), (q["minutes"], q[key]), textcoords="offset points", xytext=(3, 4), fontsize=7)
    for (name, r), style in zip(((n, references[n]) for n in ("blur 1", "noise 0.05", "real faces")), (":", "--", "-")):
        ax.axhline(max(r[key], 1e-2), color="grey", linestyle=style, linewidth=1, label=f"{name} (reference)")
    ax.set(xlabel="training minutes (labels: epoch)", ylabel=f"{label} (lower is better)", yscale="log")
    ax.legend(fontsize=8, loc="upper right")
fig.suptitle(f"Cat-face scores of {N_QUALITY:,} samples after each epoch")
plt.show()
for q in quality:
    print(f"epoch {q['epoch']:3d} ({q['minutes']:5.1f} min): Fréchet distance {q['frechet_distance']:8.2f}, "
          f"KID x1000 {q['kid_x1000']:7.2f} ± {q['kid_x1000_std']:.2f}")
print("references:", ", ".join(f"{n} {r['frechet_distance']:.2f} / {r['kid_x1000']:.1f}" for n, r in references.items()))
if FULL_RUN and len(quality) >= 5:
    fd = {q["epoch"]: q["frechet_distance"] for q in quality}
    assert fd[1] > fd[4] > fd[max(fd)], "the scores should fall from epoch 1 to 4 to the last"
else:
    print("(FAST mode or a short run: the check that the scores fall is skipped)")

# %% [markdown]
# **The field's standard number.** Papers report FID with the features of Inception-v3, a network
# trained on ImageNet photos; `helpers.scores.cats.inception_fid` computes it with `torchmetrics` when it can
# download that network's weights once (Colab, Kaggle with the internet switch on). Offline, or
# without the optional package `torch-fidelity`, it says that it skipped; on Colab and Kaggle the cell
# installs that package first. Inception FID needs many samples to be comparable with published
# numbers (many thousands) and is slow on a CPU, so here it uses a GPU's worth only where there is one.

# %% tags=["nbval-ignore-output"]
if helpers.infra.env.detect_platform() in ("colab", "kaggle") and importlib.util.find_spec("torch_fidelity") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "torch-fidelity"], check=False)
    importlib.invalidate_caches()
N_INCEPTION = fast_or_full(64, 10_000 if device.type == "cuda" else 1_000)
generated = helpers.draw_samples(G, setup.noise, N_INCEPTION, seed=SEED + 3, batch_size=500)
fid = helpers.scores.cats.inception_fid(images[:N_INCEPTION], generated)
if fid is not None:
    print(f"Inception FID, {N_INCEPTION:,} generated vs {min(N_INCEPTION, len(images)):,} real faces: {fid:.1f}")

# %% [markdown]
# ### 20 minutes against 40 minutes of the same recipe
#
# The series ships a generator of this recipe trained twice as long on the same kind of
# CPU (`helpers.load_pretrained`; its record says how long, where, and how it scored). Below: the same
# 64 latent vectors through both generators, and their scores at the same sample count as the
# references of section 5.
#
# The feature scores flatten once faces look like faces to the feature network, even while fur and
# eyes still sharpen. A second measure that needs no network keeps telling: the **sliced Wasserstein
# distance** between small patches of generated and real faces, at three scales (64, 32 and 16
# pixels; Karras et al., 2018, `helpers.scores.sliced_wasserstein`). Its finest scale is about edges and fur
# texture, its coarsest about layout and colour. It compares two image sets of equal size, so it gets
# its own references: two sets of real faces, and real faces blurred.

# %% tags=["nbval-ignore-output"]
G_long, info = helpers.load_pretrained(RECIPE.name, device)
print(f"shipped generator: {info['epochs']} epochs, {info['steps']:,} steps, {info['train_minutes']} min on "
      f"{info['machine']} (torch {info['torch']})")
with torch.no_grad():
    show_image_grids({f"This run: {history.seconds / 60:.0f} min": to_unit(G.eval()(fixed_noise)),
                      f"Shipped: {info['train_minutes']:.0f} min": to_unit(G_long(fixed_noise))}, size=6)
plt.show()

# %% tags=["nbval-ignore-output"]
N_SWD = min(fast_or_full(64, 1000), len(held_out))
real_a = held_out[:N_SWD]
others = images[train_idx]  # none of them is in real_a
real_b = others[torch.randperm(len(others), generator=torch.Generator().manual_seed(SEED + 4))[:N_SWD]]
sets = {
    "real faces (another set)": real_b,
    "real faces, blur 1": helpers.scores.cats.distorted_sets(real_b)["blur 1"],
    f"this run ({history.seconds / 60:.0f} min)": helpers.draw_samples(G, setup.noise, N_SWD, seed=SEED + 5),
    f"shipped ({info['train_minutes']:.0f} min)": helpers.draw_samples(G_long, setup.noise, N_SWD, seed=SEED + 5),
}
for name, x in sets.items():
    swd = helpers.sliced_wasserstein(real_a, x)
    feat = helpers.cat_scores(x)
    print(f"{name:26}: sliced Wasserstein x1000 by scale (64, 32, 16 px) "
          f"{', '.join(f'{v:6.1f}' for v in swd['levels'])}; mean {swd['mean']:6.1f} | "
          f"Fréchet distance {feat['frechet_distance']:6.2f}  (N = {N_SWD})")

# %% [markdown]
# In this run, the Fréchet distance even prefers the 20-minute generator (0.65, against 0.98 for the
# 40-minute one, at N = 1,000), though the grids above differ at a glance: the shipped faces have
# sharper eyes, cleaner fur and fewer smeared faces. The patch distances side with the eye: a mean of
# 46.1 for this run against 33.0 for the shipped generator, and lower at every scale (finest 54.0
# against 47.9). Two sets of real faces score 9.7, the floor at this N; real faces blurred by 1 pixel
# score 83.9 at the finest scale but about real faces' values at the coarsest, as a blur should. This
# run's 32-pixel level (46.7) is even above the blurred faces' (27.1), and the shipped generator's
# (24.8) below it: what 20 minutes leave unfinished is mid-sized structure, the shape of eyes, nose
# and ear edges, more than fine texture.

# %% [markdown]
# ### Failure modes to look for (and what this run shows)
#
# * **A rough first epoch.** At the start the discriminator learns faster than the generator:
#   $\mathcal{L}_G$ spikes and `fit` may warn that the generator loss is exploding. A spike that
#   recovers within an epoch, as in this run (below), is normal; one that does not is the next case.
# * **The discriminator wins.** $D(x) \to 1$, $D(G(z)) \to 0$, $\mathcal{L}_D \to 0$ and
#   $\mathcal{L}_G$ climbing: the generator gets no useful gradient and its samples stop improving.
#   The per-epoch numbers above show whether $D$'s edge grows over the run; a slowly growing edge
#   (both $D$ outputs drifting apart while samples still improve) is normal for a DCGAN, a jump is not.
# * **Mode collapse.** Many fixed-noise samples in the animation turn into the same face, often
#   suddenly, and the diversity ratio above drops well below 1. Partial collapse shows as groups of
#   near-identical cats (same pose, same fur) among varied ones.
# * **Artefacts of transposed convolutions.** A kernel of 4 with stride 2 overlaps unevenly and can
#   leave a faint checkerboard pattern, most visible in flat fur and backgrounds; it usually fades
#   with training. Notebook 03 explains where it comes from.
# * **Oscillation.** Samples that change colour or style from one epoch to the next without getting
#   better: the two networks chase each other. A lower learning rate or $\beta_1 = 0.5$ (used here)
#   calms it.
#
# **What the committed run shows.** A rough start: in the first few hundred steps the generator's
# loss spikes while $D(x)$ nears 1 and $D(G(z))$ nears 0, and both recover within the first epoch.
# Then a steady balance: by epoch means $D(x)$ 0.89, 0.86 and 0.87 and $D(G(z))$ 0.11, 0.14 and 0.13
# at epochs 1, 7 and the partial 12th, the generator's loss between 4.64 and 5.88, while the samples
# kept improving (the scores of the quality plot, the animation). After the start neither output
# nears 0 or 1, and no jump. No collapse: two generated faces differ by 0.340 on average against
# 0.352 for two real ones (ratio 0.97), and the grid varies in fur colour, pattern and pose. No
# oscillation either: the scores fell after every epoch. The checkerboard of the transposed
# convolutions is plain after epoch 1 (the animation's still) and gone by epoch 5. What 20 minutes do
# not reach is the shipped generator's sharpness: softer eyes, paler and muddier fur, and several of
# the 64 faces dim or smeared.

# %% [markdown]
# ## 7. Summary
#
# * A DCGAN is a GAN whose two networks are convolutional: transposed convolutions grow a
#   $128 \times 1 \times 1$ code into a $3 \times 64 \times 64$ image, strided convolutions shrink it
#   back to one logit; batch norm, ReLU/LeakyReLU, no pooling, no biases.
# * Data in $[-1, 1]$ to match $\tanh$; DCGAN initialisation $\mathcal{N}(0, 0.02^2)$; Adam with
#   $\beta_1 = 0.5$.
# * On a small budget, count updates, not epochs: narrower networks, a smaller batch and a weight
#   average of the generator drew cats where the article's recipe drew washed-out blobs in the same
#   20 minutes.
# * Read every score against references at the same sample count (real faces, damaged faces), and
#   use a second measure once the first flattens.
# * Speed comes from the input pipeline as much as from the GPU: decode once, keep the tensor on the
#   device, batch by permutation; then the number format and memory layout that measure fastest on
#   the device (float32 on recent GPUs, float16 + gradient scaler on older ones, bf16 + channels_last
#   on CPUs with bf16 instructions).
# * Checkpoint every epoch and resume by re-running the same cell or command: a disconnect costs at
#   most one epoch.
# * Read the curves as a balance, not a descent: bounded, noisy losses and $D$ outputs that stay
#   apart without reaching 0 or 1. Check the samples for diversity, not only for sharpness.
#
# ## Exercises
#
# 1. **Without the init.** Train 5 epochs of
#    `build(dataclasses.replace(RECIPE, dcgan_init=False), device, images=images)`. Compare the first
#    epoch's $D(x)$ and $D(G(z))$, and the scores, with this run's.
# 2. **Momentum.** Train with Adam's default $\beta_1 = 0.9$ (`betas=(0.9, 0.999)` in the replaced
#    recipe). What happens to the curves, the scores and the samples? (A worked solution:
#    [`solutions/04_dcgan_cat_faces.py`](../solutions/04_dcgan_cat_faces.py).)
# 3. **The article's recipe.** Train `build(ARTICLE, device, images=images)` for the same budget
#    (`MAX_SECONDS`). How many steps does it get, how do its samples and scores compare, and which of the
#    three changes of section 4 would you undo first to see which matters most?
# 4. **Label smoothing.** `setup.fit(..., real_target=0.9)` trains $D$ towards a target below 1 on real images.
#    Does it change $D(x)$, and the samples? (Notebook 05 measures it.)
# 5. **Latent arithmetic.** Find three seeds whose cats share a feature (say, white fur) and three
#    without; add the difference of their mean latent vectors to a new cat's vector. Does the
#    feature appear?

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {(time.perf_counter() - notebook_start) / 60:.1f} min on {helpers.infra.env.device_name(device)} "
      f"({'FAST' if FAST else 'full'} settings)")
