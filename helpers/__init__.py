"""Shared code of the GAN notebook series: device, data, models, training, sampling, plots, scores.

Notebooks, benchmarks and scripts import the public names from here; each submodule holds one
concern (README: "Where things live").
"""

from .cat_metrics import cat_features, cat_scores, distorted_sets, held_out_split, inception_fid
from .checkpoint import CheckpointError, load_checkpoint, load_generator, save_checkpoint
from .data import (
    BadDataError,
    DataNotFoundError,
    TensorBatches,
    decode_image_folder,
    describe_runtime,
    find_cat_folder,
    find_data_locations,
    load_cat_faces,
    load_mnist,
    standin_cat_faces,
    to_signed,
    to_unit,
)
from .env import (
    FAST,
    OFFLINE,
    Precision,
    choose_precision,
    detect_platform,
    device_name,
    fast_or_full,
    get_device,
    seed_everything,
)
from .health import GANHealthWarning, TrainingDiverged
from .history import History
from .metrics import features_and_probs, kernel_distance, mnist_scores
from .models import (
    ArticleDCGANDiscriminator,
    ArticleDCGANGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    count_parameters,
    dcgan_init,
    layer_widths,
)
from .recipes import RECIPES, Recipe, Setup, build, get_recipe, load_dataset
from .sampling import draw_samples, generator_ema, latent_of_seed, make_noise, recalibrate_batch_norm, slerp
from .train import EpochEnd, discriminator_step, fit, generator_step, train_step
from .viz import SampleRecorder, animate, grid_array, interpolation_explorer, moving_average, plot_history, show_images

__all__ = [
    "FAST",
    "OFFLINE",
    "RECIPES",
    "ArticleDCGANDiscriminator",
    "ArticleDCGANGenerator",
    "BadDataError",
    "CheckpointError",
    "DataNotFoundError",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "EpochEnd",
    "GANHealthWarning",
    "History",
    "MLPDiscriminator",
    "MLPGenerator",
    "Precision",
    "Recipe",
    "SampleRecorder",
    "Setup",
    "TensorBatches",
    "TrainingDiverged",
    "animate",
    "build",
    "cat_features",
    "cat_scores",
    "choose_precision",
    "count_parameters",
    "dcgan_init",
    "decode_image_folder",
    "describe_runtime",
    "detect_platform",
    "device_name",
    "discriminator_step",
    "distorted_sets",
    "draw_samples",
    "fast_or_full",
    "features_and_probs",
    "find_cat_folder",
    "find_data_locations",
    "fit",
    "generator_ema",
    "generator_step",
    "get_device",
    "get_recipe",
    "grid_array",
    "held_out_split",
    "inception_fid",
    "interpolation_explorer",
    "kernel_distance",
    "latent_of_seed",
    "layer_widths",
    "load_cat_faces",
    "load_checkpoint",
    "load_dataset",
    "load_generator",
    "load_mnist",
    "make_noise",
    "mnist_scores",
    "moving_average",
    "plot_history",
    "recalibrate_batch_norm",
    "save_checkpoint",
    "seed_everything",
    "show_images",
    "slerp",
    "standin_cat_faces",
    "to_signed",
    "to_unit",
    "train_step",
]
