"""The HTML board in a real browser: Debian's ``chromium`` driven by Playwright.

The browser is found on PATH (or at ``ZYW_FLOW_CHROMIUM``); Playwright never downloads
one. Without a browser these tests skip, except under ``ZYW_FLOW_REQUIRE_BROWSER=1``
(CI), where they fail. Chromium runs with a fontconfig of its own that holds DejaVu only
(matplotlib's copy), so what the page shows in Chinese comes from the font the page
embeds, on any machine.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zyw_flow import Campaign, run_scenario
from zyw_flow.board import board_data, write_board_html
from zyw_flow.scenario import bundled_scenarios, find_scenario

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = os.environ.get("ZYW_FLOW_REQUIRE_BROWSER") == "1"


def _chromium() -> str | None:
    explicit = os.environ.get("ZYW_FLOW_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(why: str) -> None:
    if REQUIRED:
        pytest.fail(f"ZYW_FLOW_REQUIRE_BROWSER=1 but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a fontconfig of DejaVu only (no system CJK font)."""
    executable = _chromium()
    if executable is None:
        _unavailable("no chromium on PATH (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    conf_dir = tmp_path_factory.mktemp("fontconfig")
    conf = conf_dir / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{fonts}</dir><cachedir>{conf_dir / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"], env=env
        )
        yield b
        b.close()


class Page:
    """An opened board with what the browser reported while it loaded and ran."""

    def __init__(self, browser: Any, path: Path, width: int = 1280) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready='1']", timeout=15_000)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _console(self, msg: Any) -> None:
        if msg.type in ("error", "warning"):
            self.errors.append(f"{msg.type}: {msg.text}")

    def svg_texts(self, selector: str) -> list[str]:
        texts = self.page.eval_on_selector_all(
            f"{selector} svg text", "ns => ns.map(n => n.textContent)"
        )
        return [str(t) for t in texts]

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).inner_text())

    def assert_clean(self) -> None:
        """No console error or warning, no request but the file itself."""
        assert self.errors == []
        assert self.blocked == []
        assert [u for u in self.requests if not u.startswith("data:")] == [
            self.page.url.split("#")[0]
        ]

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def zhiyong(tmp_path_factory: pytest.TempPathFactory) -> tuple[Campaign, Path]:
    """The bundled 2011 scenario played to its end, and its board."""
    result = run_scenario(find_scenario("zhiyong-2011"))
    assert result.campaign is not None
    path = write_board_html(result.campaign, tmp_path_factory.mktemp("board") / "b.html")
    return result.campaign, path


@pytest.fixture
def page(browser: Any, zhiyong: tuple[Campaign, Path]) -> Iterator[Page]:
    opened = Page(browser, zhiyong[1])
    yield opened
    opened.assert_clean()
    opened.close()


def test_units_and_counts(page: Page, zhiyong: tuple[Campaign, Path]) -> None:
    """The tree lists every unit; counts and lights match the campaign."""
    campaign = zhiyong[0]
    assert page.count("#unit-tree tbody tr.unit-row") == len(campaign.units)
    for uid in campaign.units:
        status = campaign.unit_status(uid)
        row = f"#unit-tree tr[data-unit='{uid}']"
        assert page.count(f"{row} .light") == len(status.steps)
        overdue = [s for s in status.steps.values() if s.status == "overdue"]
        assert page.count(f"{row} .light.s-overdue") == len(overdue)
        reds = sum(1 for s in overdue if s.escalation == 3)
        assert page.count(f"{row} .light.s-overdue.l-3") == reds
    assert page.text("[data-testid='card-units'] .v") == str(len(campaign.units))
    assert page.text("[data-testid='card-overdueN'] .v") == str(len(campaign.overdue()))
    assert page.count("#overdue-list tbody tr") == len(campaign.overdue())
    assert page.text("#title") == campaign.compiled.resolved.title
    assert "红牌" in page.text("#overdue-list")


def test_filters(page: Page, zhiyong: tuple[Campaign, Path]) -> None:
    """Subtree, step and level filters narrow the overdue list, by clicking."""
    campaign = zhiyong[0]
    items = board_data(campaign)["overdue"]
    page.page.select_option("#f-subtree", "county-3")
    # wang, a person under county-3, owes none of the campaign's unit steps
    mine = [o for o in items if o["unit"] in ("county-3", "wang")]
    assert page.count("#overdue-list tbody tr") == len(mine) > 0
    assert f"{len(mine)}" in page.text("#overdue-count")
    step = mine[0]["step"]
    page.page.select_option("#f-step", step)
    plan = [o for o in mine if o["step"] == step]
    assert page.count("#overdue-list tbody tr") == len(plan) > 0
    page.page.select_option("#f-step", "")
    page.page.click("[data-testid='level-3']")  # hide 红牌
    assert page.page.get_attribute("[data-testid='level-3']", "aria-pressed") == "false"
    below = [o for o in mine if o["escalation"] != 3]
    rows = page.count("#overdue-list tbody tr:not(.empty)")
    assert rows == len(below)
    assert page.count("#overdue-list tbody tr[data-level='3']") == 0
    page.page.click("[data-testid='level-3']")
    page.page.select_option("#f-subtree", "")
    assert page.count("#overdue-list tbody tr") == len(items)


