"""The documentation site as a reader sees it: `make test-site` (after `make site`).

Every page's internal links and images resolve; four pages (the R home page, an article
with figures, a reference page, the Python API) open in headless Chromium without a console
error or a failed request for a file of the site, and are saved as screenshots to look at.
The network is closed here, as on a reader's machine offline: the assets pkgdown loads from
CDNs (CDN_HOSTS) fail, and the pages must stay readable without them.
"""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from chromium import Chromium

from vaelab.output import NOISE, RETRACING

PAGES = {"home": "index.html", "article": "articles/dfc-vae.html",
         "reference": "reference/build_vae.html", "python": "python/vaelab.html"}
# pkgdown 2.0.7's Bootstrap 5 template loads Font Awesome, bootstrap-toc, headroom,
# clipboard.js, fuse.js, autocomplete.js, mark.js and a MathJax configuration from these.
CDN_HOSTS = {"cdnjs.cloudflare.com", "cdn.jsdelivr.net", "oss.maxcdn.com"}
# What pkgdown.js then reports, offline only: the libraries above are missing.
OFFLINE_ERRORS = re.compile(r"\b(ClipboardJS|Toc|Mark|Fuse) is not defined"
                            r"|\.(headroom|autocomplete) is not a function")
LINKING = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src"}


class References(HTMLParser):
    """The URLs a page refers to: links, images, scripts, stylesheets."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        value = dict(attrs).get(LINKING.get(tag))
        if value:
            self.urls.append(value)


def internal_target(page: Path, url: str):
    """The file `url` on `page` points to, or None for external and same-page URLs."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    return target / "index.html" if target.is_dir() else target


def test_every_internal_link_and_image_resolves(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 50  # home, reference, articles and the Python API
    broken = []
    for page in pages:
        parser = References()
        parser.feed(page.read_text(encoding="utf-8"))
        for url in parser.urls:
            target = internal_target(page, url)
            if target is not None and not target.exists():
                broken.append(f"{page.relative_to(site)}: {url}")
    assert broken == []


def test_sites_link_to_each_other(site):
    r_home = (site / "index.html").read_text(encoding="utf-8")
    python_home = (site / "python" / "vaelab.html").read_text(encoding="utf-8")
    assert 'href="python/vaelab.html"' in r_home
    assert 'href="../index.html"' in python_home


def test_knitted_lessons_show_no_tensorflow_noise(site):
    for page in sorted((site / "articles").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert not NOISE.search(text) and RETRACING not in text, page.name


@pytest.fixture(scope="module")
def browser():
    with Chromium() as chromium:
        yield chromium


@pytest.mark.parametrize("name", PAGES)
def test_page_opens_cleanly_in_chromium(browser, site, shots, name):
    page = site / PAGES[name]
    visit = browser.visit(page.as_uri(), shots / f"{name}.png")
    external = [(url, why) for url, why in visit.failed if urlsplit(url).scheme != "file"]
    internal = [(url, why) for url, why in visit.failed if urlsplit(url).scheme == "file"]
    assert internal == []
    assert {urlsplit(url).netloc for url, _ in external} <= CDN_HOSTS
    cdn_missing = bool(external)
    errors = [(text, source) for text, source in visit.errors
              if not (text.startswith("Failed to load resource")
                      and urlsplit(source).scheme != "file")
              and not (cdn_missing and OFFLINE_ERRORS.search(text))]
    assert errors == []
    assert visit.broken_images == []
    assert (shots / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    if name == "article":
        assert visit.image_count >= 4  # the lesson's four figures
