# %% [markdown]
# # 06 · A conditional GAN: ask for a digit, keep the style
#
# Every GAN so far drew *some* digit: which one was decided by where the latent vector $z$ happened
# to fall. To get a 7 you would draw many samples and keep the sevens. A **conditional GAN** (cGAN)
# takes the class as a second input, $G(z, y)$, and its discriminator judges image and class
# together, $D(x, y)$. Then the label says *what* to draw and $z$ says *how*: the slant, the
# thickness, the loop of a 2.
#
# You will see
# 1. why the label must enter **both** networks, and the conditional form of the GAN game;
# 2. how the label enters the generator (a learned vector beside $z$) and the discriminator (a
#    *projection* discriminator), and why these choices;
# 3. the one change the training step needs, and `build` / `fit` training recipe `cgan-mnist`
#    unchanged otherwise;
# 4. a grid with one row per digit, and the measured answer to "did it draw what I asked for?": the
#    share of samples that the series' MNIST classifier reads as the class asked for, per class and
#    overall, and a Fréchet distance per class;
# 5. controllable generation: one $z$ with every class (the same style across digits), one class
#    along a path in $z$;
# 6. what the samples look like where the classifier and the request disagree.
#
# **Committed outputs:** full settings on a 2-core x86-64 CPU with AVX512-BF16 (no GPU, nothing
# else running): 5.5 minutes for the whole notebook (the last cell prints it). With `GAN_FAST=1`
# it trains for seconds and runs in about a minute; the quality assertions are
# then skipped (it says so).

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
# The rest of the imports.

# %%
import collections
import inspect
import time

import matplotlib.pyplot as plt
import torch
from IPython.display import Code, display

from helpers import (
    ConditionalGenerator,
    ProjectionDiscriminator,
    build,
    class_labels,
    conditional_scores,
    draw_samples,
    get_recipe,
    mnist_scores,
    plot_history,
    show_images,
    slerp,
    to_unit,
)
from helpers.sampling import eval_mode
from helpers.scores.mnist import features_and_probs

notebook_start = time.perf_counter()

# %% [markdown]
# ## 1. Why condition, and where
# An unconditional GAN learns the distribution of all digits, $p(x)$. A conditional GAN learns one
# distribution per class, $p(x \mid y)$, with one pair of networks. The game is the one of
# notebook 02 with $y$ added on both sides:
#
# $$\min_G \max_D \;\; \mathbb{E}_{(x, y) \sim \text{data}}\big[\log D(x, y)\big]
#   + \mathbb{E}_{z \sim \mathcal{N}(0, I),\, y \sim \text{data}}\big[\log\big(1 - D(G(z, y), y)\big)\big].$$
#
# Why both networks? If only G saw the label, nothing would make it obey: D judges realism alone,
# and a perfect 3 drawn when asked for a 7 passes. If only D saw it, G could not know which digit is
# wanted. With the label in D, a real-looking 3 *labelled 7* is a fake, and G's only way to fool D is
# to draw a 7 when asked for one. The generator still uses the non-saturating loss $-\log D(G(z, y), y)$
# (notebook 02).
#
# ## 2. The data, now with its labels
# `helpers.load_mnist` has always returned the labels beside the images; until now we ignored them.

# %% tags=["nbval-ignore-output"]
images, labels = helpers.load_mnist(train=True)
images, labels = images[: fast_or_full(2000, len(images))], labels[: fast_or_full(2000, len(labels))]
counts = torch.bincount(labels, minlength=10)
print(f"{len(images)} training digits; per class: {counts.tolist()}")
print(f"rarest class {int(counts.argmin())} ({counts.min() / len(labels):.1%}), "
      f"commonest {int(counts.argmax())} ({counts.max() / len(labels):.1%})")

# %% [markdown]
# The classes are close to balanced, so a generator that draws each class equally often is a fair
# request, and a batch of real digits holds every class a few times.
#
# ## 3. The label in the generator: a learned vector beside $z$
# The simplest way to tell G the class: append it to $z$. As a one-hot vector that is ten extra
# inputs, one of them 1. We use a **learned embedding** instead (`nn.Embedding`: a table with one
# trainable vector per class, here of length 10 too): the same ten extra inputs, but the network
# may place classes that share strokes (4 and 9, 3 and 8) near each other. The generator itself is
# notebook 03's MNIST DCGAN, built for $64 + 10$ inputs instead of $64$; nothing else changes. This
# is `helpers.ConditionalGenerator`:

# %%
display(Code(inspect.getsource(ConditionalGenerator), language="python"))

# %% [markdown]
# ## 4. The label in the discriminator: a projection
# Two common choices for D:
# * **Concatenate label maps with the image**: ten extra input channels, channel $y$ all ones. The
#   label then meets raw pixels, and the first layer must learn what "a 7" means from there.
# * **Projection** ([Miyato & Koyama, *cGANs with Projection Discriminator*](https://arxiv.org/abs/1802.05637)):
#   let D compute its features $\phi(x)$ as before, then add an inner product with a learned vector per
#   class, $D(x, y) = \text{head}(\phi(x)) + e_y^\top \phi(x)$. The shared head asks "a real digit?",
#   the class vector "a real *7*?". The label meets features that already describe shapes, where the
#   question is easiest to ask; it costs no extra convolution channels; and in that paper it gave
#   better class agreement than concatenation.
#
# We take the projection, around notebook 03's discriminator: $\phi$ is its last feature map
# ($64 \times 7 \times 7$ values, flattened), the head its last convolution. The class vectors start
# at zero, so an untrained conditional D is exactly the unconditional one.
# (Exercise 1 measures the concatenation instead.) This is `helpers.ProjectionDiscriminator`:

# %%
display(Code(inspect.getsource(ProjectionDiscriminator), language="python"))

# %% [markdown]
# Recipe `cgan-mnist` puts the two together, with notebook 03's settings for everything else:

# %%
print(get_recipe("cgan-mnist").summary())
setup = build("cgan-mnist", device, seed=SEED, images=images, labels=labels)
z, y = setup.noise(10), torch.arange(10, device=device)
with eval_mode(setup.G), eval_mode(setup.D), torch.no_grad():
    fake = setup.G(z, y)
    logits = setup.D(fake, y)
    unconditional = setup.D.head(setup.D.features(fake)).view(-1)
print(f"G(z {tuple(z.shape)}, labels {tuple(y.shape)}) -> {tuple(fake.shape)}; D(x, labels) -> {tuple(logits.shape)}")
print(f"class vectors {tuple(setup.D.embed.weight.shape)}; untrained D equals its unconditional head: "
      f"{torch.allclose(logits, unconditional)}")
print(f"parameters: G {helpers.count_parameters(setup.G):,} (label table {setup.G.embed.weight.numel()}), "
      f"D {helpers.count_parameters(setup.D):,} (class vectors {setup.D.embed.weight.numel():,})")
assert fake.shape == (10, 1, 28, 28) and logits.shape == (10,) and torch.allclose(logits, unconditional)

# %% [markdown]
# ## 5. The training step with labels
# The batches now come with their labels: `build` makes them with
# `helpers.TensorBatches(images, ..., labels=labels)`, which yields `(images, labels)` pairs, and
# `fit` hands each batch's labels to `helpers.train_step` (notebook 02). Inside, three lines change:
# G draws its batch for **the real batch's labels**, `G(z, labels)`, and D judges both halves with
# them, `D(real, labels)` and `D(fake, labels)`. Drawing the fakes for the real labels (rather than
# random ones) gives both halves of D's batch the same class mix, so D cannot tell them apart by how
# often each class appears. The steps pass `labels` on only when there are any, so an unconditional
# run is the same computation as before:

# %%
display(Code(inspect.getsource(helpers.train_step), language="python"))

# %% [markdown]
# ## 6. Training
# Everything else of `fit` works as before: the health checks, checkpoints and exact resume, and the
# moving average of G's weights (its batch-norm statistics are re-estimated with labels drawn from the
# training labels). A time budget, as on the command line, where
# `python -m helpers train cgan-mnist --max-seconds 300` trains the same recipe.

# %% tags=["nbval-ignore-output"]
SECONDS = fast_or_full(10, 300)
history = setup.fit(max_seconds=SECONDS)
print(history.summary())
print(f"{history.steps} steps in {history.seconds:.0f} s ({history.steps / history.seconds:.1f} steps/s), "
      f"{history.steps / len(setup.data):.1f} epochs")

# %%
plot_history(history, smooth=fast_or_full(5, 100), title="Conditional DCGAN on MNIST")
plt.show()

# %% [markdown]
# ## 7. One row per digit
# Ask the averaged generator (`setup.G_ema`) for ten samples of each class, row $k$ for digit $k$.
# `draw_samples` takes the labels beside the noise.

# %%
rows = torch.arange(10).repeat_interleave(10)
grid = draw_samples(setup.G_ema, setup.noise, 100, seed=SEED + 1, labels=rows)
show_images(grid, nrow=10, title="Asked for 0, 1, ..., 9 (one row each)", size=6)
plt.show()

# %% [markdown]
# ## 8. Did it draw what we asked for? Measured
# The series' MNIST classifier (notebook 05) reads each of 10,000 samples, image $i$ asked for class $i \bmod 10$ (the order `python -m helpers sample`
# draws a conditional recipe in). **Class agreement** is the share of samples it reads as the class asked
# for. The **Fréchet distance per class** compares each class's samples (a tenth of them) with that
# class's real test digits. Fréchet distances grow as the sample count shrinks (notebook 05), so the per-class
# values are not comparable with a distance over all ten classes; the yardstick beside them is real
# training digits scored the same way, at the same count.

# %% tags=["nbval-ignore-output"]
N = fast_or_full(2000, 10000)
requested = class_labels(N, 10)
samples = draw_samples(setup.G_ema, setup.noise, N, seed=SEED + 1, labels=requested)
scores = mnist_scores(samples)
cond = conditional_scores(samples, requested)
real = conditional_scores(images[:N], labels[:N])
print(f"{N} samples: class agreement {cond['class_agreement']:.1%} "
      f"(real training digits with their labels: {real['class_agreement']:.1%}); "
      f"Fréchet distance, all classes {scores['frechet_distance']:.1f}")
print("digit  agreement  Fréchet distance (real digits)")
for c in range(10):
    print(f"  {c}     {cond['class_agreement_per_class'][c]:6.1%}    {cond['frechet_distance_per_class'][c]:6.1f} "
          f"({real['frechet_distance_per_class'][c]:.1f})")
worst = min(range(10), key=lambda c: cond["class_agreement_per_class"][c])
print(f"lowest agreement: digit {worst}; largest per-class distance: "
      f"digit {max(range(10), key=lambda c: cond['frechet_distance_per_class'][c])}")

# %% tags=["nbval-ignore-output"]
if FAST:
    print("FAST mode: too little training for the quality assertions; skipped")
else:
    assert cond["class_agreement"] >= 0.95, cond["class_agreement"]
    assert min(cond["class_agreement_per_class"]) >= 0.9
    assert scores["effective_classes"] > 9.5  # asked for all ten equally, it draws all ten

# %% [markdown]
# After five minutes on two CPU cores the generator draws the class it was asked for in 99.1 % of
# the samples, and in at least 97 % for every digit. Real training digits with their true labels score
# 99.5 %: the classifier's own errors set that ceiling. The per-class distances (6.2 to 16.8) are two to
# five times those of real digits scored at the same count (2.2 to 6.7): digits of the right class,
# not yet as varied and clean as real ones. Which digits lag changes from run to run.
#
# ## 9. Controllable generation
# ### One $z$, every class
# Keep $z$ fixed and change only the label: each row below is one latent vector asked for all ten
# digits. What $z$ holds is what stays: slant, stroke width, size.

# %%
torch.manual_seed(SEED + 2)
styles = setup.noise(6)
with eval_mode(setup.G_ema), torch.no_grad():
    same_style = torch.cat([setup.G_ema(z.expand(10, -1), torch.arange(10, device=device)) for z in styles])
show_images(to_unit(same_style), nrow=10, title="Each row: one z, digits 0-9", size=6)
plt.show()

# %% [markdown]
# ### One class, a path in $z$
# Now keep the label and walk from one latent vector to another along the great circle
# (`helpers.slerp`, notebook 02). The digit stays the same digit while its style morphs.

# %% tags=["nbval-ignore-output"]
torch.manual_seed(SEED + 3)
ends = setup.noise(8).view(4, 2, -1)
steps = torch.linspace(0, 1, 10).tolist()
path_digits = [2, 4, 7, 8]
with eval_mode(setup.G_ema), torch.no_grad():
    paths = torch.cat([
        setup.G_ema(torch.stack([slerp(a, b, t) for t in steps]), torch.full((10,), digit, device=device))
        for (a, b), digit in zip(ends, path_digits)
    ])
