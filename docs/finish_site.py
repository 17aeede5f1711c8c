"""Finish the site that pkgdown built: the README's links into the repository, on its home page.

On GitHub the README links to the lessons' sources (``vignettes/*.Rmd``) and to Markdown
files of the repository (the reproduction report, the benchmark results). pkgdown 2.0.7
keeps the first as they are and points the second at ``.html`` files it does not write.
Here a lesson's link goes to its article, and each such Markdown file is rendered by pandoc
where the link points, figures embedded. Debian's pkgdown also points every page at MathJax
in /usr/share/javascript, a file of the machine that built the site, which browsers refuse
(and no lesson has formulas to typeset); that tag goes.
Usage: ``python docs/finish_site.py SITE``.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL_MATHJAX = re.compile(r'<script src="file:///usr/share/javascript/mathjax/[^"]*"[^>]*>'
                           r'</script>\n?')


def finish(site: Path) -> list:
    """Rewrite and fill the home page's links; returns the pages rendered."""
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if LOCAL_MATHJAX.search(text):
            page.write_text(LOCAL_MATHJAX.sub("", text), encoding="utf-8")
    home = site / "index.html"
    html = re.sub(r'href="vignettes/([\w-]+)\.Rmd"', r'href="articles/\1.html"',
                  home.read_text(encoding="utf-8"))
    home.write_text(html, encoding="utf-8")
    rendered = []
    for link in sorted(set(re.findall(r'href="([\w./-]+)\.html"', html))):
        source, target = ROOT / f"{link}.md", site / f"{link}.html"
        if not target.exists() and source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["pandoc", "--standalone", "--self-contained", "--metadata",
                            f"pagetitle={source.stem}", f"--resource-path={source.parent}",
                            "-o", str(target), str(source)], check=True)
            rendered.append(target)
    return rendered


if __name__ == "__main__":
    for page in finish(Path(sys.argv[1])):
        print(f"wrote {page}")
