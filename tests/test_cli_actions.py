"""Every recorded action on the command line: ``zyw-flow campaign VERB`` through the one
command table, equal to the same calls on the API; ``--at now`` and the wall-clock guard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import store_fixtures
from tests.store_fixtures import ROOT, Store, comparable, in_memory, populate
from zyw_flow import Campaign
from zyw_flow.cli import build_parser, main
from zyw_flow.cli._campaign import ACTION_VERBS, _field_kind
from zyw_flow.runtime import COMMANDS

store = store_fixtures.store
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server

Call = tuple[list[str], Callable[[Campaign], Any]]

#: (CLI words after ``campaign VERB DB`` …, the same call on the API): one of every verb.
CALLS: list[Call] = [
    (
        ["submit", "{db}", "county-1", "work_plan", "--actor", "clerk-1",
         "--at", "2011-09-05 10:00", "--key", "k1", "--evidence", "方案.pdf"],
        lambda c: c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05 10:00",
                           key="k1", evidence="方案.pdf"),
    ),
    (
        ["accept", "{db}", "county-1", "work_plan", "--actor", "office", "--at", "2011-09-06",
         "--note", "合格"],
        lambda c: c.accept("county-1", "work_plan", actor="office", at="2011-09-06", note="合格"),
    ),
    (
        ["submit", "{db}", "county-2", "work_plan", "--actor", "clerk-2", "--at", "2011-09-07"],
        lambda c: c.submit("county-2", "work_plan", actor="clerk-2", at="2011-09-07"),
    ),
    (
        ["return", "{db}", "county-2", "work_plan", "--actor", "office", "--at", "2011-09-08",
         "--reason", "补充材料"],
        lambda c: c.return_step("county-2", "work_plan", actor="office", at="2011-09-08",
                                reason="补充材料"),
    ),
    (
        ["waive", "{db}", "city", "mobilization_meeting", "--actor", "office",
         "--at", "2011-09-09", "--reason", "免报"],
        lambda c: c.waive("city", "mobilization_meeting", actor="office", at="2011-09-09",
                          reason="免报"),
    ),
    (
        ["finding", "record", "{db}", "county-1", "--actor", "inspector", "--at", "2011-09-10",
         "--source", "covert_visit", "--description", "上班时间玩游戏", "--days", "5"],
        lambda c: c.record_finding("county-1", actor="inspector", at="2011-09-10",
                                   source="covert_visit", description="上班时间玩游戏", days=5),
    ),
    (
        ["submit", "{db}", "county-1", "finding-1", "--actor", "clerk-1", "--at", "2011-09-12"],
        lambda c: c.submit("county-1", "finding-1", actor="clerk-1", at="2011-09-12"),
    ),
    (
        ["finding", "verify", "{db}", "county-1", "finding-1", "--actor", "inspector",
         "--at", "2011-09-13"],
        lambda c: c.verify_finding("county-1", "finding-1", actor="inspector", at="2011-09-13"),
    ),
    (
        ["sanction", "{db}", "county-2", "interview", "--actor", "rectify", "--at", "2011-09-14",
         "--person", "张某", "--reason", "拖延", "--rectify-days", "3"],
        lambda c: c.issue_sanction("county-2", "interview", actor="rectify", at="2011-09-14",
                                   person="张某", reason="拖延", rectify_days=3),
    ),
    (
        ["score", "{db}", "county-1", "lawful", "80.5", "--actor", "office",
         "--at", "2011-12-10", "--evidence", "台账"],
        lambda c: c.record_score("county-1", "lawful", "80.5", actor="office", at="2011-12-10",
                                 evidence="台账"),
    ),
    (
        ["score", "{db}", "county-1", "key_work", "90", "--actor", "office",
         "--at", "2011-12-10", "--period", "Q1"],
        lambda c: c.record_score("county-1", "key_work", "90", actor="office", at="2011-12-10",
                                 period="Q1"),
    ),
    (
        ["case", "{db}", "county-1", "violation", "--actor", "rectify", "--at", "2011-12-13",
         "--description", "干部违纪受到查处"],
        lambda c: c.record_case("county-1", "violation", actor="rectify", at="2011-12-13",
                                description="干部违纪受到查处"),
    ),
    (
        ["finalize", "{db}", "--actor", "office", "--at", "2011-12-20", "--round", "2011"],
        lambda c: c.finalize_evaluation(actor="office", at="2011-12-20", round="2011"),
    ),
]  # fmt: skip


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["campaign", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def setup(target: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A 2011 campaign with the actors and units of :func:`populate`, through the CLI."""
    units = tmp_path / "units.csv"
    units.write_text("id,name,parent\ncity,市局,\ncounty-1,1分局,city\ncounty-2,2分局,city\n")
    actors = tmp_path / "actors.csv"
    actors.write_text(
        "id,roles,unit\noffice,office,\ninspector,inspector,\nrectify,accountability,\n"
        "clerk-1,member,county-1\nclerk-2,member,county-2\n",
        encoding="utf-8",
    )
    for args in (
        ["init", target, "zhiyong-2011"],
        ["actors", target, str(actors)],
        ["enroll", target, "--csv", str(units), "--at", "2011-08-30"],
    ):
        code, _, err = cli(capsys, *args)
        assert code == 0, (args, err)


