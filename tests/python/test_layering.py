"""How vaelab's modules depend on each other: models never on reporting, the import on no
POSIX-only module."""

import ast
from pathlib import Path

import pytest

from helpers import run_python

PACKAGE = Path(__file__).resolve().parents[2] / "python" / "vaelab"
MODEL_MODULES = ("layers", "losses", "models", "training", "inference", "cvae", "vaegan")
ABOVE_MODELS = {"evaluation", "report", "plots", "attributes", "distances", "cli"}


def vaelab_imports(module: str) -> set:
    """The vaelab modules that `module` imports, at its top or inside functions."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    return {node.module.split(".")[0] for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module}


@pytest.mark.parametrize("module", MODEL_MODULES)
def test_model_modules_import_no_evaluation_report_or_plot(module):
    assert not vaelab_imports(module) & ABOVE_MODELS


def test_import_vaelab_needs_no_fcntl():
    # Windows has no fcntl: only vaelab.export, which data-raw/ uses, may need it.
    done = run_python(["-c", "import sys; sys.modules['fcntl'] = None; import vaelab; "
                             "print('imported')"])
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr
