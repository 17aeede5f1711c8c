"""The notebooks: generated from the vignettes and up to date, and they run top to bottom."""

import asyncio
import importlib.util
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from vaelab import output  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# Seconds one notebook may take, all cells together (each takes one to three minutes here).
NOTEBOOK_LIMIT = 900


def generator():
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", ROOT / "notebooks" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = generator()


def test_one_notebook_per_vignette_and_no_other():
    assert sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")) == sorted(MAKE.VIGNETTES)


@pytest.mark.parametrize("name", MAKE.VIGNETTES)
def test_notebook_is_up_to_date_with_its_vignette(name):
    committed = (ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8")
    assert committed == MAKE.rendered(name), (
        f"notebooks/{name}.ipynb differs from vignettes/{name}.Rmd: run `make notebooks`")


@pytest.mark.parametrize("name", MAKE.VIGNETTES)
def test_notebook_has_every_python_chunk_and_no_output(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    rmd = (ROOT / "vignettes" / f"{name}.Rmd").read_text(encoding="utf-8")
    chunks = re.findall(r"^```\{python ([\w-]+)([^}]*)\}\n(.*?)^```", rmd, re.M | re.S)
    run = [label for label, options, _ in chunks if not MAKE.SHOWN_ONLY.search(options)]
    shown = [code for _, options, code in chunks if MAKE.SHOWN_ONLY.search(options)]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.id for c in code] == ["install"] + run
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    # Chunks the vignette does not run are shown in the text, and nothing else is fenced.
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.findall(r"```python\n(.*?)```", text, re.S) == shown
    assert text.count("```") == 2 * len(shown)


@pytest.mark.slow
@pytest.mark.parametrize("name", MAKE.VIGNETTES)
def test_notebook_runs_top_to_bottom(name, mnist, tmp_path):
    # `mnist`: the notebooks read MNIST from VAELAB_DATA, as on a machine after one download.
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=NOTEBOOK_LIMIT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    asyncio.run(asyncio.wait_for(client.async_execute(), NOTEBOOK_LIMIT))
    rmd = (ROOT / "vignettes" / f"{name}.Rmd").read_text(encoding="utf-8")
    drawing = set(re.findall(r'^```\{python ([\w-]+),[^}]*fig\.show = "hide"', rmd, re.M))
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert bool(images) == (cell.id in drawing), f"{name}: cell {cell.id}"
        streams = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert not [line for line in streams.splitlines()
                    if output.NOISE.search(line) or output.RETRACING in line], streams
