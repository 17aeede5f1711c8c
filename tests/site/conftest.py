"""Options of the site check: where `make site` wrote the site, where screenshots go."""

from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--site", default="site", help="folder of the built site (make site)")
    parser.addoption("--shots", default="site-check", help="folder for the screenshots")


@pytest.fixture(scope="session")
def site(request):
    folder = Path(request.config.getoption("--site")).resolve()
    if not (folder / "index.html").exists() or not (folder / "python" / "vaelab.html").exists():
        pytest.fail(f"no built site in {folder}: run `make site` first")
    return folder


@pytest.fixture(scope="session")
def shots(request):
    folder = Path(request.config.getoption("--shots")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
