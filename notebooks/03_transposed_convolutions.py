# %% [markdown]
# # 03 · Transposed convolutions, then a DCGAN on MNIST
#
# Notebook 02's GAN saw a digit as a flat list of 784 numbers: its layers did not know that
# neighbouring pixels belong together. Convolutions do know, which is why every image
# classifier uses them. A **DCGAN** (deep convolutional GAN; Radford et al., 2016) builds both
# networks from convolutions. The discriminator is an ordinary convolutional classifier; the
# generator needs the opposite operation, one that turns a small feature map into a *larger*
# one. That operation is the **transposed convolution**, and Part 1 takes it apart with
# numbers small enough to check by hand.
#
# You will see
# 1. the transposed convolution three ways: insert zeros and convolve, scatter copies of the
#    kernel, and the gradient (transpose) of an ordinary strided convolution, all checked
#    against PyTorch;
# 2. the output-size formula, and why kernel 4, stride 2, padding 1 doubles the size;
# 3. where checkerboard artifacts come from, and the resize-then-convolve alternative;
# 4. a DCGAN on MNIST built from the series' `helpers`, its weight initialisation, and an honest
#    comparison with notebook 02's fully connected GAN: per epoch and per CPU second.
#
# **Committed outputs:** full settings on a 2-core x86-64 CPU with AVX512-BF16 (no GPU, nothing
# else running): 5.1 minutes for the whole notebook (the last cell prints it). With `GAN_FAST=1`
# it runs in under a minute.

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
import copy
import itertools
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import HTML
from torch import nn

from helpers import (
    SampleRecorder,
    animate,
    build,
    draw_zero_insertion,
    get_recipe,
    mnist_scores,
    plot_history,
    show_frames,
    show_image_grids,
    to_unit,
)
from helpers.recipes import Setup

notebook_start = time.perf_counter()

# %% [markdown]
# # Part 1 · The transposed convolution
#
# ## 1. One dimension, stride 2
# A convolution with stride 2 *shrinks*: each output looks at a window of the input and the
# window jumps two steps at a time. We want the reverse shape: 3 inputs in, 7 outputs out.
#
# **Recipe A (insert zeros, then convolve).** Put $s - 1 = 1$ zero between neighbouring inputs,
# pad $k - 1 - p$ zeros on each side, and slide the **flipped** kernel over the result with stride 1.
#
# **Recipe B (scatter).** Each input value stamps a scaled copy of the kernel into the output, the
# stamps $s = 2$ apart; where stamps overlap, they add up.
#
# Take $x = (1, 2, 3)$ and kernel $w = (1, 2, 3)$, stride 2, no padding:

# %%
x1 = torch.tensor([1.0, 2.0, 3.0])
w1 = torch.tensor([1.0, 2.0, 3.0])
stride = 2

# Recipe A: zero insertion + padding + ordinary (stride-1) convolution with the flipped kernel
spread = torch.zeros((len(x1) - 1) * stride + 1)
spread[::stride] = x1
padded = F.pad(spread, (len(w1) - 1, len(w1) - 1))
recipe_a = torch.stack([(padded[i:i + len(w1)] * w1.flip(0)).sum() for i in range(len(padded) - len(w1) + 1)])

# Recipe B: scatter one scaled copy of the kernel per input value
stamps = torch.zeros(len(x1), (len(x1) - 1) * stride + len(w1))
for i, value in enumerate(x1):
    stamps[i, i * stride:i * stride + len(w1)] = value * w1
recipe_b = stamps.sum(0)

pytorch = F.conv_transpose1d(x1.view(1, 1, -1), w1.view(1, 1, -1), stride=stride).view(-1)
print("zero-inserted:", spread.tolist())
print("padded       :", padded.tolist())
print("stamps       :", *[row.tolist() for row in stamps], sep="\n  ")
print("recipe A     :", recipe_a.tolist())
print("recipe B     :", recipe_b.tolist())
print("PyTorch      :", pytorch.tolist())
assert recipe_a.tolist() == recipe_b.tolist() == pytorch.tolist() == [1, 2, 5, 4, 9, 6, 9]

# %% [markdown]
# Both recipes give $(1, 2, 5, 4, 9, 6, 9)$, exactly what `F.conv_transpose1d` computes. Notice the
# rhythm already: positions 2 and 4 received two stamps, the others one. Section 4 returns to that.
#
# ## 2. Two dimensions
# The same two recipes in 2-D, written once for any stride, padding and `output_padding`:
# * zero insertion puts $s - 1$ zeros between neighbours along both axes;
# * padding $p$ of a transposed convolution *removes* $p$ rows and columns from each border of the
#   scattered result (so the conv view pads with $k - 1 - p$ zeros instead of $k - 1$);
# * `output_padding` adds extra rows/columns at the bottom and right (why it exists: section 3).