show_images(to_unit(paths), nrow=10, title=f"Digits {path_digits}, each along one path in z", size=6)
plt.show()
read = features_and_probs(to_unit(paths))[1].argmax(1).view(4, 10)
print("classifier along each path:", {d: r.tolist() for d, r in zip(path_digits, read)})

# %% [markdown]
# ## 10. When the classifier and the request disagree
# Which samples does the classifier read as another digit than the one asked for? Every miss below is
# titled "asked → read", with the classifier's confidence; the most common confusions are counted.

# %% tags=["nbval-ignore-output"]
probs = features_and_probs(samples)[1]
read = probs.argmax(1)
misses = (read != requested).nonzero().flatten()
pairs = collections.Counter(zip(requested[misses].tolist(), read[misses].tolist()))
print(f"{len(misses)} of {N} samples read as another digit; most common (asked, read): {pairs.most_common(5)}")
shown = misses[:16]
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for ax, i in zip(axes.flat, shown.tolist()):
    ax.imshow(samples[i, 0], cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{requested[i]} → {read[i]} ({probs[i].max():.0%})", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
fig.suptitle("Samples the classifier reads as another digit (asked → read, confidence)")
plt.show()
confidence_miss = probs[misses].max(1).values.mean().item() if len(misses) else float("nan")
print(f"mean confidence on the misses {confidence_miss:.0%}, on the rest "
      f"{probs[read == requested].max(1).values.mean():.0%}")

# %% [markdown]
# The 93 misses of this run are of three kinds. Most are **shapes between two classes**: a 7 whose
# hook closes into a 9, a 2 with a straight stroke like a 7, a 3 half way to a 5 or an 8. The classifier
# is less sure of the misses (78 % on average) than of the rest, and a person would often hesitate too.
# Some are **the wrong digit, drawn well**: a 3 that is plainly a 5, read with near certainty; here the
# generator did not obey. A few are **broken strokes** that no label fits, which the classifier must still
# put somewhere. Agreement therefore mixes "drew the wrong class" with "drew no clear digit": read it
# beside the per-class Fréchet distance and the pictures, never alone.
#
# ## Summary
# * A conditional GAN feeds the class to both networks: G needs it to know what to draw, D to
#   punish drawing the wrong class.
# * In G the label's learned vector is concatenated with $z$; in D a projection adds
#   $e_y^\top \phi(x)$ to the unconditional logit, asking "a real digit of *this* class?" of D's
#   features.
# * Training changes in one place: the batches carry labels, G draws the fakes for the real batch's
#   labels, D judges each image with its label. `build` and `fit` do the rest as before.
# * The classifier measures what was drawn: agreement per class and overall, and a Fréchet distance
#   per class against that class's real digits, compared at the same count with real digits.
# * The label fixes the class, $z$ the style: one $z$ gives the same handwriting across digits.
#
# ## Exercises
# 1. **Concatenation instead of projection.** Replace the projection discriminator by one that
#    concatenates ten label maps with the image (channel $y$ all ones) and feeds them to a
#    `helpers.DCGANDiscriminator(channels=11, ...)`; train both for the same time and compare the
#    agreement and the Fréchet distances. A worked solution:
#    [`solutions/06_conditional_gan_mnist.py`](../solutions/06_conditional_gan_mnist.py).
# 2. **Random labels for the fakes.** Draw the fakes' labels at random instead of the real batch's
#    (a loop of `helpers.discriminator_step` and `helpers.generator_step`, as notebook 02 wrote it).
#    Does anything change on MNIST, whose classes are nearly balanced? Try it on a training set
#    with only a few hundred sevens.
# 3. **One-hot instead of an embedding.** Give `ConditionalGenerator` a fixed one-hot table
#    (`nn.Embedding.from_pretrained(torch.eye(10))`). Is the agreement after the same time lower?
# 4. **From the command line.** `python -m helpers train cgan-mnist --max-seconds 300 --out runs/c`,
#    `python -m helpers sample runs/c --out c.npy` (which also writes `c.classes.npy`, the classes asked
#    for) and `python -m helpers score c.npy`. Do the numbers match section 8?

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {(time.perf_counter() - notebook_start) / 60:.1f} min on {helpers.infra.env.device_name(device)}")