def twin() -> Campaign:
    c = in_memory()
    c.add_actor("office", roles=["office"])
    c.add_actor("inspector", roles=["inspector"])
    c.add_actor("rectify", roles=["accountability"])
    c.add_actor("clerk-1", roles=["member"], unit="county-1")
    c.add_actor("clerk-2", roles=["member"], unit="county-2")
    c.enroll_many(
        [("city", "市局", None), ("county-1", "1分局", "city"), ("county-2", "2分局", "city")],
        at="2011-08-30",
    )
    return c


class TestEveryVerb:
    def test_the_table_is_on_the_command_line(self) -> None:
        """Every recorded command but enrolment (a CSV verb of its own) has a CLI verb."""
        assert {verb for _, verb, _ in ACTION_VERBS} == set(COMMANDS) - {"enroll"}
        parser = build_parser()
        for words, verb, _ in ACTION_VERBS:
            command = COMMANDS[verb]
            method = getattr(Campaign, command.method)
            positional = ["1"] * len(command.positional)
            required: list[str] = []
            for name in command.required:
                if name not in command.positional:
                    flag = f"--{name.replace('_', '-')}"
                    required += [flag] if _field_kind(method, name) == "bool" else [flag, "1"]
            args = parser.parse_args(["campaign", *words, "db", *positional, *required])
            assert args.action == verb

    def test_each_verb_does_what_the_api_does(
        self, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each CLI call records what the same API call records, on SQLite and PostgreSQL."""
        t = store.target
        setup(t, capsys, tmp_path)
        api = twin()
        for words, call in CALLS:
            args = [t if w == "{db}" else w for w in words]
            code, out, err = cli(capsys, *args)
            assert code == 0, (args, err)
            ev = call(api)
            assert out.startswith("#") and f" {ev.type} " in out, out
            if ev.step:
                assert ev.step in out
        with Campaign.open(t) as c:
            assert comparable(c) == comparable(api)
            assert c.unit_status("county-2").sanctions[0]["sanction"] == "interview"
            assert c.rounds and c.rounds[-1]["round"] == "2011"
            cursor = c.cursor
        code, out, err = cli(capsys, "evaluate", t, "--json")  # reads, records nothing
        assert code == 0, err
        assert '"county-1"' in out
        with Campaign.open(t) as c:
            assert c.cursor == cursor

    def test_a_repeated_key_is_reported_as_a_duplicate(
        self, sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        t = sqlite_store.target
        setup(t, capsys, tmp_path)
        args = ["score", t, "county-1", "lawful", "80", "--actor", "office", "--at",
                "2011-12-10", "--key", "s1"]  # fmt: skip
        first = cli(capsys, *args)
        again = cli(capsys, *args)
        assert first[0] == again[0] == 0
        assert "duplicate" not in first[1] and "(duplicate, already recorded)" in again[1]
        assert first[1].split()[0] == again[1].split()[0]  # the same event number

    def test_a_refused_action_is_one_line_and_changes_nothing(
        self, sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A deduction where the scheme has none, a sanction off the ladder, a member
        scoring: exit 2, one line saying why; the journal is as before."""
        t = sqlite_store.target
        setup(t, capsys, tmp_path)
        before = sqlite_store.count()
        for args, why in (
            (["deduction", t, "county-1", "integrity", "2", "--actor", "office",
              "--at", "2011-12-10"], "declares no deductions"),
            (["sanction", t, "county-1", "hanging", "--actor", "rectify",
              "--at", "2011-09-14"], "hanging"),
            (["score", t, "county-1", "lawful", "80", "--actor", "clerk-1",
              "--at", "2011-12-10"], "clerk-1"),
        ):  # fmt: skip
            code, out, err = cli(capsys, *args)
            assert code == 2 and out == ""
            assert len(err.strip().splitlines()) == 1 and why in err, err
        assert sqlite_store.count() == before

    def test_bad_numbers_are_usage_errors(
        self, sqlite_store: Store, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = cli(capsys, "finding", "record", sqlite_store.target, "county-1",
                           "--actor", "inspector", "--days", "five")  # fmt: skip
        assert code == 2 and "--days" in err

    def test_a_deduction_where_the_scheme_takes_them(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The same template with the 三效 scheme, whose deductions the CLI records."""
        text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
        template = tmp_path / "sanxiao.yaml"
        template.write_text(
            text.replace("id: zhiyong-2011", "id: zhiyong-sanxiao", 1)
            .replace(
                "scoring: {units: bureau-unit, persons: bureau-individual}",
                "scoring: {units: beijing-sanxiao}",
            )
            .replace("roles:\n", "roles:\n  third_party: 第三方评估机构\n", 1),
            encoding="utf-8",
        )
        db = str(tmp_path / "s.db")
        assert main(["campaign", "init", db, str(template)]) == 0
        with Campaign.open(db) as c:
            populate(c)
        code, out, err = cli(capsys, "deduction", db, "county-1", "integrity", "2.5",
                             "--actor", "office", "--at", "2011-12-10",
                             "--description", "违规公车私用")  # fmt: skip
        assert code == 0, err
        assert "deduction_recorded county-1" in out
        with Campaign.open(db) as c:
            (ev,) = [e for e in c.events(0) if e.type == "deduction_recorded"]
            assert ev.data == {"item": "integrity", "points": "2.5", "description": "违规公车私用"}


class TestWallClock:
    """Without --at the wall clock is refused where it is implausibly far from the
    campaign (a 2011 campaign is never moved to today by accident); --at now forces it."""

    def test_no_at_on_an_old_campaign_is_refused_naming_at(
        self, sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        t = sqlite_store.target
        setup(t, capsys, tmp_path)
        before = sqlite_store.count()
        for args in (
            ["submit", t, "county-1", "work_plan", "--actor", "clerk-1"],
            ["tick", t],
        ):
            code, out, err = cli(capsys, *args)
            assert code == 2 and out == ""
            lines = err.strip().splitlines()
            assert len(lines) == 1, err
            option = "--until" if args[0] == "tick" else "--at"
            assert f"{option} now" in lines[0] and f"{option} ISO-INSTANT" in lines[0]
        assert sqlite_store.count() == before

    def test_at_now_moves_the_clock_to_the_wall_clock(
        self, sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        t = sqlite_store.target
        setup(t, capsys, tmp_path)
        start = dt.datetime.now(dt.UTC)
        code, out, err = cli(capsys, "finding", "record", t, "county-1", "--actor",
                             "inspector", "--at", "now", "--days", "0")  # fmt: skip
        end = dt.datetime.now(dt.UTC)
        assert code == 0, err
        assert "+08:00" in out  # shown in the campaign's time zone
        with Campaign.open(t, horizon=(start - dt.timedelta(days=1), end)) as c:
            (ev,) = [e for e in c.events(0) if e.type == "finding_recorded"]
            assert start - dt.timedelta(seconds=1) <= ev.at <= end
            assert c.now is not None and c.now >= ev.at

    def test_until_now_ticks_to_the_wall_clock(
        self, sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        t = sqlite_store.target
        setup(t, capsys, tmp_path)
        start = dt.datetime.now(dt.UTC)
        code, out, err = cli(capsys, "tick", t, "--until", "now")
        assert code == 0, err
        assert out.startswith("ticked to ")
        shown = dt.datetime.fromisoformat(out.split()[2].rstrip(":"))
        assert shown >= start - dt.timedelta(seconds=1)

    def test_an_explicit_instant_is_not_widened(
        self, sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An ISO instant far from the campaign stays refused (only `now` is forced)."""
        t = sqlite_store.target
        setup(t, capsys, tmp_path)
        code, _, err = cli(capsys, "submit", t, "county-1", "work_plan", "--actor", "clerk-1",
                           "--at", "2030-01-01")  # fmt: skip
        assert code == 2 and "implausibly far" in err and "--at now" not in err


WORKFLOW = ROOT / "tests" / "templates" / "workflow" / "county-supervision.yaml"

#: The workflow verbs, on the 督查督办 test template (CLI words, the same API call).
WORKFLOW_CALLS: list[Call] = [
    (
        ["assign-group", "{db}", "lead", "county-1", "county-2", "--actor", "office",
         "--at", "2024-04-01"],
        lambda c: c.assign_group("lead", ["county-1", "county-2"], actor="office",
                                 at="2024-04-01"),
    ),
    (
        ["assign-group", "{db}", "lead", "county-2", "--remove", "--actor", "office",
         "--at", "2024-04-01"],
        lambda c: c.assign_group("lead", ["county-2"], actor="office", at="2024-04-01",
                                 remove=True),
    ),
    (
        ["request-extension", "{db}", "county-1", "plan", "--until", "2024-04-19",
         "--reason", "材料待补", "--actor", "c1-clerk", "--at", "2024-04-08"],
        lambda c: c.request_extension("county-1", "plan", until="2024-04-19", reason="材料待补",
                                      actor="c1-clerk", at="2024-04-08"),
    ),
    (
        ["approve-extension", "{db}", "county-1", "plan", "--actor", "c1-leader",
         "--at", "2024-04-09", "--note", "同意"],
        lambda c: c.approve_extension("county-1", "plan", actor="c1-leader", at="2024-04-09",
                                      note="同意"),
    ),
    (
        ["refuse-extension", "{db}", "county-1", "plan", "--actor", "office",
         "--at", "2024-04-10", "--reason", "理由不足"],
        lambda c: c.refuse_extension("county-1", "plan", actor="office", at="2024-04-10",
                                     reason="理由不足"),
    ),
    (
        ["set-deadline", "{db}", "county-2", "plan", "--until", "2024-04-30",
         "--reason", "新设机构", "--actor", "office", "--at", "2024-04-10"],
        lambda c: c.set_deadline("county-2", "plan", until="2024-04-30", reason="新设机构",
                                 actor="office", at="2024-04-10"),
    ),
    (
        ["submit", "{db}", "county-1", "plan", "--actor", "c1-clerk", "--at", "2024-04-11",
         "--key", "s1"],
        lambda c: c.submit("county-1", "plan", actor="c1-clerk", at="2024-04-11", key="s1"),
    ),
    (
        ["void", "{db}", "s1", "--reason", "误报", "--actor", "office", "--at", "2024-04-11"],
        lambda c: c.void("s1", reason="误报", actor="office", at="2024-04-11"),
    ),
    (
        ["finding", "record", "{db}", "county-1", "--actor", "inspector", "--at", "2024-04-11"],
        lambda c: c.record_finding("county-1", actor="inspector", at="2024-04-11"),
    ),
    (
        ["transfer", "{db}", "county-1", "finding-1", "--to", "county-2", "--reason", "属地管理",
         "--actor", "office", "--at", "2024-04-12"],
        lambda c: c.transfer("county-1", "finding-1", to="county-2", reason="属地管理",
                             actor="office", at="2024-04-12"),
    ),
    (
        ["revoke-actor", "{db}", "c1-clerk", "--reason", "调离", "--at", "2024-04-12"],
        lambda c: c.revoke_actor("c1-clerk", reason="调离", at="2024-04-12"),
    ),
]  # fmt: skip


def workflow_twin(c: Campaign) -> None:
    c.add_actor("office", roles=["office"])
    c.add_actor("c1-leader", roles=["leader"], unit="county-1")
    c.add_actor("c1-clerk", roles=["member"], unit="county-1")
    c.add_actor("inspector", roles=["inspector"])
    c.enroll_many(
        [("city", "市局", None), ("county-1", "一县局", "city"), ("county-2", "二县局", "city")],
        at="2024-03-29",
    )


def test_the_workflow_verbs_do_what_the_api_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Groups, extensions, deadlines, voids, transfers and revocations from the CLI record
    what the API records."""
    db = str(tmp_path / "w.db")
    assert main(["campaign", "init", db, str(WORKFLOW)]) == 0
    with Campaign.open(db) as c:
        workflow_twin(c)
    api = Campaign.create(str(WORKFLOW))
    workflow_twin(api)
    for words, call in WORKFLOW_CALLS:
        args = [db if w == "{db}" else w for w in words]
        code, out, err = cli(capsys, *args)
        assert code == 0, (args, err)
        result = call(api)
        if words[0] == "revoke-actor":
            assert out.strip() == "actor c1-clerk revoked"
        else:
            assert f" {result.type} " in out, out
    with Campaign.open(db) as c:
        assert comparable(c) == comparable(api)
        assert (
            c.unit_status("county-2").steps["plan"].due
            == api.unit_status("county-2").steps["plan"].due
        )
        assert c.actors["c1-clerk"].revoked_at is not None


def complaints_twin(c: Campaign) -> None:
    c.add_actor("office", roles=["office"])
    c.add_actor("wenze", roles=["accountability"])
    c.add_actor("clerk-a", roles=["member"], unit="dept-a")
    c.add_actor("wang", roles=["member"], unit="dept-a", name="王某")
    c.add_actor("li", roles=["principal"], unit="dept-a", name="李局长")
    c.enroll_many([("city", "市政府", None), ("dept-a", "市住建局", "city")], at="2012-01-01")


def test_complaints_and_cases_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """效能投诉 and 问责 cases: every step of both procedures from the CLI records what the
    API records (yes/no fields as --x / --no-x)."""
    db = str(tmp_path / "x.db")
    assert main(["campaign", "init", db, "xingzheng-wenze"]) == 0
    with Campaign.open(db) as c:
        complaints_twin(c)
    api = Campaign.create("xingzheng-wenze")
    complaints_twin(api)
    cid = api.register_complaint("dept-a", channel="hotline", actor="office",
                                 at="2012-03-05 09:00", summary="施工许可久拖不办")  # fmt: skip
    complaint = str(cid.data["complaint"])  # type: ignore[index]
    api.assign_complaint(complaint, actor="office", at="2012-03-05 10:00")
    api.reply_complaint(complaint, actor="clerk-a", substantiated=True, reply="情况属实",
                        at="2012-03-09 15:00")  # fmt: skip
    api.callback_complaint(complaint, actor="office", satisfaction="satisfied", at="2012-03-12")
    case = api.open_case("dept-a", "complaints_unhandled", actor="wenze", person="wang",
                         suspend=True, at="2012-03-13")  # fmt: skip
    case_id = str(case.data["case"])  # type: ignore[index]
    api.notify_case(case_id, actor="wenze", facts="逾期未办结", at="2012-03-14")
    api.record_statement(case_id, actor="wenze", statement="系统故障", at="2012-03-15")
    api.decide_case(case_id, actor="wenze", sanction="admonition_talk", reason="情况属实",
                    at="2012-03-16")  # fmt: skip
    api.publish_case(case_id, actor="wenze", note="门户网站", at="2012-03-19")
    for args in (
        ["complaint", db, "dept-a", "--channel", "hotline", "--actor", "office",
         "--at", "2012-03-05 09:00", "--summary", "施工许可久拖不办"],
        ["assign-complaint", db, complaint, "--actor", "office", "--at", "2012-03-05 10:00"],
        ["reply-complaint", db, complaint, "--actor", "clerk-a", "--substantiated",
         "--reply", "情况属实", "--at", "2012-03-09 15:00"],
        ["callback", db, complaint, "--actor", "office", "--satisfaction", "satisfied",
         "--at", "2012-03-12"],
        ["open-case", db, "dept-a", "complaints_unhandled", "--actor", "wenze",
         "--person", "wang", "--suspend", "--at", "2012-03-13"],
        ["notify-case", db, case_id, "--actor", "wenze", "--facts", "逾期未办结",
         "--at", "2012-03-14"],
        ["statement", db, case_id, "--actor", "wenze", "--statement", "系统故障",
         "--at", "2012-03-15"],
        ["decide-case", db, case_id, "--actor", "wenze", "--sanction", "admonition_talk",
         "--reason", "情况属实", "--at", "2012-03-16"],
        ["publish-case", db, case_id, "--actor", "wenze", "--note", "门户网站",
         "--at", "2012-03-19"],
    ):  # fmt: skip
        code, out, err = cli(capsys, *args)
        assert code == 0, (args, err)
        assert out.startswith("#"), out
    with Campaign.open(db) as c:
        assert comparable(c) == comparable(api)
        assert c.complaint(complaint).substantiated is True
        assert c.case(case_id).status == "published"
