"""The data: MNIST and the cat faces as whole uint8 tensors, and batching them fast.

A lesson needs :mod:`helpers.data.batches` (``to_signed`` / ``to_unit``, the one image check, ``TensorBatches``)
and the loaders; :mod:`helpers.data.sources` (the search chain, caches, the Kaggle login) and
:mod:`helpers.data.datasets` (the table of datasets) are the engineering behind them.

Both datasets are small enough (47 MB and 190 MB) to decode once, keep in memory
(on the GPU when there is one) and batch by indexing with a random permutation.
That removes per-epoch JPEG decoding and DataLoader worker processes, the usual
bottleneck of the standard recipe on a free GPU or a 2-core laptop.

Every loader walks the same resolution chain: explicit ``root`` -> ``GAN_DATA_DIR``
-> Kaggle's mount -> download -> (FAST mode only, and only when neither ``root`` nor
``GAN_DATA_DIR`` is set) an offline stand-in, announced once. A location the user set
that is wrong is an error in every mode; when all sources fail, the error lists each
place tried and how to fix it. Caches (downloads, decoded arrays) live only in
:func:`helpers.data.sources.cache_dir`, are checked when read, and never block a load when they cannot be written.
"""

from .batches import UNIT_TOLERANCE, BadDataError, TensorBatches, check_images, to_signed, to_unit
from .datasets import DATASETS, Dataset, get_dataset, load_dataset, load_labelled_dataset
from .sources import (
    CATS_FOLDER,
    CATS_SLUG,
    MNIST_SAMPLE,
    DataNotFoundError,
    cache_dir,
    decode_image_folder,
    find_cat_folder,
    find_data_locations,
    kaggle_login,
    load_cat_faces,
    load_mnist,
    standin_cat_faces,
)

__all__ = [
    "CATS_FOLDER",
    "CATS_SLUG",
    "DATASETS",
    "MNIST_SAMPLE",
    "UNIT_TOLERANCE",
    "BadDataError",
    "DataNotFoundError",
    "Dataset",
    "TensorBatches",
    "cache_dir",
    "check_images",
    "decode_image_folder",
    "find_cat_folder",
    "find_data_locations",
    "get_dataset",
    "kaggle_login",
    "load_cat_faces",
    "load_dataset",
    "load_labelled_dataset",
    "load_mnist",
    "standin_cat_faces",
    "to_signed",
    "to_unit",
]
