"""The conditional GAN (notebook 06): the label in both networks, labelled batches, the steps and fit with labels,
sampling by class, and the class-agreement scores."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from testkit import flat

from helpers import (
    EpochEnd,
    History,
    SampleRecorder,
    TensorBatches,
    build,
    draw_samples,
    fit,
    get_recipe,
    load_mnist,
    to_unit,
    train_step,
)
from helpers.cli.commands import main
from helpers.models import ConditionalGenerator, MLPDiscriminator, MLPGenerator, ProjectionDiscriminator
from helpers.sampling import Noise, class_labels, recalibrate_batch_norm
from helpers.scores.mnist import conditional_scores
from helpers.viz import grid_array

#: Image i is filled with the pixel value 20 * label: a batch's labels can be read off its images.
LABELS = torch.arange(40) % 10
IMAGES = (LABELS * 20).to(torch.uint8).view(-1, 1, 1, 1).expand(-1, 1, 4, 4).contiguous()


def tiny(seed: int = 0) -> tuple:
    torch.manual_seed(seed)
    G = ConditionalGenerator(MLPGenerator(8 + 3, (16,), image_shape=(1, 4, 4)), 8, embed_dim=3)
    D = ProjectionDiscriminator(MLPDiscriminator((1, 4, 4), hidden=(16,), dropout=0.2), image_shape=(1, 4, 4))
    data = TensorBatches(IMAGES, 8, seed=seed, labels=LABELS)
    return G, D, data, torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)


def train(G, D, data, opt_g, opt_d, **options):  # noqa: ANN001, ANN201
    """``fit`` of the labelled training step, as the recipes run it."""

    def step(batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        return train_step(G, D, batch[0], Noise(8, "cpu"), opt_g, opt_d, labels=batch[1])

    return fit(step, data, state={"G": G, "D": D, "opt_g": opt_g, "opt_d": opt_d}, progress=False, **options)


def test_the_label_changes_what_g_draws_and_how_d_judges() -> None:
    G, D, *_ = tiny()
    z = torch.randn(1, 8).expand(10, 8)
    images = G.eval()(z, torch.arange(10))
    assert images.shape == (10, 1, 4, 4) and (images[1:] - images[0]).abs().amax() > 0  # one z, ten images
    x = torch.rand(10, 1, 4, 4)
    D.eval()
    unconditional = D.head(D.features(x)).view(-1)
    assert torch.equal(D(x, torch.arange(10)), unconditional)  # the class vectors start at zero
    with torch.no_grad():
        D.embed.weight.normal_()
    assert not torch.allclose(D(x, torch.zeros(10, dtype=torch.long)), D(x, torch.ones(10, dtype=torch.long)))


def test_a_base_generator_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="latent_dim=11"):
        ConditionalGenerator(MLPGenerator(8, (16,), image_shape=(1, 4, 4)), 8, embed_dim=3)


def test_labelled_batches_keep_each_label_with_its_image() -> None:
    data = TensorBatches(IMAGES, 8, labels=LABELS)
    for images, labels in data:
        assert torch.equal(((images[:, 0, 0, 0] + 1) * 127.5).round().long(), labels * 20)
    drawn = data.draw_labels(1000)
    assert set(drawn.tolist()) == set(range(10))
    with pytest.raises(ValueError, match="no labels"):
        TensorBatches(IMAGES, 8).draw_labels(3)


@pytest.mark.parametrize(
    ("labels", "message"),
    [(LABELS.float(), "integer torch tensor"), (LABELS[:-1], "one per image"), (LABELS - 1, ">= 0")],
)
def test_bad_labels_are_refused(labels: torch.Tensor, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TensorBatches(IMAGES, 8, labels=labels)


def test_the_fakes_are_drawn_for_the_real_batchs_labels() -> None:
    G, D, data, opt_g, opt_d = tiny()
    asked: list[torch.Tensor] = []
    judged: list[torch.Tensor] = []
    G.register_forward_pre_hook(lambda _, args: asked.append(args[1]))
    D.register_forward_pre_hook(lambda _, args: judged.append(args[1]))
    real, labels = next(iter(data))
    train_step(G, D, real, Noise(8, "cpu"), opt_g, opt_d, labels=labels)
    assert len(asked) == 1 and torch.equal(asked[0], labels)
    assert len(judged) == 3 and all(torch.equal(j, labels) for j in judged)  # real, fake for D; fake for G


def test_fit_trains_a_conditional_gan_and_resumes_exactly(tmp_path) -> None:
    G, D, data, opt_g, opt_d = tiny()
    train(G, D, data, opt_g, opt_d, epochs=3)
    expected = flat(G), flat(D)
    G, D, data, opt_g, opt_d = tiny()
    ckpt = tmp_path / "c.pt"
    train(G, D, data, opt_g, opt_d, epochs=1, checkpoint=ckpt)
    G, D, data, opt_g, opt_d = tiny()
    train(G, D, data, opt_g, opt_d, epochs=3, checkpoint=ckpt, resume=True)
    assert torch.equal(flat(G), expected[0]) and torch.equal(flat(D), expected[1])


@pytest.mark.parametrize("training", [True, False], ids=["was-training", "was-eval"])
def test_recalibrating_a_conditional_generator_gives_its_modes_back(training: bool) -> None:
    """Before, recalibrate_batch_norm(G, ..., labels=...) restored the mode of its temporary wrapper, not G's:
    a conditional G in eval mode came back in train mode."""
    G, *_ = tiny()
    G.train(training)
    recalibrate_batch_norm(G, Noise(8, "cpu"), 8, labels=lambda n: class_labels(n, 10))
    assert all(m.training is training for m in G.modules())


def test_draw_samples_by_class_and_batch_norm_from_the_training_labels() -> None:
    G, *_ = tiny()
    noise = Noise(8, "cpu")
    recalibrate_batch_norm(G, noise, 8, labels=lambda n: class_labels(n, 10))
    labels = class_labels(25, 10)
    assert labels.tolist()[:12] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    images = draw_samples(G, noise, 25, labels=labels, batch_size=10)
    again = draw_samples(G, noise, 25, labels=labels)  # the batch size changes nothing
    assert images.shape == (25, 1, 4, 4) and torch.allclose(images, again, atol=1e-6)
    with pytest.raises(ValueError, match="one class per sample"):
        draw_samples(G, noise, 25, labels=labels[:5])


def test_build_gives_a_conditional_recipe_labelled_batches_and_refuses_missing_labels() -> None:
    images, labels = load_mnist()
    setup = build("cgan-mnist", images=images[:256], labels=labels[:256])
    batch_images, batch_labels = next(iter(setup.data))
    assert batch_images.shape == (setup.recipe.batch_size, 1, 28, 28) and batch_labels.dtype == torch.long
    assert "conditional" in setup.recipe.summary()
    with pytest.raises(ValueError, match="pass labels"):
        build("cgan-mnist", images=images[:256])
    with pytest.raises(ValueError, match="takes no labels"):
        build("dcgan-mnist", images=images[:256], labels=labels[:256])
    with pytest.raises(ValueError, match="classes 0..9"):
        build("cgan-mnist", images=images[:256], labels=labels[:256] + 5)
    cats = dataclasses.replace(get_recipe("cgan-mnist"), dataset="cats")
    with pytest.raises(ValueError, match="no class labels"):
        build(cats, limit=64)


def test_real_digits_agree_with_their_true_labels_and_not_with_shuffled_ones() -> None:
    images, labels = load_mnist(train=False)
    images, labels = images[:1000], labels[:1000]
    true = conditional_scores(images, labels)
    assert true["class_agreement"] > 0.97 and min(true["class_agreement_per_class"]) > 0.9
    assert sum(true["n_per_class"]) == 1000
    shuffled = conditional_scores(images, labels[torch.randperm(1000, generator=torch.Generator().manual_seed(0))])
    assert 0.05 < shuffled["class_agreement"] < 0.16
    # a digit's samples lie nearer its own real digits than another digit's
    fives_as_threes = labels.clone()
    fives_as_threes[labels == 5] = 3
    swapped = conditional_scores(images, fives_as_threes)
    assert swapped["frechet_distance_per_class"][3] > 3 * true["frechet_distance_per_class"][3]
    assert swapped["frechet_distance_per_class"][5] is None and swapped["n_per_class"][5] == 0


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (torch.full((10,), 0.5), "whole numbers"),
        (torch.zeros(9, dtype=torch.long), "one per image"),
        (torch.full((10,), 10), "digits 0-9"),
    ],
)
def test_conditional_scores_refuse_bad_classes(labels: torch.Tensor, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        conditional_scores(torch.rand(10, 1, 28, 28), labels)


def test_cli_samples_a_conditional_run_by_class_and_scores_the_agreement(tmp_path, capsys, cli_error) -> None:
    run, samples = tmp_path / "run", tmp_path / "s.npy"
    main(["train", "cgan-mnist", "--epochs", "1", "--limit", "128", "--quiet", "--out", str(run)])
    main(["sample", str(run), "--n", "30", "--out", str(samples)])
    assert "image i is of class i mod 10" in capsys.readouterr().out
    classes = tmp_path / "s.classes.npy"
    assert np.load(classes).tolist() == [i % 10 for i in range(30)]
    main(["score", str(samples)])
    scores = json.loads(capsys.readouterr().out)
    assert scores["requested_classes"] == str(classes) and scores["n"] == 30
    assert 0 <= scores["class_agreement"] <= 1 and len(scores["frechet_distance_per_class"]) == 10

    np.save(classes, np.arange(29) % 10)
    assert "does not fit 30 samples" in cli_error(["score", str(samples)])
    classes.write_text("not numbers")
    assert "not a readable .npy array of classes" in cli_error(["score", str(samples)])

    plain = tmp_path / "plain"
    main(["train", "article-gan-mnist", "--epochs", "1", "--limit", "64", "--quiet", "--out", str(plain)])
    main(["sample", str(plain), "--n", "30", "--out", str(samples)])  # the old classes no longer describe s.npy
    assert not classes.exists()
    capsys.readouterr()
    main(["score", str(samples)])
    assert "class_agreement" not in json.loads(capsys.readouterr().out)


def test_the_sample_recorder_draws_a_conditional_generator_for_its_labels() -> None:
    """Before, the recorder called ``G(noise)`` only, so a conditional generator could not be watched."""
    G, *_ = tiny()
    z, rows = torch.randn(10, 8), class_labels(10, 10)
    recorder = SampleRecorder(G, z, nrow=10, labels=rows)
    recorder(EpochEnd(1, History()))
    with torch.no_grad():
        expected = grid_array(to_unit(G.eval()(z, rows)), 10)
    assert np.array_equal(recorder.frames[0], expected)
