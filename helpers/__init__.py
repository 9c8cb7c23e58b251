"""Shared code of the GAN notebook series: device, data, models, training, plots, scores.

Notebooks import the public names from here; each submodule holds one concern.
"""

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
from .env import FAST, OFFLINE, describe_runtime, detect_platform, fast_or_full, get_device, seed_everything
from .models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, count_parameters, dcgan_init
from .train import (
                   CheckpointError,
                   EpochEnd,
                   GANHealthWarning,
                   History,
                   TrainingDiverged,
                   discriminator_step,
                   draw_samples,
                   fit,
                   generator_step,
                   load_checkpoint,
                   load_generator,
)

__all__ = [
    "FAST", "OFFLINE", "BadDataError", "CheckpointError", "DCGANDiscriminator", "DCGANGenerator",
    "DataNotFoundError", "EpochEnd", "GANHealthWarning", "History", "MLPDiscriminator", "MLPGenerator",
    "TensorBatches", "TrainingDiverged",
    "count_parameters", "dcgan_init", "decode_image_folder", "describe_runtime", "detect_platform",
    "discriminator_step", "draw_samples", "fast_or_full", "fit", "generator_step", "get_device", "load_cat_faces",
    "load_checkpoint", "load_generator", "load_mnist", "seed_everything", "standin_cat_faces", "to_signed",
    "to_unit",
]