# %%
def transposed_by_zero_insertion(x: torch.Tensor, w: torch.Tensor, stride: int, padding: int = 0,
                                 output_padding: int = 0) -> torch.Tensor:
    """2-D transposed convolution of one channel, as zero insertion + padding + flipped-kernel convolution."""
    (h, wd), k = x.shape, w.shape[0]
    spread = x.new_zeros((h - 1) * stride + 1, (wd - 1) * stride + 1)
    spread[::stride, ::stride] = x
    before, after = k - 1 - padding, k - 1 - padding + output_padding  # a negative pad crops
    padded = F.pad(spread, (before, after, before, after))
    return F.conv2d(padded[None, None], w.flip(0, 1)[None, None])[0, 0]


def transposed_by_scatter(x: torch.Tensor, w: torch.Tensor, stride: int, padding: int = 0,
                          output_padding: int = 0) -> torch.Tensor:
    """The same operator as "stamp ``x[i, j] * w`` at ``(i * stride, j * stride)``, add, crop ``padding``"."""
    (h, wd), k = x.shape, w.shape[0]
    out = x.new_zeros((h - 1) * stride + k + output_padding, (wd - 1) * stride + k + output_padding)
    for i, j in itertools.product(range(h), range(wd)):
        out[i * stride:i * stride + k, j * stride:j * stride + k] += x[i, j] * w
    return out[padding:out.shape[0] - padding, padding:out.shape[1] - padding]


# %% [markdown]
# A 2×2 input, a 3×3 kernel with a diagonal, stride 2, through both recipes and PyTorch:

# %%
x2 = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
w2 = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
a = transposed_by_zero_insertion(x2, w2, stride=2)
b = transposed_by_scatter(x2, w2, stride=2)
c = F.conv_transpose2d(x2[None, None], w2[None, None], stride=2)[0, 0]
print("2x2 input, 3x3 kernel, stride 2 ->", tuple(c.shape))
print(c.int())
assert torch.equal(a, c) and torch.equal(b, c)

# %% [markdown]
# The 2×2 input became 5×5. The kernel's diagonal shows in each stamp, and the centre pixel,
# where all four stamps overlap, is $1\cdot 2 + 4\cdot 1 = 6$: input 1 stamps its bottom-right
# weight (2) there, input 4 its top-left weight (1), and inputs 2 and 3 add zeros.
# Let us draw what recipe A convolves: the zero-inserted, padded grid.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 5.4), layout="constrained")
draw_zero_insertion(2, 3, 2, 0, 0, axes[0])  # helpers.viz: in, kernel, stride, padding, output_padding, axes
draw_zero_insertion(3, 4, 2, 1, 0, axes[1])
fig.suptitle("What recipe A convolves: inputs (blue), inserted zeros (white), padding (grey); "
             "red = one kernel window")
plt.show()

# %% [markdown]
# Left: the example above (pad $k - 1 = 2$). Right: the DCGAN layer, kernel 4, stride 2,
# padding 1, which pads $4 - 1 - 1 = 2$ and turns 3 inputs into 6 outputs.
#
# The two recipes agree with PyTorch for many random settings, not just these two:

# %%
gen = torch.Generator().manual_seed(0)
checked = 0
for h, k, s, p in itertools.product(range(1, 5), range(1, 6), range(1, 4), range(0, 3)):
    for op in range(s):  # PyTorch requires output_padding < stride
        if (h - 1) * s - 2 * p + k + op < 1:
            continue
        x = torch.randn(h, h, generator=gen, dtype=torch.float64)
        w = torch.randn(k, k, generator=gen, dtype=torch.float64)
        ref = F.conv_transpose2d(x[None, None], w[None, None], stride=s, padding=p, output_padding=op)[0, 0]
        assert torch.allclose(transposed_by_zero_insertion(x, w, s, p, op), ref)
        assert torch.allclose(transposed_by_scatter(x, w, s, p, op), ref)
        checked += 1
print(f"both recipes equal F.conv_transpose2d in all {checked} settings")

# %% [markdown]
# ## 3. Why "transposed": the gradient of a strided convolution
# An ordinary convolution is linear, so it is a matrix $C$: a 1-D convolution with kernel
# $(1, 2, 3)$ and stride 2 maps 7 numbers to 3, and $C$ is $3 \times 7$. Its transpose $C^\top$
# maps 3 numbers to 7, and that is exactly the transposed convolution with the same kernel.
# We get $C$ by convolving the seven unit vectors (each gives one column):

# %%
def conv_s2(u: torch.Tensor) -> torch.Tensor:
    """Convolution with kernel (1, 2, 3), stride 2, of a batch of 1-D signals (N, L)."""
    return F.conv1d(u[:, None], w1.view(1, 1, -1), stride=2)[:, 0]


