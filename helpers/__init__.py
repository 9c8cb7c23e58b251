"""Shared code of the GAN notebook series. This namespace is the lesson API: the names the notebooks teach,
grouped by the notebook that introduces each. Everything else is importable from its module: the
engineering lives in the subpackages ``data``, ``scores``, ``infra`` and ``cli`` (README: "Where things live").
"""

from .data import TensorBatches, load_cat_faces, load_mnist, to_signed, to_unit
from .health import GANHealthWarning, TrainingDiverged
from .history import History
from .infra.checkpoint import load_generator
from .infra.env import FAST, fast_or_full, get_device, seed_everything
from .loop import EpochEnd, fit
from .models import (
    ConditionalGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    ProjectionDiscriminator,
    count_parameters,
    dcgan_init,
)
from .pretrained import load_pretrained
from .recipes import Recipe, build, get_recipe
from .runtime import describe_runtime
from .sampling import class_labels, draw_samples, generator_ema, recalibrate_batch_norm, slerp
from .scores.cats import cat_scores
from .scores.mnist import conditional_scores, mnist_scores
from .scores.sliced_wasserstein import sliced_wasserstein
from .steps import discriminator_step, generator_step, train_step
from .viz import (
    SampleRecorder,
    animate,
    draw_zero_insertion,
    interpolation_explorer,
    moving_average,
    plot_history,
    show_frames,
    show_image_grids,
    show_images,
)

__all__ = [
    # Every notebook's setup cell
    "FAST",
    "fast_or_full",
    "get_device",
    "seed_everything",
    "describe_runtime",
    # 01, the autoencoder recap: data, batches, the two ranges, a plot, the MNIST scores
    "load_mnist",
    "TensorBatches",
    "to_signed",
    "to_unit",
    "show_images",
    "mnist_scores",
    "count_parameters",
    # 02, the fully connected GAN: the steps and the loop, recipes, samples and the weight average, plots
    "discriminator_step",
    "generator_step",
    "train_step",
    "fit",
    "EpochEnd",
    "History",
    "Recipe",
    "build",
    "get_recipe",
    "draw_samples",
    "generator_ema",
    "recalibrate_batch_norm",
    "slerp",
    "SampleRecorder",
    "plot_history",
    "show_image_grids",
    "show_frames",
    "animate",
    "interpolation_explorer",
    # 03, transposed convolutions: the DCGAN
    "DCGANGenerator",
    "DCGANDiscriminator",
    "dcgan_init",
    "draw_zero_insertion",
    # 04, cat faces: the data, their scores, the shipped generator
    "load_cat_faces",
    "cat_scores",
    "sliced_wasserstein",
    "load_pretrained",
    "load_generator",
    # 05, evaluating and debugging: the health checks
    "GANHealthWarning",
    "TrainingDiverged",
    "moving_average",
    # 06, the conditional GAN: the label in both networks, samples by class, the class agreement
    "ConditionalGenerator",
    "ProjectionDiscriminator",
    "class_labels",
    "conditional_scores",
]
