"""scripts/execute_notebook.py: runs a notebook in place where ``jupyter execute`` hangs."""

from __future__ import annotations

import fcntl
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

# A large output, then an ipywidgets panel that draws into its Output widget: the case where
# ``jupyter execute`` (nbclient 0.11) waited forever on this machine.
CELLS = [
    "import base64, os\nfrom IPython.display import HTML, display\n"
    "display(HTML('<img src=\"data:image/jpeg;base64,' + base64.b64encode(os.urandom(1_500_000)).decode() + '\">'))",
    "import ipywidgets as w\nfrom IPython.display import HTML, display\n"
    "w.interactive(lambda a: display(HTML(f'<b>{a}</b>')), a=w.IntSlider(value=7))",
    "print(6 * 7)",
]


def test_executes_in_place_past_a_widget_after_a_large_output(tmp_path) -> None:
    path = tmp_path / "nb.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "execute_notebook.py"), str(path)],
        check=True,
        timeout=120,
        cwd=tmp_path,
    )
    done = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in done.cells] == [1, 2, 3]
    assert done.cells[2].outputs[0]["text"] == "42\n"
    assert "<b>7</b>" in str(done.metadata["widgets"])  # the panel's first drawing, kept as widget state


def _executor(monkeypatch, tmp_path, load: float):
    """scripts/execute_notebook.py as a module, with its lock in ``tmp_path``, the load average ``load``, no wait."""
    spec = importlib.util.spec_from_file_location("execute_notebook", ROOT / "scripts" / "execute_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CPU_LOCK", tmp_path / "cpu.lock")
    monkeypatch.setattr(module, "LOAD_WAIT_SECONDS", 0)
    monkeypatch.setattr(module, "_load", lambda: load)
    monkeypatch.delenv("GAN_FAST", raising=False)
    return module


def test_a_full_settings_run_refuses_to_start_beside_another_job(monkeypatch, tmp_path, capsys) -> None:
    module = _executor(monkeypatch, tmp_path, load=1.9)
    with pytest.raises(SystemExit, match="another job is using the CPU"):
        with module.cpu_to_itself():
            pytest.fail("started although the CPU was busy")


def test_a_full_settings_run_holds_the_cpu_lock_and_prints_the_load(monkeypatch, tmp_path, capsys) -> None:
    module = _executor(monkeypatch, tmp_path, load=0.1)
    with module.cpu_to_itself():
        with open(tmp_path / "cpu.lock") as other:  # what `flock /tmp/cpu.lock CMD` would try
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert "load average before the run: 0.10" in capsys.readouterr().out
    with open(tmp_path / "cpu.lock") as other:  # released afterwards
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_fast_mode_runs_share_the_cpu(monkeypatch, tmp_path) -> None:
    module = _executor(monkeypatch, tmp_path, load=5.0)
    monkeypatch.setenv("GAN_FAST", "1")
    with module.cpu_to_itself():
        pass
    assert not (tmp_path / "cpu.lock").exists()


@pytest.mark.parametrize("argv", [["notebooks/no_such_notebook.ipynb"], ["README.md"], ["--dry-run"]])
def test_a_bad_argument_is_refused_before_the_lock_with_a_message(monkeypatch, tmp_path, capsys, argv) -> None:
    module = _executor(monkeypatch, tmp_path, load=0.1)
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as stopped:
        module.main(argv)
    assert stopped.value.code == 2 and not (tmp_path / "cpu.lock").exists()
    assert "usage:" in capsys.readouterr().err


def test_help_says_what_the_script_does(monkeypatch, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        _executor(monkeypatch, tmp_path, load=0.1).main(["--help"])
    assert stopped.value.code == 0 and "CPU lock" in capsys.readouterr().out