C = conv_s2(torch.eye(7)).T  # column j = conv of the j-th unit vector
print("C =\n", C.int())
print("C^T x =", (C.T @ x1).tolist())
assert torch.equal(C.T @ x1, pytorch)

# %% [markdown]
# Each row of $C$ is the kernel, shifted by 2 per row; each row of $C^\top$ collects the stamps
# that land on one output, which is recipe B read sideways. (A convolution in deep learning is a
# cross-correlation: $C$'s rows hold $w$ unflipped, so the equivalent convolution in $C^\top$'s
# terms uses the flipped kernel, recipe A.)
#
# $C^\top$ is also what backpropagation applies: for $y = Cu$ and any upstream gradient $v$,
# $\partial (v^\top y) / \partial u = C^\top v$. So **the gradient of a strided convolution with
# respect to its input is a transposed convolution**. Autograd confirms it, in 2-D with several
# channels. Note the weight layout: `ConvTranspose2d(C_in, C_out)` stores a weight of shape
# `(C_in, C_out, k, k)`, exactly the weight of the `Conv2d(C_out, C_in)` it transposes.

# %%
torch.manual_seed(0)
conv = nn.Conv2d(in_channels=3, out_channels=5, kernel_size=4, stride=2, padding=1, bias=False).double()
u = torch.randn(2, 3, 8, 8, dtype=torch.float64, requires_grad=True)
v = torch.randn(2, 5, 4, 4, dtype=torch.float64)  # an upstream gradient for conv(u)
(conv(u) * v).sum().backward()

transposed = nn.ConvTranspose2d(in_channels=5, out_channels=3, kernel_size=4, stride=2, padding=1,
                                bias=False).double()
transposed.weight.data.copy_(conv.weight.data)  # the same (5, 3, 4, 4) tensor serves both
print("Conv2d(3 -> 5) weight:", tuple(conv.weight.shape), "| ConvTranspose2d(5 -> 3) weight:",
      tuple(transposed.weight.shape))
print("input gradient:", tuple(u.grad.shape), "| transposed conv of v:", tuple(transposed(v).shape))
assert torch.allclose(u.grad, transposed(v))
# and the adjoint identity <conv(a), b> = <a, conv^T(b)> for any a, b
a_, b_ = torch.randn(2, 3, 8, 8, dtype=torch.float64), torch.randn(2, 5, 4, 4, dtype=torch.float64)
assert torch.allclose((conv(a_) * b_).sum(), (a_ * transposed(b_)).sum())

# %% [markdown]
# That is why the operator is called *transposed* convolution, and why "deconvolution", a name
# you will still meet, is a misnomer: it does not undo a convolution ($C^\top C \neq I$), it only
# produces the input's *shape* from the output's.
#
# ## 4. The output size
# For input size $H_\text{in}$, kernel $k$, stride $s$, padding $p$, dilation $d$ and output
# padding $o$:
#
# $$H_\text{out} = (H_\text{in} - 1)\,s - 2p + d\,(k - 1) + o + 1 .$$
#
# Read it with recipe B: $H_\text{in}$ stamps $s$ apart cover $(H_\text{in} - 1)s + d(k - 1) + 1$
# pixels, padding crops $p$ from each end, output padding adds $o$. We check the formula
# against PyTorch for over a thousand settings, including ones PyTorch must refuse:

# %%
def out_size(h_in: int, k: int, s: int = 1, p: int = 0, op: int = 0, d: int = 1) -> int:
    """The transposed-convolution output size formula."""
    return (h_in - 1) * s - 2 * p + d * (k - 1) + op + 1


agree = refused = 0
for h, k, s, p, d in itertools.product(range(1, 7), range(1, 6), range(1, 4), range(0, 3), (1, 2)):
    for op in range(max(s, d)):  # PyTorch allows output_padding < max(stride, dilation)
        weight = torch.zeros(1, 1, k, k)
        try:
            got = F.conv_transpose2d(torch.zeros(1, 1, h, h), weight, stride=s, padding=p,
                                     output_padding=op, dilation=d).shape[-1]
        except RuntimeError:
            assert out_size(h, k, s, p, op, d) < 1  # refused only when the formula gives no pixels
            refused += 1
            continue
        assert got == out_size(h, k, s, p, op, d), (h, k, s, p, op, d)
        agree += 1
print(f"formula == PyTorch in {agree} settings; {refused} refused, all with a formula size below 1")

# %% [markdown]
# With $k = 4, s = 2, p = 1$ the formula reads $2H_\text{in} - 2 - 2 + 3 + 1 = 2H_\text{in}$: the
# size **doubles**, for every input size. That is the DCGAN building block. A first layer with
# kernel $7$ and stride 1 turns the $1 \times 1$ latent "image" into $7 \times 7$, and two doubling
# layers reach MNIST's 28. The source article's generator goes $1 \to 4 \to 7 \to 14 \to 28$
# instead, with a kernel 3 layer in the middle: $(4 - 1)\cdot 2 - 2 + 2 + 1 = 7$.
#
# Why `output_padding`? A stride-2 convolution maps *two* sizes to the same output (7 and 8 both
# become 4 with $k = 3, p = 1$), so its transpose cannot know which one to return; it returns the
# smaller, and `output_padding=1` asks for the larger.

