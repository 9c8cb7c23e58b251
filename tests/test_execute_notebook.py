"""scripts/execute_notebook.py: runs a notebook in place where ``jupyter execute`` hangs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

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
