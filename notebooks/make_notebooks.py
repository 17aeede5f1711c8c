"""Write the Jupyter notebooks from the vignettes: ``python notebooks/make_notebooks.py``.

The vignettes are the one source of truth. Each R chunk of a vignette has a Python twin
that computes the same numbers and draws the same figures (with ``fig.show = "hide"``,
since the R figure above it is the same picture). A notebook is the vignette's text and
its Python chunks, in order, with no R: chunks in other languages are left out, and so
are paragraphs that quote R's numbers inline (```r ...```), whose numbers the Python
cells print anyway. A Python chunk that the vignette does not run (``eval = FALSE``) is
shown as code in the text, not as a cell. `make notebooks` runs this script;
tests/python/test_notebooks.py checks that the committed notebooks are what it writes, and
runs them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
# Every vignette but r-and-python, which is about calling vaelab from R.
VIGNETTES = ("vae-book", "dfc-vae", "learned-similarity", "faces")
CHUNK = re.compile(r"^```\{(\w+)[ ,]*([\w.-]*)([^}]*)\}\n(.*?)^```[ \t]*$", re.M | re.S)
# A chunk the vignette shows but does not run (`eval = FALSE`: it needs CelebA, a GPU, ...).
SHOWN_ONLY = re.compile(r"\beval\s*=\s*FALSE\b")
INSTALL = """\
# vaelab and its pretrained weights, where they are missing (e.g. on Colab). vaelab is not
# on PyPI: upload its wheel (`pip wheel --no-deps .` in a checkout of vaelab) next to this
# notebook. If pip replaces NumPy (vaelab needs NumPy < 2), restart the runtime once.
import importlib.util

if importlib.util.find_spec("vaelab") is None:
    %pip install vaelab-{version}-py3-none-any.whl"""


def notebook(vignette: Path, version: str) -> nbformat.NotebookNode:
    """The notebook of one vignette (.Rmd): its title, text and Python chunks."""
    text = vignette.read_text(encoding="utf-8")
    front, body = re.match(r"---\n(.*?\n)---\n(.*)", text, re.S).groups()
    title = re.search(r'^title: "(.*)"$', front, re.M).group(1)
    cells = [_markdown("title", f"# {title}\n\nThe Python side of the vignette "
                                f"`{vignette.stem}` of vaelab, generated from "
                                f"`vignettes/{vignette.name}`; in R, "
                                f'`vignette("{vignette.stem}", package = "vaelab")` shows '
                                "both languages."),
             _code("install", INSTALL.format(version=version))]
    prose, start = [], 0
    for chunk in CHUNK.finditer(body):
        prose.append(body[start:chunk.start()])
        start = chunk.end()
        language, label, options, code = chunk.groups()
        if language == "python" and SHOWN_ONLY.search(options):
            prose.append(f"\n\n```python\n{code}```\n\n")
        elif language == "python":
            cells += _prose_cell(prose, len(cells))
            prose = []
            cells.append(_code(label, code.rstrip("\n")))
    cells += _prose_cell(prose + [body[start:]], len(cells))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"},
                   "language_info": {"name": "python"}}
    return nb


def _prose_cell(pieces: list, index: int) -> list:
    """The paragraphs of `pieces` as one Markdown cell (none if nothing is left)."""
    paragraphs = [p.strip() for piece in pieces for p in re.split(r"\n\s*\n", piece)]
    kept = [p for p in paragraphs if p and "`r " not in p]
    return [_markdown(f"text-{index}", "\n\n".join(kept))] if kept else []


def _markdown(cell_id: str, source: str):
    # Fixed ids: a regenerated notebook is byte for byte the committed one.
    return nbformat.v4.new_markdown_cell(source, id=cell_id)


def _code(cell_id: str, source: str):
    return nbformat.v4.new_code_cell(source, id=cell_id)


def version() -> str:
    """vaelab's version, read from the source (the wheel's name depends on it)."""
    init = (ROOT / "python" / "vaelab" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "(.+)"$', init, re.M).group(1)


def rendered(name: str) -> str:
    """The text of notebooks/<name>.ipynb as this script writes it."""
    return nbformat.writes(notebook(ROOT / "vignettes" / f"{name}.Rmd", version())) + "\n"


def main() -> int:
    for name in VIGNETTES:
        path = ROOT / "notebooks" / f"{name}.ipynb"
        path.write_text(rendered(name), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