# %%
assert all(out_size(h, 4, 2, 1) == 2 * h for h in range(1, 257))
print("DCGAN generator sizes:", [1, out_size(1, 7), out_size(7, 4, 2, 1), out_size(14, 4, 2, 1)])
print("source article's sizes :", [1, out_size(1, 4), out_size(4, 3, 2, 1), out_size(7, 4, 2, 1),
                                 out_size(14, 4, 2, 1)])
shrink = nn.Conv2d(1, 1, 3, stride=2, padding=1)
print("Conv2d(k=3, s=2, p=1): 7 ->", shrink(torch.zeros(1, 1, 7, 7)).shape[-1], ", 8 ->",
      shrink(torch.zeros(1, 1, 8, 8)).shape[-1])
assert out_size(4, 3, 2, 1) == 7 and out_size(4, 3, 2, 1, op=1) == 8
assert shrink(torch.zeros(1, 1, 7, 7)).shape == shrink(torch.zeros(1, 1, 8, 8)).shape

# %% [markdown]
# ## 5. Checkerboard artifacts
# In the 1-D example some outputs received two stamps and others one. In 2-D the unevenness
# multiplies across the axes. Feed a **constant** input of ones through kernels of ones: each
# output pixel then simply counts the stamps covering it.

# %%
ones = torch.ones(1, 1, 6, 6)
layouts = {"k=3, s=2 (k not divisible by s)": (3, 1, 1), "k=4, s=2, p=1 (DCGAN)": (4, 1, 0),
           "k=2, s=2 (no overlap)": (2, 0, 0)}
counts = {}
fig, axes = plt.subplots(1, 3, figsize=(12, 4.4), layout="constrained")
for ax, (title, (k, p, op)) in zip(axes, layouts.items()):
    counts[k] = F.conv_transpose2d(ones, torch.ones(1, 1, k, k), stride=2, padding=p, output_padding=op)[0, 0]
    ax.imshow(counts[k], cmap="viridis", vmin=0, vmax=4)
    for (r, col), n in zip(itertools.product(range(12), range(12)), counts[k].flatten()):
        ax.text(col, r, int(n), ha="center", va="center", fontsize=7, color="white" if n < 3 else "black")
    ax.set_title(title)
    ax.set_xlabel("output column")
    ax.set_ylabel("output row")
fig.suptitle("Stamps per output pixel for a constant 6x6 input (kernels of ones, 12x12 outputs)")
plt.show()

# %% [markdown]
# Away from the border (two pixels in), which stamp counts occur?

# %%
interior = {k: sorted(set(c[2:-2, 2:-2].flatten().int().tolist())) for k, c in counts.items()}
print("distinct interior values:", interior)
assert interior == {3: [1, 2, 4], 4: [4], 2: [1]}

# %% [markdown]
# With $k = 3, s = 2$ the interior alternates between 1, 2 and 4 stamps: a checkerboard, even
# though the input is perfectly flat. With $k = 4, s = 2$ every interior pixel gets exactly
# $2 \times 2$ stamps, so choosing a kernel divisible by the stride removes the *counting*
# problem; that is one reason DCGANs use (4, 2, 1).
#
# It does not remove the problem entirely: with a learned kernel, even and odd output pixels
# use *different* kernel entries (the "phases" $w_{0::2,\,0::2}$, $w_{0::2,\,1::2}$, ...). Unless
# the four phase sums are equal, a flat input still comes out as a periodic pattern, and the
# generator must learn to balance them. **Resize, then convolve** (Odena et al., 2016) has no
# phases at all: nearest-neighbour upsampling copies each pixel to a 2×2 block, then an ordinary
# stride-1 convolution treats every output pixel alike.

# %%
torch.manual_seed(1)
flat = torch.ones(1, 1, 6, 6)
random_k3 = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1, bias=False)
random_k4 = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False)
resize_conv = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(1, 1, 3, padding=1, bias=False))
with torch.no_grad():
    outputs = {"transposed k=3, s=2": random_k3(flat)[0, 0], "transposed k=4, s=2, p=1": random_k4(flat)[0, 0],
               "upsample x2 + conv k=3": resize_conv(flat)[0, 0]}
fig, axes = plt.subplots(1, 3, figsize=(12, 4.4), layout="constrained")
for ax, (title, out) in zip(axes, outputs.items()):
    image = ax.imshow(out, cmap="coolwarm")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(title)
    ax.set_xlabel("output column")
    ax.set_ylabel("output row")
