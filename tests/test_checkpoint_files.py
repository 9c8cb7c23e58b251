"""Every file a learner can pass where a checkpoint or generator export is expected (#15 rows 1, 8, 9, 10).

The error says what the file is and what was expected; only a broken file gets the advice to delete it.
Weights saved from ``torch.compile``d or ``DataParallel`` models load into bare ones, and saves never
share a temporary file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from helpers import TensorBatches, fit, load_generator, train_step
from helpers.infra.checkpoint import CheckpointError, require_same_run, save_checkpoint
from helpers.models import MLPDiscriminator, MLPGenerator
from helpers.sampling import Noise


def tiny_generator() -> nn.Module:
    return MLPGenerator(8, (16,), image_shape=(1, 4, 4))


def params(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().float() for p in model.parameters()])


def train_tiny(checkpoint: Path, G: nn.Module | None = None, **options: object) -> nn.Module:
    torch.manual_seed(0)
    G = G if G is not None else tiny_generator()
    D = MLPDiscriminator((1, 4, 4), hidden=(16,))
    data = TensorBatches(torch.randint(0, 256, (40, 1, 4, 4), dtype=torch.uint8), 8)
    opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())

    def step(real: torch.Tensor) -> dict[str, torch.Tensor]:
        return train_step(G, D, real, Noise(8, "cpu"), opt_g, opt_d)

    fit(
        step,
        data,
        state={"G": G, "D": D, "opt_g": opt_g, "opt_d": opt_d},
        epochs=1,
        checkpoint=checkpoint,
        resume=True,
        progress=False,
        health=False,
        **options,
    )
    return G


def _cut(path: Path, **save: object) -> None:
    torch.save(tiny_generator().state_dict(), path, **save)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


#: name -> (how to make the file at a path, what the error must say it is, whether it is broken)
FILES: dict[str, tuple[Callable[[Path], None], str, bool]] = {
    "dict": (lambda p: torch.save({"a": 1}, p), "a dict with keys ['a']", False),
    "bare state dict": (lambda p: torch.save(tiny_generator().state_dict(), p), "a bare state dict", False),
    "whole module": (lambda p: torch.save(tiny_generator(), p), "pickled Python objects (helpers.models", False),
    "numpy scalar": (lambda p: torch.save({"x": np.float32(1)}, p), "pickled Python objects (numpy", False),
    "tensor": (lambda p: torch.save(torch.zeros(3), p), "holds a Tensor", False),
    "npy": (lambda p: np.save(open(p, "wb"), np.zeros(3)), "a NumPy .npy array", False),
    "npz": (lambda p: np.savez(open(p, "wb"), x=np.zeros(3)), "a NumPy .npz archive", False),
    "text": (lambda p: p.write_text("G = my generator\n"), "a text file", False),
    "png": (lambda p: Image.new("L", (4, 4)).save(p, format="PNG"), "a PNG image", False),
    "folder": (lambda p: p.mkdir(), "is a folder", False),
    "truncated": (_cut, "a cut-short zip archive", True),
    "truncated legacy": (lambda p: _cut(p, _use_new_zipfile_serialization=False), "(legacy format) that cannot", True),
    "empty": (lambda p: p.write_bytes(b""), "an empty file", True),
}


def check_message(message: str, named: str, broken: bool) -> None:
    assert named in message, message
    assert ("delete it" in message) == broken, message
    assert "Traceback" not in message and "\n" not in message.strip()


@pytest.mark.parametrize("kind", list(FILES))
def test_resuming_says_what_the_file_is(kind: str, tmp_path) -> None:
    make, named, broken = FILES[kind]
    make(tmp_path / "ckpt.pt")
    with pytest.raises(CheckpointError) as error:
        train_tiny(tmp_path / "ckpt.pt")
    check_message(str(error.value), named, broken)


@pytest.mark.parametrize("kind", [*FILES, "export"])
def test_train_into_a_folder_with_such_a_checkpoint(kind: str, tmp_path, cli_error) -> None:
    """Row 8: a bare `KeyError: 'G'` before; a folder of such a file is left as it was."""
    make, named, broken = FILES.get(kind, (lambda p: save_checkpoint(p, G={}), "a generator export", False))
    out = tmp_path / "run"
    out.mkdir()
    make(out / "checkpoint.pt")
    before = sorted(p.name for p in out.iterdir())
    message = cli_error(["train", "article-gan-mnist", "--epochs", "1", "--limit", "64", "--quiet", "--out", str(out)])
    check_message(message, named, broken)
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize("kind", list(FILES))
def test_load_generator_says_what_the_file_is(kind: str, tmp_path) -> None:
    make, named, broken = FILES[kind]
    make(tmp_path / "G.pt")
    with pytest.raises(CheckpointError) as error:
        load_generator(tiny_generator(), tmp_path / "G.pt")
    check_message(str(error.value), named, broken)


def test_weights_of_another_network_are_not_called_broken(tmp_path) -> None:
    train_tiny(tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="different shape") as error:
        load_generator(MLPGenerator(8, (32,), image_shape=(1, 4, 4)), tmp_path / "c.pt")
    assert "delete" not in str(error.value)


@pytest.mark.parametrize("wrap", [torch.compile, nn.DataParallel], ids=["compiled", "data-parallel"])
def test_exports_of_wrapped_generators_load_into_bare_ones(wrap: Callable, tmp_path) -> None:
    """Row 10: keys `_orig_mod.*` (torch.compile) or `module.*` (DataParallel) gave 'a different shape'."""
    G = tiny_generator()
    wrapped = wrap(G)
    assert all(k.startswith(("_orig_mod.", "module.")) for k in wrapped.state_dict())
    save_checkpoint(tmp_path / "G.pt", G={k: v.half() for k, v in wrapped.state_dict().items()}, note="half")
    loaded = load_generator(tiny_generator(), tmp_path / "G.pt")
    assert torch.equal(params(loaded), params(G).half().float())
    assert torch.equal(params(load_generator(torch.compile(tiny_generator()), tmp_path / "G.pt")), params(loaded))


def test_a_checkpoint_of_a_compiled_run_resumes_into_bare_networks(tmp_path) -> None:
    """Keys as fit(torch.compile(G), ...) saves them (renamed here: compiling costs seconds)."""
    trained = train_tiny(tmp_path / "c.pt")
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    state["G"] = {"_orig_mod." + k: v for k, v in state["G"].items()}
    torch.save(state, tmp_path / "c.pt")
    resumed = train_tiny(tmp_path / "c.pt")  # the epoch is done: loads everything, trains nothing
    assert torch.equal(params(resumed), params(trained))


def test_saves_use_unique_temporary_files_and_clean_up(tmp_path, monkeypatch) -> None:
    """Row 1: two writers shared `checkpoint.pt.tmp`, so one crashed on the other's rename."""
    save_checkpoint(tmp_path / "c.pt", x=torch.zeros(1))
    written: list[str] = []
    real_save = torch.save

    def save(obj: object, f: object, *args: object, **kwargs: object) -> None:
        written.append(getattr(f, "name", str(f)))
        if len(written) == 3:
            raise KeyboardInterrupt  # killed mid-write
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    save_checkpoint(tmp_path / "c.pt", x=torch.ones(1))
    save_checkpoint(tmp_path / "c.pt", x=torch.ones(1))
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "c.pt", x=torch.full((1,), 2.0))
    assert len(set(written)) == 3 and all(Path(w).parent == tmp_path for w in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]
    assert torch.load(tmp_path / "c.pt", weights_only=True)["x"].item() == 1.0


def test_one_check_decides_whether_two_records_are_one_run() -> None:
    """``require_same_run`` compares the settings both records hold, and names every one that differs."""
    stored = {"recipe": "a", "seed": 0, "lr_g": 1e-3, "limit": None}
    require_same_run(None, stored, "f.pt", "do x.")  # a new run, or a file that records no settings
    require_same_run(stored, {"seed": 0, "images": 64}, "f.pt", "do x.")  # a setting only one holds is not compared
    with pytest.raises(CheckpointError, match=r"^f\.pt holds a run with other settings \(seed 0, not 1, limit None, "):
        require_same_run(stored, {"seed": 1, "limit": 64}, "f.pt", "do x.")
    with pytest.raises(CheckpointError) as info:
        require_same_run(stored, {"recipe": "b", "seed": 1, "lr_g": 2e-3, "limit": None}, "f.pt", "do x.")
    assert str(info.value) == "f.pt holds a run of recipe 'a', not 'b' (its seed, lr_g differ too): do x."


def test_fit_stores_the_run_settings_and_refuses_to_mix_runs(tmp_path) -> None:
    """Row 11 at the library level: the settings are named, not guessed from a shape error."""
    run = {"recipe": "tiny", "seed": 0, "images": 40, "batch_size": 8}
    train_tiny(tmp_path / "c.pt", run=run)
    assert torch.load(tmp_path / "c.pt", weights_only=True)["run"] == run
    train_tiny(tmp_path / "c.pt", run=run)  # the same settings resume
    with pytest.raises(CheckpointError, match=r"seed 0, not 1.*same settings"):
        train_tiny(tmp_path / "c.pt", run=run | {"seed": 1})
