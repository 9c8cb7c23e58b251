"""What a reader sees of the committed outputs on GitHub: small files, photos as JPEG, animations with a still."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
MAX_BYTES = 3_000_000
#: Notebooks whose figures are mostly photos, so they are stored as JPEG.
PHOTO_NOTEBOOKS = {"04_dcgan_cat_faces"}


def outputs(nb: dict) -> list[tuple[int, dict]]:
    return [(i, o) for i, cell in enumerate(nb["cells"]) for o in cell.get("outputs", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_stays_small_enough_for_github(path: Path) -> None:
    assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size / 1e6:.1f} MB (limit 3 MB)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_animation_has_a_still_picture_soon_after(path: Path) -> None:
    """GitHub does not run the JavaScript of matplotlib's animation player, so a still must follow it."""
    found = outputs(json.loads(path.read_text()))
    animations = [i for i, o in found if "Animation" in "".join(o.get("data", {}).get("text/html", ""))]
    pictures = [i for i, o in found if {"image/png", "image/jpeg"} & set(o.get("data", {}))]
    for cell in animations:
        assert any(cell < p <= cell + 3 for p in pictures), f"{path.name}: the animation in cell {cell} has no still"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem in PHOTO_NOTEBOOKS], ids=lambda p: p.stem)
def test_photo_figures_are_jpeg(path: Path) -> None:
    found = outputs(json.loads(path.read_text()))
    png = [i for i, o in found if "image/png" in o.get("data", {})]
    assert not png, f"{path.name}: cells {png} store PNG figures; photos belong in JPEG"