fig.suptitle("Random kernels, constant 6x6 input: transposed convolutions leave a periodic pattern")
plt.show()

# %% [markdown]
# Compare the $k = 4$ layer's interior values with the sums of its four kernel phases:

# %%
w = random_k4.weight.detach()[0, 0]
phase_sums = sorted(w[a::2, b::2].sum().item() for a, b in itertools.product(range(2), range(2)))
middle = {name: out[2:-2, 2:-2] for name, out in outputs.items()}
k4_values = sorted({round(v, 4) for v in middle["transposed k=4, s=2, p=1"].flatten().tolist()})
print("k=4 phase sums             :", [round(v, 4) for v in phase_sums])
print("k=4 distinct interior values:", k4_values)
print("resize-convolve interior std:", f"{middle['upsample x2 + conv k=3'].std():.1e}")
assert torch.allclose(torch.tensor(k4_values), torch.tensor(phase_sums), atol=1e-4)
assert middle["upsample x2 + conv k=3"].std() < 1e-6

# %% [markdown]
# The four distinct interior values of the $k = 4$ layer are exactly its four phase sums, and
# the resized-then-convolved output is flat away from the border. Resize-convolve costs more
# arithmetic: its 3×3 kernel runs on the doubled grid, $3 \cdot 3 \cdot 4 = 36$ multiply-adds per input
# pixel and pair of channels against the transposed convolution's $4 \cdot 4 = 16$ ($2.25\times$, not
# timed here), and it is a good default for high-resolution generators. Our MNIST generator (section 7)
# keeps the classic (4, 2, 1) layers and borrows the other half of the idea: it ends with an
# ordinary stride-1 3×3 convolution at full resolution, which treats every output pixel alike.
#
# ## 6. Playground
# Move the sliders and watch the grid that recipe A convolves: blue inputs, white inserted
# zeros, grey padding, the red square one kernel window. Output size = grid size − kernel + 1.
# (When $p > k - 1$ the padding is negative: the dashed orange square shows the part kept.)

# %% tags=["nbval-ignore-output"]
def playground(input_size: int, kernel: int, stride: int, padding: int, output_padding: int) -> None:
    """Draw the zero-inserted grid for these settings and print the output size (checked by PyTorch)."""
    size = out_size(input_size, kernel, stride, padding, output_padding)
    if output_padding >= stride:
        print(f"output_padding must be smaller than the stride ({stride}): PyTorch refuses this layer.")
        return
    if size < 1:
        print(f"the formula gives {size}: no output pixels left, PyTorch refuses this layer.")
        return
    got = nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding)(torch.zeros(1, 1, input_size,
                                                                                      input_size)).shape[-1]
    print(f"H_out = ({input_size} - 1)*{stride} - 2*{padding} + ({kernel} - 1) + {output_padding} + 1 = {size}"
          f"   (PyTorch: {got})")
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    draw_zero_insertion(input_size, kernel, stride, padding, output_padding, ax)
    plt.show()


widgets.interactive(
    playground,
    input_size=widgets.IntSlider(value=3, min=1, max=6, description="input size"),
    kernel=widgets.IntSlider(value=4, min=1, max=6, description="kernel"),
    stride=widgets.IntSlider(value=2, min=1, max=4, description="stride"),
    padding=widgets.IntSlider(value=1, min=0, max=4, description="padding"),
    output_padding=widgets.IntSlider(value=0, min=0, max=3, description="output pad"),
)

# %% [markdown]
# # Part 2 · A DCGAN on MNIST
#
# ## 7. The networks
# The series' DCGAN family lives in `helpers.models` (notebook 04 uses the same classes for
# 64×64 cat faces). For 28×28 digits:
# * **G**: $z \in \mathbb{R}^{64}$, seen as a $64 \times 1 \times 1$ image → transposed conv
#   kernel 7 → $128 \times 7 \times 7$ → (4, 2, 1) → $64 \times 14 \times 14$ → (4, 2, 1) →
#   $16 \times 28 \times 28$ → an ordinary 3×3 convolution (stride 1, padding 1) → $1 \times 28 \times 28$.
#   Batch norm and ReLU after every layer but the last, **Tanh** at the end. No biases: batch
#   norm subtracts the mean right after, which would cancel them.
# * **D**: the mirror image with ordinary strided convolutions: (4, 2, 1) → $32 \times 14 \times 14$
#   → (4, 2, 1) → $64 \times 7 \times 7$ → kernel 7 → one logit. LeakyReLU(0.2), batch norm on all
#   but the first layer, **no pooling**: D learns its own downsampling.
#
# The last 3×3 layer (`refine=16` in `helpers.DCGANGenerator`; notebook 04's cats do without)
# is the one departure from the DCGAN paper's layout. Without it every output pixel is a linear
# mix of four 14×14 values through one of the four kernel phases of section 5, and no
# nonlinearity ever acts at full resolution; with it, the generator shapes strokes pixel by
# pixel. For the same number of steps it was the largest single gain in our measurements (the
# [benchmarks](../benchmarks/README.md) page has them).
#
# It is recipe `dcgan-mnist` of `helpers.recipes`, the same one the command line trains. Its
# layout, widths and learning rates (G $2\cdot10^{-3}$, D $10^{-3}$: G learns twice as fast) were
# chosen by a sweep of short runs. Like notebook 02's recipe it draws its samples from a moving
# average of the generator's weights, `dcgan.G_ema`.

