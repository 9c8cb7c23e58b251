"""Shared code of the GAN notebook series: device, data, models, training, plots, scores.

Notebooks import the public names from here; each submodule holds one concern.
"""

from .checkpoint import CheckpointError, load_checkpoint, load_generator, save_checkpoint
from .data import (
    BadDataError,
    DataNotFoundError,
    TensorBatches,
    decode_image_folder,
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
    describe_runtime,
    detect_platform,
    fast_or_full,
    get_device,
    seed_everything,
)
from .health import GANHealthWarning, TrainingDiverged
from .history import History
from .models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, count_parameters, dcgan_init
from .train import EpochEnd, discriminator_step, draw_samples, fit, generator_step, train_step

__all__ = [
    "FAST", "OFFLINE", "BadDataError", "CheckpointError", "DCGANDiscriminator", "DCGANGenerator",
    "DataNotFoundError", "EpochEnd", "GANHealthWarning", "History", "MLPDiscriminator", "MLPGenerator",
    "Precision", "TensorBatches", "TrainingDiverged",
    "choose_precision", "count_parameters", "dcgan_init", "decode_image_folder", "describe_runtime",
    "detect_platform", "discriminator_step", "draw_samples", "fast_or_full", "fit", "generator_step",
    "get_device", "load_cat_faces", "load_checkpoint", "load_generator", "load_mnist", "save_checkpoint",
    "seed_everything", "standin_cat_faces", "to_signed", "to_unit", "train_step",
]
