"""Notebook 07, exercise 1: the original WGAN (weight clipping) against WGAN-GP, for the same time.

Both train recipe `wgan-gp-mnist`'s networks from the same initial weights, with five critic updates per
generator update. The original WGAN clips every critic weight into [-0.01, 0.01] after each update and uses
RMSprop at 5e-5 with no penalty (Arjovsky et al., 2017); WGAN-GP is the recipe as `fit` trains it. Then
10,000 samples of each latest generator are scored (Fréchet distance, effective classes), and the share of
the clipped critic's weights that sit at the clipping bound is printed. Run it as

    python solutions/07_wasserstein_gan_gp.py --seconds 120

(`GAN_FAST=1` shrinks the data and the sample count for a quick check.)
"""

from __future__ import annotations

import argparse
import time

import torch

import helpers
from helpers import build, fast_or_full

CLIP = 0.01


def train_clipped(setup: helpers.recipes.Setup, seconds: float) -> int:
    """The original WGAN on ``setup``'s networks and batches for ``seconds``; returns the generator steps."""
    G, critic, noise = setup.G, setup.D, setup.noise
    opt_c = torch.optim.RMSprop(critic.parameters(), lr=5e-5)
    opt_g = torch.optim.RMSprop(G.parameters(), lr=5e-5)
    n_critic, steps, start = setup.recipe.wgan_gp.n_critic, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for real in setup.data:
            for part in real.chunk(n_critic):
                loss_c = critic(G(noise(len(part))).detach()).mean() - critic(part).mean()
                opt_c.zero_grad()
                loss_c.backward()
                opt_c.step()
                for w in critic.parameters():
                    w.data.clamp_(-CLIP, CLIP)
            loss_g = -critic(G(noise(len(part)))).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            steps += 1
            if time.perf_counter() - start >= seconds:
                break
    return steps


def main(seconds: float) -> None:
    device = helpers.get_device()
    images, _ = helpers.load_mnist(train=True)
    images = images[: fast_or_full(2000, None)]
    n = fast_or_full(2000, 10000)
    clipped = build("wgan-gp-mnist", device, seed=0, images=images)
    steps = train_clipped(clipped, seconds)
    weights = torch.cat([p.detach().flatten() for p in clipped.D.parameters() if p.dim() > 1])
    pinned = (weights.abs() > 0.99 * CLIP).float().mean().item()
    penalised = build("wgan-gp-mnist", device, seed=0, images=images)
    history = penalised.fit(max_seconds=seconds, progress=False)
    for name, setup, count in (("weight clipping", clipped, steps), ("gradient penalty", penalised, history.steps)):
        scores = helpers.mnist_scores(helpers.draw_samples(setup.G, setup.noise, n))
        print(
            f"{name:<16} {count:5d} generator steps: Fréchet distance {scores['frechet_distance']:7.1f}, "
            f"{scores['effective_classes']:.2f} effective classes"
        )
    print(f"clipped critic: {pinned:.0%} of its weights at ±{CLIP} (within 1 %)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120, help="training time per variant")
    main(parser.parse_args().seconds)