# %%
images, labels = helpers.load_mnist(train=True)
images = images[: fast_or_full(2000, len(images))]
print(get_recipe("dcgan-mnist").summary())
dcgan = build("dcgan-mnist", device, seed=SEED, images=images)
print(dcgan.G)
print(dcgan.D)

# %% [markdown]
# A shape check, layer by layer, through both networks:

# %%
with torch.no_grad():
    h = dcgan.noise(16).view(16, -1, 1, 1)
    for layer in dcgan.G.net:
        h = layer(h)
        if isinstance(layer, (nn.ConvTranspose2d, nn.Conv2d)):
            print(f"G  {type(layer).__name__:<16} k={layer.kernel_size[0]} s={layer.stride[0]} "
                  f"p={layer.padding[0]} -> {tuple(h.shape[1:])}")
    for layer in dcgan.D.net:
        h = layer(h)
        if isinstance(layer, nn.Conv2d):
            print(f"D  {type(layer).__name__:<16} k={layer.kernel_size[0]} s={layer.stride[0]} "
                  f"p={layer.padding[0]} -> {tuple(h.shape[1:])}")
fc = build("vanilla-gan-mnist", device, seed=SEED, images=images)
print(f"parameters: DCGAN G {helpers.count_parameters(dcgan.G):,}, D {helpers.count_parameters(dcgan.D):,} | "
      f"notebook 02's GAN G {helpers.count_parameters(fc.G):,}, D {helpers.count_parameters(fc.D):,}")
assert h.shape == (16, 1, 1, 1)
assert 2.5 * helpers.count_parameters(dcgan.G) < helpers.count_parameters(fc.G)
assert 10 * helpers.count_parameters(dcgan.D) < helpers.count_parameters(fc.D)

# %% [markdown]
# The DCGAN has over 2.5× fewer parameters than notebook 02's fully connected GAN in the
# generator and over 10× fewer in the discriminator, because a convolution reuses one small
# kernel at every position. It does *more* arithmetic per image for the same reason: every
# kernel is applied at every position, and on a CPU that arithmetic is what costs time.
#
# ## 8. The DCGAN initialisation, and why
# The DCGAN paper initialises every convolution weight from $\mathcal{N}(0, 0.02^2)$ and batch
# norm scales from $\mathcal{N}(1, 0.02^2)$ (`helpers.dcgan_init`, applied by the recipe). Why not
# PyTorch's default? Look at what the default does to the last layer of the classic DCGAN
# generator (our recipe's layout without the 3×3 layer).

# %%
def classic_generator(init: bool) -> nn.Module:
    """The paper's layout for 28x28 digits (no 3x3 layer), with PyTorch's default or the DCGAN init."""
    G = helpers.DCGANGenerator(latent_dim=64, channels=1, image_size=28, width=64)
    return (G.apply(helpers.dcgan_init) if init else G).to(device)


torch.manual_seed(SEED)
G_default, G_dcgan = classic_generator(init=False), classic_generator(init=True)
G_recipe_default = get_recipe("dcgan-mnist").networks()[0].to(device)  # our layout, default init
z = dcgan.noise(512)
with torch.no_grad():
    x_default, x_dcgan, x_recipe_default = G_default(z), G_dcgan(z), G_recipe_default(z)
