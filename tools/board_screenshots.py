"""Regenerate docs/img/board-<campaign>.png: the HTML board of each bundled seed scenario.

Usage: ``python tools/board_screenshots.py [OUT_DIR]`` (default ``docs/img``). Needs
Debian's ``chromium`` (or ``ZYW_FLOW_CHROMIUM``) and Playwright (the ``dev`` extra). The
browser runs with a fontconfig holding DejaVu only, so the Chinese in the pictures is the
font the board embeds, as on a machine without CJK fonts.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib
from PIL import Image
from playwright.sync_api import sync_playwright

from zyw_flow import run_scenario
from zyw_flow.board import write_board_html
from zyw_flow.scenario import bundled_scenarios

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 1280


def main(out_dir: Path) -> None:
    chromium = os.environ.get("ZYW_FLOW_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no chromium on PATH (Debian: apt-get install chromium)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        conf = work / "fonts.conf"
        conf.write_text(
            f'<?xml version="1.0"?>\n<fontconfig><dir>{fonts}</dir>'
            f"<cachedir>{work / 'cache'}</cachedir></fontconfig>\n",
            encoding="utf-8",
        )
        env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"], env=env)
            for scenario in bundled_scenarios():
                result = run_scenario(scenario)
                assert result.campaign is not None, result.failures
                html = write_board_html(result.campaign, work / f"{scenario.stem}.html")
                page = browser.new_page(viewport={"width": WIDTH, "height": 900})
                page.goto(html.as_uri())
                page.wait_for_selector("body[data-ready='1']", timeout=15_000)
                shot = work / f"{scenario.stem}.png"
                page.screenshot(path=str(shot), full_page=True)
                page.close()
                out = out_dir / f"board-{result.campaign.id}.png"
                # 256 colours keep text crisp and the file small.
                Image.open(shot).convert("RGB").quantize(colors=256).save(out, optimize=True)
                kib = html.stat().st_size // 1024, out.stat().st_size // 1024
                print(f"{out.name}: {kib[0]} KiB board, {kib[1]} KiB png")
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img")
