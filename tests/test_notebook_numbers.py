"""Every number a notebook's text quotes comes from its run: printed by a cell, or written in its code.

The committed ``.ipynb`` files carry the outputs of a full-settings run. A number in the markdown
must appear in those outputs (printed, or asserted in the code next to it), so that text and
outputs cannot disagree again. A simple heuristic, with the exemptions listed below:

* not checked: LaTeX (``$...$``), inline code, link targets, "notebook 03" / "section 6.2"
  references, years of citations ("Radford et al., 2016"), and whole numbers below 10;
* ``10,000`` and ``10000`` are the same number; a number counts as printed when it appears as a
  whole number in an output or in the code (``EPOCHS = fast_or_full(2, 8)`` prints nothing but
  states 8).

The same holds for the comments in the code (``# measured: 4.8x here``): a number there must be printed by a
cell or stated in code outside comments. A further check: the run time that each header states is the one the
last cell printed.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![^\Wx]|x\w)")
#: Numbers that are facts of the world rather than of a run, per notebook, with the reason.
EXEMPT: dict[str, dict[str, str]] = {
    "*": {
        "28": "the side of an MNIST digit, in pixels",
        "784": "pixels of a 28x28 digit",
        "60,000": "MNIST's training set size",
        "15,747": "the cat-face set's size",
        "255": "the largest 8-bit value",
        "127.5": "half of 255, in the scaling formula",
    },
}
SKIPPED = [
    r"\$\$.*?\$\$",  # display math
    r"\$[^$]*\$",  # inline math
    r"`[^`]*`",  # inline code
    r"\]\([^)]*\)",  # link targets
    r"\b(?:notebooks?|sections?|Notebooks?|Sections?|exercises?|Exercises?) \d+(?:\.\d+)?(?: and \d+(?:\.\d+)?)*",
    r"et al\.,? \(?\d{4}\)?",  # citation years
    r"^#+ \d+(?:\.\d+)?\.?",  # numbered headings
]


def quoted_numbers(markdown: str) -> list[tuple[str, str]]:
    """``(number, context)`` for each number the heuristic checks in ``markdown``."""
    for pattern in SKIPPED:
        markdown = re.sub(pattern, " ", markdown, flags=re.M | re.S)
    found = []
    for match in NUMBER.finditer(markdown):
        number = match[1]
        if "." not in number and int(number.replace(",", "")) < 10:
            continue
        found.append((number, markdown[max(0, match.start() - 50) : match.end() + 20].replace("\n", " ")))
    return found


def split_comments(source: str) -> tuple[str, list[str]]:
    """``source`` (Python) without its comments, and the comments' text.

    Tokenized, so that a ``#`` inside a string is no comment.
    """
    code, comments = [], []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        (comments if token.type == tokenize.COMMENT else code).append(token.string.lstrip("#"))
    return " ".join(code), comments


def run_text(nb: dict, with_comments: bool = True) -> str:
    """Everything a run shows or states: code (with its comments, unless ``with_comments=False``) and text
    outputs, thousands separators removed."""
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        parts.append(source if with_comments else split_comments(source)[0])
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            data = output.get("data", {})
            parts += ["".join(data.get(kind, "")) for kind in ("text/plain", "text/markdown")]
    return "\n".join(parts).replace(",", "")


def unsupported(nb: dict, exempt: dict[str, str], in_comments: bool = False) -> list[str]:
    """The quoted numbers of ``nb``'s markdown (or, ``in_comments=True``, of its code comments) that its run neither
    prints nor states (outside comments, for comments)."""
    shown = run_text(nb, with_comments=not in_comments)
    missing = []
    for cell in nb["cells"]:
        if cell["cell_type"] != ("code" if in_comments else "markdown"):
            continue
        source = "".join(cell["source"])
        for number, context in quoted_numbers("\n".join(split_comments(source)[1]) if in_comments else source):
            plain = number.replace(",", "")
            if number in exempt or re.search(rf"(?<![\d.]){re.escape(plain)}(?!\d)", shown):
                continue
            missing.append(f"{number!r} in '...{context}...'")
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_text_comes_from_the_run(path: Path) -> None:
    exempt = EXEMPT["*"] | EXEMPT.get(path.stem, {})
    missing = unsupported(json.loads(path.read_text()), exempt)
    assert not missing, f"{path.name}: numbers in the text that no cell prints or states:\n" + "\n".join(missing)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_a_code_comment_comes_from_the_run(path: Path) -> None:
    exempt = EXEMPT["*"] | EXEMPT.get(path.stem, {})
    missing = unsupported(json.loads(path.read_text()), exempt, in_comments=True)
    assert not missing, f"{path.name}: numbers in code comments that no cell prints or states:\n" + "\n".join(missing)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_header_states_the_run_time_the_last_cell_printed(path: Path) -> None:
    nb = json.loads(path.read_text())
    last = "".join("".join(o.get("text", "")) for o in nb["cells"][-1].get("outputs", []))
    printed = re.search(r"notebook run time: ([\d.]+) min", last)
    assert printed, f"{path.name}: the last cell should print 'notebook run time: N.N min ...'"
    header = "".join(nb["cells"][0]["source"])
    assert f"{printed[1]} minutes" in header, f"{path.name}: the header should state {printed[1]} minutes"


def test_the_heuristic_finds_what_it_should() -> None:
    text = "took 3.1 min (see section 6.2, Radford et al., 2016), $x = 127.5$, `lr=2e-4`, 8 epochs, 1,500 steps"
    assert [n for n, _ in quoted_numbers(text)] == ["3.1", "1,500"]
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["scored 73.8 after 1,500 steps and 12.5 s"]},
            {"cell_type": "code", "source": ["STEPS = 1500"], "outputs": [{"text": ["score 73.8\n"]}]},
        ]
    }
    assert unsupported(nb, {}) == ["'12.5' in '...scored 73.8 after 1,500 steps and 12.5 s...'"]
    assert [n for n, _ in quoted_numbers("4.8x faster, 5.6x in the benchmark, 3xl")] == ["4.8", "5.6"]
    code = {"cell_type": "code", "source": ["ratio = 4.8  # measured: 4.8 here, 5.0 before"], "outputs": []}
    assert unsupported({"cells": [code]}, {}, in_comments=True) == ["'5.0' in '... measured: 4.8 here, 5.0 before...'"]
    hash_in_string = {"cell_type": "code", "source": ['print("# 12.5 s")'], "outputs": []}
    assert unsupported({"cells": [hash_in_string]}, {}, in_comments=True) == []
