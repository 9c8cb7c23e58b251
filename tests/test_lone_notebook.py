"""A badge click, imitated: one notebook alone in an empty folder, in a fresh environment, installs the series
itself and runs top to bottom (FAST mode, offline), with nothing of the checkout around it.

The fresh environment stands for Colab's: a new virtual environment holding only what the platform ships
(torch and torchvision, at the lock's versions, from uv's cache: no 3 GB download per run) and a Jupyter
kernel. The notebook's setup cell then installs ``helpers`` as it does on Colab, with pip, non-editable, from
a copy of the files git would hand out (``GAN_SERIES_REPO`` points it there instead of GitHub); pip adds the
rest of the runtime dependencies from the package index, pinned by ``constraints.txt``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The notebook that runs alone: the quickest in FAST mode, on MNIST (the bundled subset: no data folder is set).
NOTEBOOK = ROOT / "notebooks" / "01_autoencoder_recap.ipynb"
UV = shutil.which("uv", path=str(Path(sys.executable).parent))


def run(cmd: list, **kwargs: object) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{cmd[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result


def clone(to: Path) -> Path:
    """The files a clone of this working tree holds (tracked, and new ones git does not ignore), copied."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT).stdout
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, to / name)
    return to


@pytest.mark.skipif(UV is None, reason="uv is not installed beside this Python (make venv installs it)")
def test_a_notebook_opened_alone_installs_the_series_and_runs(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to copy the series from")
    source = clone(tmp_path / "clone")
    platform = tmp_path / "platform"
    python = platform / "bin" / "python"
    run([sys.executable, "-m", "venv", platform])
    run([UV, "pip", "install", "--python", python, "-c", ROOT / "constraints.txt", "torch", "torchvision", "ipykernel"])
    run([UV, "pip", "install", "--python", python, "-c", ROOT / "constraints.txt", "nbclient"])  # runs the notebook
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(NOTEBOOK, alone)
    runner = tmp_path / "runner"
    runner.mkdir()
    shutil.copy(ROOT / "scripts" / "execute_notebook.py", runner)

    keep = {"HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "OMP_NUM_THREADS"}
    environ = {k: v for k, v in os.environ.items() if k in keep}
    environ |= {
        "PATH": f"{platform / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "GAN_FAST": "1",
        "GAN_OFFLINE": "1",
        "GAN_DEVICE": "cpu",
        "PYTHONHASHSEED": "0",
        "GAN_CACHE_DIR": str(tmp_path / "cache"),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "GAN_SERIES_REPO": str(source),
        "PIP_CONSTRAINT": str(ROOT / "constraints.txt"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    run([python, runner / "execute_notebook.py", alone / NOTEBOOK.name], cwd=alone, env=environ, timeout=1200)

    # helpers came from a non-editable install in the fresh environment, never from a checkout
    probe = (
        "import helpers, importlib.metadata as m, json; d = m.distribution('gan-series-helpers');"
        "print(json.dumps([helpers.__file__, d.read_text('direct_url.json'), sorted(x.metadata['Name'].lower() "
        "for x in m.distributions())]))"
    )
    where, direct_url, installed = json.loads(run([python, "-c", probe], cwd=alone, env=environ).stdout)
    assert Path(where).is_relative_to(platform), where
    assert not json.loads(direct_url or "{}").get("dir_info", {}).get("editable"), "installed editable"
    assert not {"jupyterlab", "jupytext", "nbval", "pytest", "ruff"} & set(installed), "development tools came along"
    setup = next(c for c in json.loads((alone / NOTEBOOK.name).read_text())["cells"] if c["cell_type"] == "code")
    printed = "".join("".join(out["text"]) for out in setup["outputs"] if out["output_type"] == "stream")
    assert "FAST" in printed and "bundled" not in where, printed

    # the pretrained generator came with the non-editable install, and draws faces far better than an untrained one
    probe = (
        "import json, torch, helpers; G, info = helpers.load_pretrained('dcgan-cats');"
        "r = helpers.get_recipe('dcgan-cats'); noise = helpers.sampling.Noise(r.latent_dim, 'cpu');"
        "torch.manual_seed(0);"
        "fd = [helpers.cat_scores(helpers.draw_samples(g, noise, 500))['frechet_distance'] "
        "for g in (G, r.networks()[0].eval())];"
        "print(json.dumps([helpers.pretrained.PRETRAINED['dcgan-cats'].as_posix(), info['epochs'], fd]))"
    )
    where, epochs, (fd_trained, fd_untrained) = json.loads(run([python, "-c", probe], cwd=alone, env=environ).stdout)
    assert Path(where).is_relative_to(platform) and epochs > 0, where
    assert fd_trained * 20 < fd_untrained, (fd_trained, fd_untrained)
