"""The HTML board's data and file: what it holds, and that it needs nothing from outside."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zyw_flow import Campaign, UnknownUnitError, run_scenario
from zyw_flow.board import ECHARTS_VERSION, board_data, render_board_html, write_board_html
from zyw_flow.scenario import bundled_scenarios, find_scenario

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "zyw_flow" / "board" / "assets"


@pytest.fixture(scope="module")
def zhiyong() -> Campaign:
    """The bundled 2011 scenario, played to its end."""
    result = run_scenario(find_scenario("zhiyong-2011"))
    assert result.campaign is not None
    return result.campaign


@pytest.fixture(scope="module")
def scored() -> Campaign:
    """The 2011 scenario with scores recorded."""
    result = run_scenario(ROOT / "tests" / "scenarios" / "zhiyong-2011-evaluation.yaml")
    assert result.ok and result.campaign is not None
    return result.campaign


def _data(html: str) -> dict[str, object]:
    m = re.search(r'<script type="application/json" id="board-data">(.*?)</script>', html, re.S)
    assert m is not None
    loaded: dict[str, object] = json.loads(m.group(1))
    return loaded


class TestData:
    def test_units_and_counts(self, zhiyong: Campaign) -> None:
        """Units, overdue items and statuses agree with the campaign's own answers."""
        data = board_data(zhiyong)
        units = {u["id"]: u for u in data["units"]}
        assert list(units) == list(zhiyong.units)
        assert len(data["overdue"]) == len(zhiyong.overdue())
        for uid, u in units.items():
            status = zhiyong.unit_status(uid)
            assert u["phase"] == status.phase
            assert {s["step"]: s["status"] for s in u["steps"]} == {
                k: v.status for k, v in status.steps.items()
            }
            done = sum(v.status in ("accepted", "waived") for v in status.steps.values())
            assert u["done"] == done
        assert units["wang"]["depth"] == 2 and units["city"]["depth"] == 0
        assert data["board"] == zhiyong.board().to_json()

    def test_overdue_sorted_by_level(self, zhiyong: Campaign) -> None:
        """The heaviest escalation comes first, each with its title."""
        levels = [o["escalation"] for o in board_data(zhiyong)["overdue"]]
        assert levels == sorted(levels, reverse=True)
        titles = {o["escalation_title"] for o in board_data(zhiyong)["overdue"]}
        assert titles <= {None, "催办", "黄牌", "红牌"}

    def test_findings_and_sanctions(self, zhiyong: Campaign) -> None:
        """The covert-visit finding and the 约谈 of the scenario are listed."""
        data = board_data(zhiyong)
        [finding] = data["findings"]
        assert finding["unit"] == "county-2" and finding["source_title"] == "明察暗访"
        assert finding["description"] == "窗口工作人员脱岗" and finding["status"] == "accepted"
        [sanction] = data["sanctions"]
        assert sanction["unit"] == "county-3" and sanction["person"] == "wang"

    def test_timelines(self, zhiyong: Campaign) -> None:
        """Each unit's timeline is its events, in order."""
        data = board_data(zhiyong)
        for uid in zhiyong.units:
            assert [e["seq"] for e in data["timelines"][uid]] == [
                e.seq for e in zhiyong.timeline(uid)
            ]

    def test_subtree(self, zhiyong: Campaign) -> None:
        """``root`` keeps a unit and its descendants only."""
        data = board_data(zhiyong, root="county-3")
        assert [u["id"] for u in data["units"]] == ["county-3", "wang"]
        assert {o["unit"] for o in data["overdue"]} <= {"county-3", "wang"}
        with pytest.raises(UnknownUnitError):
            board_data(zhiyong, root="nowhere")

    def test_evaluation(self, scored: Campaign) -> None:
        """Ranking and distribution when the campaign scores; band titles from the scheme."""
        ev = board_data(scored)["evaluation"]
        assert ev is not None
        assert [r["unit"] for r in ev["ranking"]] == [r.unit for r in scored.evaluate().ranking]
        assert ev["bands"]["excellent"] == "优秀"
        counts = {d["band"]: d["count"] for d in ev["distribution"]}
        assert sum(counts.values()) == len(ev["ranking"])

    def test_no_scores_yet(self, zhiyong: Campaign) -> None:
        """A campaign with a scheme but no scores shows the scheme and no ranking."""
        ev = board_data(zhiyong)["evaluation"]
        assert ev is not None and ev["cards"] == [] and ev["ranking"] == []


