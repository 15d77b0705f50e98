"""Contact sheets of the every-page sweep's screenshots, for a person to look
at: each page's four looks (1280 and 390 px, light and dark) side by side,
a few pages to a sheet, drawn by the same headless Chromium the tests use
(no imaging library needed).

    .venv/bin/python tests/browser/contact_sheet.py [--pages 3] [--language en]

reads test-artifacts/browser/every-page/<language>/ (written by
tests/browser/test_every_page.py) and writes
test-artifacts/browser/contact-sheets/<language>-NN.png.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fixtures.browser import ARTIFACTS, CHROMIUM  # noqa: E402

LOOKS = ("1280-light", "1280-dark", "390-light", "390-dark")
# Each look's width on the sheet: the desktop at a third, the phone at half.
WIDTH = {"1280": 420, "390": 195}


def _pages(directory: Path) -> dict[str, dict[str, Path]]:
    """{page label: {look: file}} from names like superadmin-domains-index-390-dark.png."""
    pages: dict[str, dict[str, Path]] = defaultdict(dict)
    for shot in sorted(directory.glob("*.png")):
        match = re.fullmatch(r"(.+)-(1280|390)-(light|dark)", shot.stem)
        if match:
            pages[match[1]][f"{match[2]}-{match[3]}"] = shot
    return dict(pages)


def _sheet(pages: list[tuple[str, dict[str, Path]]]) -> str:
    rows = []
    for label, looks in pages:
        cells = "".join(
            f'<figure><img src="{looks[look].as_uri()}" style="width:{WIDTH[look.split("-")[0]]}px">'
            f"<figcaption>{look}</figcaption></figure>"
            for look in LOOKS
            if look in looks
        )
        rows.append(f"<section><h2>{html.escape(label)}</h2><div>{cells}</div></section>")
    style = (
        "body{margin:8px;font:13px sans-serif;background:#777}h2{margin:4px 0;font-size:15px;color:#fff}"
        "section{margin-bottom:10px}div{display:flex;gap:8px;align-items:flex-start}"
        "figure{margin:0}img{display:block;border:1px solid #000}figcaption{color:#fff}"
    )
    return f"<!doctype html><style>{style}</style>{''.join(rows)}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", action="append", help="en, fr (default: each one swept)")
    parser.add_argument("--pages", type=int, default=3, help="pages to a sheet")
    args = parser.parse_args(argv)
    source, target = ARTIFACTS / "every-page", ARTIFACTS / "contact-sheets"
    target.mkdir(parents=True, exist_ok=True)
    languages = args.language or sorted(p.name for p in source.iterdir() if p.is_dir())

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1360, "height": 800})
        for language in languages:
            pages = sorted(_pages(source / language).items())
            for number, start in enumerate(range(0, len(pages), args.pages), 1):
                html_file = target / f"{language}-{number:02}.html"
                html_file.write_text(_sheet(pages[start : start + args.pages]))
                page.goto(html_file.as_uri())
                page.screenshot(path=str(html_file.with_suffix(".png")), full_page=True)
                html_file.unlink()
            print(f"{language}: {len(pages)} pages on {number} sheets in {target}")
        browser.close()


if __name__ == "__main__":
    main()