def test_timeline_by_click(page: Page, zhiyong: tuple[Campaign, Path]) -> None:
    """Clicking a unit shows its events, the finding among them."""
    campaign = zhiyong[0]
    page.page.click("#unit-tree tr[data-unit='county-2'] td >> nth=0")
    assert page.count("#timeline li") == len(campaign.timeline("county-2"))
    assert page.count("#timeline li[data-type='finding_recorded']") == 1
    assert "发现问题" in page.text("#timeline")


def test_gantt_labels_every_deadline(page: Page, zhiyong: tuple[Campaign, Path]) -> None:
    """The calendar draws each one-off deadline with its date and title."""
    resolved = zhiyong[0].compiled.resolved
    labels = page.svg_texts("#gantt")
    for step in resolved.steps:
        if step.due is not None and step.instance is None:
            assert f"{step.due.month:02d}-{step.due.day:02d} {step.title}" in labels
    assert "催办" in page.text("#ladder") and "红牌" in page.text("#ladder")


def test_language_toggle(page: Page, zhiyong: tuple[Campaign, Path]) -> None:
    """The toggle shows English ids, and back."""
    page.page.click("#lang-toggle")
    assert page.text("#title") == "zhiyong-2011"
    assert page.text("#unit-tree tr[data-unit='county-1'] td >> nth=0") == "county-1"
    assert "red_card" in page.text("#ladder")
    page.page.click("#lang-toggle")
    assert page.text("#title") == zhiyong[0].compiled.resolved.title


def _pixels(png: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


def test_chinese_glyphs_rendered(browser: Any, zhiyong: tuple[Campaign, Path]) -> None:
    """The title renders with the embedded font; without it the same page shows tofu."""
    from PIL import ImageChops

    campaign, path = zhiyong
    bare = write_board_html(campaign, path.with_name("bare.html"), font=False)
    shots = []
    for source, has_font in ((path, True), (bare, False)):
        opened = Page(browser, source)
        loaded = opened.page.evaluate(
            "[...document.fonts].some(f => f.family.replace(/[\"']/g, '') === 'ZywCJK'"
            " && f.status === 'loaded')"
        )
        assert bool(loaded) is has_font
        shots.append(_pixels(opened.page.locator("#title").screenshot()))
        opened.assert_clean()
        opened.close()
    with_font, tofu = shots
    colours = with_font.getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 8  # not blank: anti-aliased glyphs
    diff = ImageChops.difference(with_font.resize(tofu.size), tofu)
    assert diff.getbbox() is not None  # the glyphs differ from the tofu boxes


def test_scored_campaign(browser: Any, tmp_path: Path) -> None:
    """Ranking, grade chart and scorecards appear when the campaign scores."""
    result = run_scenario(ROOT / "tests" / "scenarios" / "zhiyong-2011-evaluation.yaml")
    assert result.campaign is not None
    ranking = result.campaign.evaluate().ranking
    opened = Page(browser, write_board_html(result.campaign, tmp_path / "scored.html"))
    assert opened.page.is_visible("#evaluation-panel")
    assert opened.count("#ranking tbody tr") == len(ranking)
    assert opened.count("#scorecards details") == len(result.campaign.evaluate().cards)
    assert opened.count("#grade-chart svg") == 1
    assert {"优秀", "良好", "达标", "诫勉"} <= set(opened.svg_texts("#grade-chart"))
    opened.assert_clean()
    opened.close()


@pytest.mark.parametrize("scenario", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_seed_board(browser: Any, scenario: Path, tmp_path: Path) -> None:
    """Each bundled seed campaign's board opens cleanly and lists its units."""
    result = run_scenario(scenario)
    assert result.campaign is not None
    opened = Page(browser, write_board_html(result.campaign, tmp_path / "seed.html"))
    assert opened.count("#unit-tree tr.unit-row") == len(result.campaign.units)
    assert opened.count("#gantt svg") == 1
    opened.assert_clean()
    opened.close()


_EVIL = """
id: evil
title: 探针
params: {year: {type: int, default: 2011}}
phases:
  - id: p1
    title: "<img src=x onerror=\\"document.title='XSS-phase'\\">一"
    window: 9月1日—9月30日
    steps:
      a: {title: "<img src=x onerror=\\"document.title='XSS-step'\\">甲", due: 9月10日}
"""


def test_the_templates_text_is_never_markup(browser: Any, tmp_path: Path) -> None:
    """Titles come from a template a host may not have written: every tooltip of the Gantt
    chart shows them as text (ECharts renders a formatter's string as HTML)."""
    from zyw_flow import load_template_text

    c = Campaign.create(load_template_text(_EVIL))
    c.enroll("u1", at="2011-08-30")
    c.tick("2011-09-20")
    opened = Page(browser, write_board_html(c, tmp_path / "evil.html"))
    shown = opened.page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.getElementById("gantt"));
            const tips = [];
            for (const seriesIndex of [1, 2]) {
                for (let dataIndex = 0; dataIndex < 4; dataIndex++) {
                    chart.dispatchAction({type: "showTip", seriesIndex, dataIndex});
                    const tip = document.querySelector("#gantt div[style*='z-index']");
                    if (tip) tips.push(tip.textContent);
                }
            }
            return tips;
        }"""
    )
    opened.page.wait_for_timeout(200)
    assert any("<img src=x" in tip for tip in shown), shown  # shown, as text
    assert opened.page.title() != "XSS-step" and opened.page.title() != "XSS-phase"
    assert opened.count("img[src='x']") == 0
    opened.close()