for name, G in (("default init", G_default), ("DCGAN init", G_dcgan)):
    stds = [f"{m.weight.std():.3f}" for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    print(f"{name:<13} weight std per layer {stds}")
saturated = {name: (x.abs() > 0.9).float().mean().item()
             for name, x in (("default", x_default), ("DCGAN", x_dcgan), ("ours, default", x_recipe_default))}
print(f"pixels beyond +-0.9 before training: default init {saturated['default']:.1%}, "
      f"DCGAN init {saturated['DCGAN']:.1%}; our layout with the default init {saturated['ours, default']:.1%}")
assert saturated["default"] > 0.05 and saturated["DCGAN"] < 0.01 and saturated["ours, default"] < 0.01

# %% [markdown]
# PyTorch computes a transposed convolution's default scale from the weight's second dimension,
# which for `ConvTranspose2d` is the number of *output* channels. The last layer has one output
# channel, so its weights get a large spread ($\approx 0.14$), the 64 channels it sums add up to large
# values, and the Tanh starts **saturated**: many pixels stuck at ±1, where the gradient of Tanh
# is nearly zero. With $\mathcal{N}(0, 0.02^2)$ everywhere, G starts with faint grey images in
# the Tanh's linear range, and D's first and last layers (no batch norm there) produce moderate
# logits, so neither player wins the first epoch outright. For layers followed by batch norm the
# weight scale hardly changes the forward pass (batch norm rescales it), but with Adam, whose
# steps have a fixed size near the learning rate, it sets how fast those weights move
# *relative to their size*.
#
# Our recipe's last layer is an ordinary `Conv2d`, whose default scale comes from its
# $16 \cdot 3 \cdot 3 = 144$ *inputs*: it would not saturate the Tanh even with the default
# initialisation (last number above). The recipe applies the DCGAN initialisation anyway, to
# every layer, as the paper does.

# %%
show_image_grids({"default init": to_unit(x_default[:36]), "DCGAN init": to_unit(x_dcgan[:36])}, nrow=6,
                 title="The untrained classic generator's images")
plt.show()

# %% [markdown]
# ## 9. Training
# The same training loop as notebook 02: `dcgan.fit` runs `helpers.train_step` over the batches,
# with the recipe's settings (the moving average of G and, where the CPU has them, the two speed
# settings below); a `SampleRecorder` keeps the fixed-noise samples of the averaged generator after
# every epoch.
#
# *A note on speed, which you can skip.* Some CPUs (this one: AVX512-BF16 instructions; recent Intel Xeons: AMX)
# compute fast in **bfloat16**, a 16-bit float with float32's range and fewer digits. Under *bf16
# autocast* PyTorch runs the convolutions in bfloat16 and keeps the weights, their updates and the
# losses in float32, which is precise enough for training. The **channels_last** memory layout stores
# each pixel's channels next to each other (NHWC instead of NCHW), the order these CPU kernels read
# fastest. Together they make the DCGAN train faster here (the [benchmarks](../benchmarks/README.md)
# page measures by how much); on other CPUs the recipe stays in float32, and on a GPU the device's own
# choice applies (notebook 04).

# %% tags=["nbval-ignore-output"]
EPOCHS = fast_or_full(1, 4)
fixed_noise = dcgan.noise(64)
recorder = SampleRecorder(dcgan.G_ema, fixed_noise)
history = dcgan.fit(epochs=EPOCHS, callbacks=[recorder])
print(history.summary())
print(f"{history.steps / history.seconds:.1f} steps/s, {history.seconds / EPOCHS:.0f} s per epoch")

# %%
plot_history(history, smooth=fast_or_full(5, 100), title="DCGAN on MNIST")
plt.show()

# %% tags=["nbval-ignore-output"]
HTML(animate(recorder.frames, [f"epoch {e}" for e in recorder.epochs]))

# %% [markdown]
# The same frames as a still picture, for viewers that do not run JavaScript (GitHub):

# %% tags=["nbval-ignore-output"]
show_frames(recorder.frames, [f"epoch {e}" for e in recorder.epochs])
plt.show()

# %% [markdown]
# ## 10. DCGAN versus the fully connected GAN
# Now notebook 02's GAN (recipe `vanilla-gan-mnist`) trains in two legs: first **the same
# number of epochs** as the DCGAN (we keep a copy of its generator there), then on until it has
# used **the same CPU time** the DCGAN used. One run answers both questions: which GAN learns
# more *per epoch* (per image seen), and which learns more *per CPU second*?

# %% tags=["nbval-ignore-output"]
fc_first = fc.fit(epochs=EPOCHS)
fc_G_same_epochs = copy.deepcopy(fc.G_ema)  # the averaged generator the recipe samples from
remaining = history.seconds - fc_first.seconds  # the second leg continues with the same optimizers
fc_rest = fc.fit(max_seconds=remaining) \
    if remaining > 1 else helpers.History()
fc_epochs = EPOCHS + fc_rest.steps / len(fc.data)
print(f"DCGAN: {EPOCHS} epochs in {history.seconds:.0f} s | fully connected GAN: {EPOCHS} epochs in "
      f"{fc_first.seconds:.0f} s, {fc_epochs:.1f} epochs in {fc_first.seconds + fc_rest.seconds:.0f} s")


# %% tags=["nbval-ignore-output"]
def generate(G: nn.Module, setup: Setup, n: int) -> torch.Tensor:
    """``n`` samples of ``G`` in [0, 1] on the CPU (eval mode, the recipe's noise, fixed seed)."""
    return helpers.draw_samples(G, setup.noise, n, batch_size=500)


N_SCORE = fast_or_full(2000, 10000)
generated = {"DCGAN": generate(dcgan.G_ema, dcgan, N_SCORE),
             f"FC GAN, same epochs ({EPOCHS})": generate(fc_G_same_epochs, fc, N_SCORE),
             f"FC GAN, same time ({fc_epochs:.1f} ep.)": generate(fc.G_ema, fc, N_SCORE)}
scores = {name: mnist_scores(x) for name, x in generated.items()}
print(f"{'':<28} {'Fréchet':>8} {'entropy':>8} {'confidence':>11}")
for name, s in scores.items():
    print(f"{name:<28} {s['frechet_distance']:8.2f} {s['class_entropy']:8.3f} {s['mean_confidence']:11.3f}")
fd = [s["frechet_distance"] for s in scores.values()]
print(f"per epoch: the FC GAN's distance is {fd[1] / fd[0]:.1f}x the DCGAN's; "
      f"per second: {fd[2] / fd[0]:.1f}x")
if FAST:
    print("FAST mode: too little training for the quality assertions; skipped")
else:
    assert fd[1] > 2 * fd[0], "per epoch the DCGAN should be at least 2x ahead"
    assert scores["DCGAN"]["class_entropy"] > 2.2, "all ten digits should appear"

# %%
show_image_grids({name: x[:64] for name, x in generated.items()},
                 title="DCGAN vs fully connected GAN (notebook 02) on the same CPU")
plt.show()

# %% [markdown]
# **Reading the numbers.** The last line above holds the lesson:
# * *Per epoch* (per image seen) the DCGAN is far ahead; the cell asserts at least 2× in a full run.
#   Convolutions share one kernel across positions and know that neighbouring pixels belong
#   together, so every image teaches them more. If data or epochs are the limit, or a GPU makes
#   convolutions cheap, the DCGAN is the better buy.
# * *Per CPU second* the race is closer: the fully connected GAN gets through almost twice as many
#   epochs in the same time (printed above), because a convolution applies every kernel at every
#   position. In this short run the DCGAN stayed ahead at equal time too; in the longer runs of the
#   benchmarks page the fully connected GAN draws level.
#
# Longer runs (ten minutes per recipe), the DCGAN of the source article, and how this recipe was found
# (dozens of variants scored after every epoch) are on the [benchmarks](../benchmarks/README.md) page.
#
# ## Summary
# * A transposed convolution is an ordinary convolution run "backwards": insert $s - 1$ zeros
#   between inputs, pad by $k - 1 - p$, convolve with the flipped kernel. Equivalently, each input
#   stamps a scaled kernel into the output, and the whole operator is the transpose $C^\top$ of a
#   strided convolution, the very operation backpropagation applies.
# * $H_\text{out} = (H_\text{in} - 1)s - 2p + d(k - 1) + o + 1$; kernel 4, stride 2, padding 1 doubles.
# * When the kernel size is not a multiple of the stride, output pixels receive different
#   numbers of stamps: checkerboard patterns. Even kernels fix the counting, not the learned
#   imbalance between phases; resize-then-convolve avoids both.
# * A DCGAN replaces the fully connected layers by (transposed) convolutions with batch norm,
#   ReLU/LeakyReLU and no pooling, initialised from $\mathcal{N}(0, 0.02^2)$. One 3×3 convolution
#   at full resolution after the last transposed convolution was our generator's largest gain.
#   Per epoch the DCGAN learns far better digits; per CPU second the cheap fully connected GAN
#   keeps up much better, and on MNIST it draws level in longer runs.
#
# ## Exercises
# 1. Replace the generator's (4, 2, 1) layers by `nn.Upsample(scale_factor=2)` + `nn.Conv2d(k=3, p=1)`.
#    Do the samples change? Does the training time per epoch?
# 2. Train `dcgan-mnist` without the DCGAN initialisation for two epochs,
#    `build(dataclasses.replace(get_recipe("dcgan-mnist"), dcgan_init=False), device, images=images)`,
#    and compare the Fréchet distance with the recipe's own init. (A worked solution:
#    [`solutions/03_transposed_convolutions.py`](../solutions/03_transposed_convolutions.py).)
# 3. In the playground, find two different settings that turn a 7×7 map into 14×14. Which one
#    has uneven overlap?
# 4. Compare two recipes from the command line:
#    `python -m helpers train dcgan-mnist --max-seconds 300 --out runs/dcgan`, the same for
#    `article-dcgan-mnist` into `runs/article`, then `python -m helpers sample runs/dcgan --out dcgan.npy`
#    (and `article.npy`) and `python -m helpers score dcgan.npy`. Which is ahead after the same time?
#
# Next: notebook 04 grows the same DCGAN family to 64×64 colour images of cat faces.

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {(time.perf_counter() - notebook_start) / 60:.1f} min on {helpers.infra.env.device_name(device)}")
