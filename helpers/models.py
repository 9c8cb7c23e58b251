"""The networks of the series: fully connected and DCGAN generators/discriminators, and their conditional
versions (notebook 06), which take a class label too.

Discriminators return *logits* (no sigmoid): the loss applies the sigmoid inside
``binary_cross_entropy_with_logits``, which is numerically stable and safe under
mixed precision. ``torch.sigmoid(D(x))`` is the probability "x is real".
"""

from __future__ import annotations

import math

import torch
from torch import nn


class MLPGenerator(nn.Module):
    """z -> hidden layers (LeakyReLU) -> image in [-1, 1] (Tanh).

    ``hidden=(100,)`` is the source article's tiny generator; the series' recipe uses
    wider, deeper layers with batch norm, which learn clean digits far sooner.
    """

    def __init__(
        self,
        latent_dim: int = 64,
        hidden: tuple[int, ...] = (256, 512, 1024),
        image_shape: tuple[int, int, int] = (1, 28, 28),
        batch_norm: bool = True,
        leak: float = 0.2,
    ) -> None:
        super().__init__()
        self.latent_dim, self.image_shape = latent_dim, image_shape
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.LeakyReLU(leak))
            width = h
        layers += [nn.Linear(width, math.prod(image_shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Latent vectors ``(N, latent_dim)`` (or ``(N, latent_dim, 1, 1)``) -> images ``(N, C, H, W)`` in [-1, 1]."""
        return self.net(z.flatten(1)).view(-1, *self.image_shape)


class MLPDiscriminator(nn.Module):
    """Image -> hidden layers (LeakyReLU + dropout) -> one logit.

    Two stabilisers, both off by default (notebook 05 measures them):
    ``spectral_norm=True`` divides each linear layer's weight by its largest singular
    value (``torch.nn.utils.parametrizations.spectral_norm``), which bounds how steeply
    D can change with its input; ``input_noise=s`` adds N(0, s^2) "instance noise" to
    every input image while training (not in eval mode), which blurs the boundary
    between real and fake so D cannot become certain too early.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (1, 28, 28),
        hidden: tuple[int, ...] = (512, 256),
        dropout: float = 0.3,
        leak: float = 0.2,
        spectral_norm: bool = False,
        input_noise: float = 0.0,
    ) -> None:
        super().__init__()
        if input_noise < 0:
            raise ValueError(f"input_noise is a standard deviation, got {input_noise}")
        self.input_noise = input_noise

        def linear(n_in: int, n_out: int) -> nn.Module:
            layer = nn.Linear(n_in, n_out)
            return nn.utils.parametrizations.spectral_norm(layer) if spectral_norm else layer

        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(image_shape)
        for h in hidden:
            layers += [linear(width, h), nn.LeakyReLU(leak), nn.Dropout(dropout)]
            width = h
        layers.append(linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: images ``(N, C, H, W)`` in [-1, 1] -> logits ``(N,)`` (``torch.sigmoid`` gives P(real))."""
        if self.training and self.input_noise > 0:
            x = x + self.input_noise * torch.randn_like(x)
        return self.net(x).view(-1)


def _dcgan_plan(image_size: int) -> tuple[int, int]:
    """Split ``image_size`` into ``start * 2**doublings`` with ``start`` in 4..7.

    64 -> (4, 4): 4x4 grown to 64x64 by four stride-2 layers; 28 -> (7, 2). This is
    what lets one family serve both 28x28 MNIST and 64x64 cats.
    """
    start, doublings = image_size, 0
    while start > 7 and start % 2 == 0:
        start, doublings = start // 2, doublings + 1
    if not 4 <= start <= 7 or doublings == 0:
        raise ValueError(f"image_size={image_size} must be 4..7 times a power of two (e.g. 28, 32, 64, 128).")
    return start, doublings


class DCGANGenerator(nn.Module):
    """DCGAN generator: z (as 1x1 feature map) -> transposed convolutions -> image.

    The first layer grows 1x1 to ``start x start`` (kernel ``start``, stride 1); each
    following (4, 2, 1) transposed convolution doubles the size while halving the
    channels, down to ``width`` before the last layer. Batch norm + ReLU everywhere
    except the Tanh output; no biases (batch norm would cancel them).

    ``refine=c > 0`` makes the last transposed convolution output ``c`` feature maps
    (batch norm, ReLU) and adds a 3x3 stride-1 convolution to the image. Why: in the
    classic layout every output pixel is a linear mix of four input pixels through one
    of four kernel "phases" (notebook 03, section 5), with no nonlinearity at full
    resolution; the stride-1 convolution treats all pixels alike and can shape strokes
    pixel by pixel. On MNIST it cut the Fréchet distance reached in the same number of
    steps by a third after 4 epochs and by half after 9 (notebook 03, section 11).
    """

    def __init__(
        self, latent_dim: int = 128, channels: int = 3, image_size: int = 64, width: int = 64, refine: int = 0
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        start, doublings = _dcgan_plan(image_size)
        chans = [width * 2**i for i in reversed(range(doublings))]  # e.g. 512, 256, 128, 64
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, chans[0], start, 1, 0, bias=False),
            nn.BatchNorm2d(chans[0]),
            nn.ReLU(True),
        ]
        for c_in, c_out in zip(chans, chans[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        if refine:
            layers += [
                nn.ConvTranspose2d(chans[-1], refine, 4, 2, 1, bias=False),
                nn.BatchNorm2d(refine),
                nn.ReLU(True),
                nn.Conv2d(refine, channels, 3, 1, 1, bias=False),
                nn.Tanh(),
            ]
        else:
            layers += [nn.ConvTranspose2d(chans[-1], channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Latent vectors ``(N, latent_dim)`` (or ``(N, latent_dim, 1, 1)``) -> images ``(N, C, H, W)`` in [-1, 1]."""
        return self.net(z.view(len(z), self.latent_dim, 1, 1))


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: strided convolutions (no pooling) -> one logit.

    Mirrors the generator: each (4, 2, 1) convolution halves the size and doubles
    the channels; batch norm on all but the first; LeakyReLU(0.2); a last
    ``start x start`` convolution reduces the map to one number.

    ``batch_norm=False`` leaves batch norm out (and gives the convolutions biases instead): a Wasserstein
    critic with gradient penalty (notebook 07) needs each image's score to depend on that image alone.
    """

    def __init__(self, channels: int = 3, image_size: int = 64, width: int = 64, batch_norm: bool = True) -> None:
        super().__init__()
        start, doublings = _dcgan_plan(image_size)
        chans = [width * 2**i for i in range(doublings)]  # e.g. 64, 128, 256, 512
        bias = not batch_norm  # batch norm would cancel a bias
        layers: list[nn.Module] = [nn.Conv2d(channels, chans[0], 4, 2, 1, bias=bias), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(chans, chans[1:]):
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=bias))
            layers += [nn.BatchNorm2d(c_out)] if batch_norm else []
            layers.append(nn.LeakyReLU(0.2, True))
        layers.append(nn.Conv2d(chans[-1], 1, start, 1, 0, bias=bias))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: images ``(N, C, H, W)`` in [-1, 1] -> logits ``(N,)`` (``torch.sigmoid`` gives P(real))."""
        return self.net(x).view(-1)


class ArticleDCGANGenerator(nn.Module):
    """The source article's MNIST DCGAN generator, kept for comparison (notebook 03).

    It does not fit the (4, 2, 1) family above: z (1x1) -> 4x4 (kernel 4, stride 1) ->
    7x7 (kernel 3, stride 2, padding 1) -> 14x14 -> 28x28 (kernel 4, stride 2, padding 1),
    channels ``latent_dim -> 4w -> 2w -> w -> 1`` with ``w = width`` (the article: 100, 32).
    Batch norm and LeakyReLU(0.2) between layers, Tanh out, no biases.
    """

    def __init__(self, latent_dim: int = 100, width: int = 32) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        layers: list[nn.Module] = []
        for c_in, c_out, k, s, p in (
            (latent_dim, 4 * width, 4, 1, 0),
            (4 * width, 2 * width, 3, 2, 1),
            (2 * width, width, 4, 2, 1),
        ):
            layers += [nn.ConvTranspose2d(c_in, c_out, k, s, p, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]
        layers += [nn.ConvTranspose2d(width, 1, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Latent vectors ``(N, latent_dim)`` (or ``(N, latent_dim, 1, 1)``) -> images ``(N, C, H, W)`` in [-1, 1]."""
        return self.net(z.view(len(z), self.latent_dim, 1, 1))


class ArticleDCGANDiscriminator(nn.Module):
    """The source article's MNIST DCGAN discriminator, returning a logit (no sigmoid).

    28x28 -> 14 -> 7 (kernel 4, stride 2, padding 1) -> 4 (kernel 3, stride 2,
    padding 1) -> 1 (kernel 4), channels ``1 -> w -> 2w -> 4w -> 1``; batch norm on
    all but the first, LeakyReLU(0.2), no biases.
    """

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 3, 2, 1, bias=False),
            nn.BatchNorm2d(4 * width),
            nn.LeakyReLU(0.2),
            nn.Conv2d(4 * width, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: images ``(N, C, H, W)`` in [-1, 1] -> logits ``(N,)`` (``torch.sigmoid`` gives P(real))."""
        return self.net(x).view(-1)


class ConditionalGenerator(nn.Module):
    """A generator that is told which class to draw: ``G(z, labels)``.

    The label is looked up in a learned table (``nn.Embedding``: one ``embed_dim``-vector per class) and
    concatenated with ``z``; ``base`` is any generator of the series built for ``latent_dim + embed_dim``
    inputs (``MLPGenerator``, ``DCGANGenerator``). The network itself does not change: its first layer
    simply sees a few more numbers, some of which say "a 7". A learned vector rather than a one-hot
    one lets classes that share strokes (4 and 9) get similar inputs, and costs ``num_classes * embed_dim``
    weights. Raises ``ValueError`` when ``base`` does not take ``latent_dim + embed_dim`` inputs.
    """

    def __init__(self, base: nn.Module, latent_dim: int, num_classes: int = 10, embed_dim: int = 10) -> None:
        super().__init__()
        if getattr(base, "latent_dim", latent_dim + embed_dim) != latent_dim + embed_dim:
            raise ValueError(
                f"base takes {base.latent_dim} inputs, but z ({latent_dim}) and the label's vector ({embed_dim}) "
                f"make {latent_dim + embed_dim}: build it with latent_dim={latent_dim + embed_dim}."
            )
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.base = base

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``z`` ``(N, latent_dim)`` and integer ``labels`` ``(N,)`` in ``0..num_classes-1`` -> images
        ``(N, C, H, W)`` in [-1, 1], image i of class ``labels[i]``."""
        return self.base(torch.cat([z.flatten(1), self.embed(labels)], dim=1))


class ProjectionDiscriminator(nn.Module):
    """A discriminator that judges "a real image *of this class*": ``D(x, labels)`` (Miyato & Koyama, 2018).

    ``base`` is a series discriminator whose ``net`` ends in the layer that turns its features into the logit
    (``MLPDiscriminator``, ``DCGANDiscriminator``). With ``phi(x)`` the features before that layer, flattened,
    and ``e_y`` a learned vector per class of the same length,

        ``D(x, y) = head(phi(x)) + e_y . phi(x)``:

    the shared head asks "does this look like a real digit?", the inner product "does it look like *this*
    digit?". The label meets D's features at the end, where they describe shapes, rather than the pixels at
    the input; the class vectors start at zero, so D starts out as ``base``. ``image_shape``: ``(C, H, W)``
    of the images, to size the class vectors. Only ``base.net`` is used, not ``base.forward`` (so not an
    ``MLPDiscriminator``'s instance noise).
    """

    def __init__(self, base: nn.Module, num_classes: int = 10, image_shape: tuple[int, int, int] = (1, 28, 28)) -> None:
        super().__init__()
        self.features, self.head = base.net[:-1], base.net[-1]
        with torch.no_grad():
            width = self.features.eval()(torch.zeros(2, *image_shape)).flatten(1).shape[1]
        self.features.train()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, width)
        nn.init.zeros_(self.embed.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``x``: images ``(N, C, H, W)`` in [-1, 1], integer ``labels`` ``(N,)`` -> logits ``(N,)``."""
        phi = self.features(x)
        return self.head(phi).view(-1) + (self.embed(labels) * phi.flatten(1)).sum(1)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN paper initialisation: conv weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02).

    Use as ``model.apply(dcgan_init)``. Small, centred weights keep the first
    updates of both networks gentle, so neither wins outright in the first epoch.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters, for the shape-check cells."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def layer_widths(net: nn.Module) -> str:
    """The widths ``net``'s layers map between, one run per kind of layer, in the order they are defined.

    Features for ``nn.Linear``, channels for ``nn.Conv2d``/``nn.ConvTranspose2d``, e.g.
    ``"Linear 64-256-512-1024-784"`` or ``"ConvTranspose2d 64-128-64-16, Conv2d 16-1"``: read off the
    network itself, so a recipe's description never restates a number its code holds.
    """
    runs: list[tuple[str, list[int]]] = []
    for module in net.modules():
        if isinstance(module, nn.Linear):
            width_in, width_out = module.in_features, module.out_features
        elif isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            width_in, width_out = module.in_channels, module.out_channels
        else:
            continue
        kind = type(module).__name__
        if runs and runs[-1][0] == kind and runs[-1][1][-1] == width_in:
            runs[-1][1].append(width_out)
        else:
            runs.append((kind, [width_in, width_out]))
    return ", ".join(f"{kind} {'-'.join(map(str, widths))}" for kind, widths in runs)