class TestFile:
    def test_self_contained(self, zhiyong: Campaign, tmp_path: Path) -> None:
        """One file: inline scripts and styles, the font as data, no URL to fetch."""
        path = write_board_html(zhiyong, tmp_path / "board.html")
        html = path.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>")
        markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", html, flags=re.S)
        assert markup.count("<script") == 3
        assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", markup)
        assert "@import" not in html
        assert "url(data:font/woff;base64," in html
        assert "default-src 'none'" in html  # the page itself forbids any request
        assert _data(html)["campaign"]["id"] == "zhiyong-2011"  # type: ignore[index]
        assert path.stat().st_size < 1_500_000

    def test_without_font(self, zhiyong: Campaign) -> None:
        """``font=False`` leaves the font out."""
        assert "@font-face" not in render_board_html(zhiyong, font=False)

    def test_lang(self, zhiyong: Campaign) -> None:
        """The page opens in the language asked for; an unknown one is refused."""
        assert 'data-lang="en"' in render_board_html(zhiyong, lang="en", font=False)
        with pytest.raises(ValueError, match="lang"):
            render_board_html(zhiyong, lang="fr")

    def test_only_its_own_scripts_may_run(self, zhiyong: Campaign) -> None:
        """The policy names the page's two scripts by hash: no inline handler or injected
        script in the data could run."""
        import base64
        import hashlib

        html = render_board_html(zhiyong, font=False)
        policy = re.search(r'Content-Security-Policy" content="([^"]*)"', html)
        assert policy is not None
        scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
        expected = [
            "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
            for body in scripts
        ]
        assert len(expected) == 2
        assert f"script-src {' '.join(expected)};" in policy.group(1)
        assert "unsafe-inline" not in policy.group(1).split("script-src", 1)[1].split(";")[0]

    def test_script_end_tag_escaped(self, zhiyong: Campaign) -> None:
        """Data cannot close its script element."""
        html = render_board_html(zhiyong, font=False)
        data = html.split('id="board-data">', 1)[1].split("</script>", 1)[0]
        assert "</" not in data

    def test_echarts_shipped_with_licence(self) -> None:
        """The pinned ECharts build and its Apache licence and notice are in the package."""
        js = (ASSETS / "echarts.common.min.js").read_text(encoding="utf-8")
        assert f'version:"{ECHARTS_VERSION}"' in js
        assert "Apache License" in (ASSETS / "echarts.LICENSE.txt").read_text(encoding="utf-8")
        assert "Apache ECharts" in (ASSETS / "echarts.NOTICE.txt").read_text(encoding="utf-8")

    @pytest.mark.parametrize("scenario", bundled_scenarios(), ids=lambda p: p.stem)
    def test_every_seed(self, scenario: Path) -> None:
        """Each bundled scenario's board renders and names its campaign."""
        result = run_scenario(scenario)
        assert result.campaign is not None
        html = render_board_html(result.campaign, font=False)
        assert _data(html)["campaign"]["id"] == result.campaign.id  # type: ignore[index]


class TestSubtreeProperty:
    @settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def test_any_root(self, zhiyong: Campaign, data: st.DataObject) -> None:
        """For any root, the board holds exactly its subtree, its overdue items and its
        rolled-up counts."""
        root = data.draw(st.sampled_from([None, *zhiyong.units]))
        board = board_data(zhiyong, root=root)
        parent = {u: zhiyong.unit_status(u).parent for u in zhiyong.units}

        def under(u: str | None) -> bool:
            while u is not None:
                if u == root:
                    return True
                u = parent[u]
            return root is None

        assert [u["id"] for u in board["units"]] == [u for u in zhiyong.units if under(u)]
        expected = sorted((o.unit, o.step) for o in zhiyong.overdue() if under(o.unit))
        assert sorted((o["unit"], o["step"]) for o in board["overdue"]) == expected
        assert board["board"] == zhiyong.board(root).to_json()
        shown = sum(u["total"] for u in board["units"])
        assert shown == sum(board["board"]["statuses"].values())
