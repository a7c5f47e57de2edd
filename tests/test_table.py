"""The columnar read (`Campaign.status_table`) shows, cell for cell, what `unit_status`
shows for each unit: on random command sequences (calendar and completion advance), on a
workflow campaign with owners, warnings, extensions and transfers, and with scores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_engine import PAST_COMPLETION, _people, _run, command
from tests.test_workflows import _compiled, _workload, make
from zyw_flow import Campaign, load_template_text
from zyw_flow.compile import STATUS_NAMES
from zyw_flow.runtime import StatusTable


def _from_statuses(c: Campaign) -> dict[str, Any]:
    """Every unit's cells as ``unit_status`` gives them."""
    out: dict[str, Any] = {}
    for s in c.iter_units():
        cells = {
            k: (v.status, v.late, v.escalation, v.warning, v.due)
            for k, v in s.steps.items()
        }  # fmt: skip
        sanctions = tuple(str(x.get("sanction", x.get("id", ""))) for x in s.sanctions)
        out[s.unit] = (s.name, s.kind, s.parent, s.phase, cells, sanctions, s.score, s.grade)
    return out


def _from_table(t: StatusTable) -> dict[str, Any]:
    cells: dict[str, dict[str, Any]] = {u: {} for u in t.units}
    for row in t.rows():
        cells[row["unit"]][row["step"]] = (
            row["status"], row["late"], row["escalation"], row["warning"], row["due"],
        )  # fmt: skip
    out: dict[str, Any] = {}
    for i, u in enumerate(t.units):
        out[u] = (t.names[i], t.kinds[i], t.parents[i], t.phases[i], cells[u], t.sanctions[i],
                  t.scores[i], t.grades[i])  # fmt: skip
    return out


def agree(c: Campaign) -> StatusTable:
    t = c.status_table()
    assert _from_table(t) == _from_statuses(c)
    for col in t.steps.values():  # the codes say the same as the names
        assert [None if k == 255 else STATUS_NAMES[k] for k in col.codes] == list(col.status)
    assert len(t) == len(c)
    assert t.at == (c.report(events=False)["at"] and t.at)
    return t


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(command, min_size=1, max_size=14), st.booleans())
def test_random_sequences_read_the_same_by_columns(commands: list[Any], completion: bool) -> None:
    template: Any = load_template_text(PAST_COMPLETION) if completion else "zhiyong-2011"
    if completion:  # the completion template keeps two steps
        swap = {"mobilization_meeting": "rectification_report", "themed_study": "work_plan"}
        commands = [(v, u, swap.get(s, s), h) for v, u, s, h in commands]
    c = _people(Campaign.create(template))
    _run(c, commands, bulk=True)
    agree(c)


def test_a_workflow_campaign_reads_the_same_by_columns() -> None:
    """Owners (steps some units do not owe are ``None``), moved deadlines, warning lights,
    transferred findings and voided actions."""
    c = make(_compiled())
    _workload(c)
    t = agree(c)
    not_owed = {col.step: col.status.count(None) for col in t.steps.values()}
    assert any(not_owed.values())  # the template's owners leave some cells out
    plan = t.steps["plan"]
    i = t.units.index("county-2")
    assert plan.due_of(i) != plan.due  # its own deadline (set_deadline)


def test_lights_and_counts() -> None:
    c = make(_compiled())
    c.tick("2024-04-12 12:00")  # plan is due 04-12: the yellow light is on
    t = agree(c)
    plan = t.steps["plan"]
    assert plan.warning[t.units.index("sec-1a")] == "yellow"
    for col in t.steps.values():
        owed = col.owed()
        assert sum(col.counts().values()) == len(owed)
        assert all(col.status[i] is not None for i in owed)


def test_scores_and_final_grades() -> None:
    c = Campaign.create("zhiyong-2011")
    c.add_actor("office", ["office"])
    c.enroll_many([{"id": "a"}, {"id": "b"}, {"id": "c"}], at="2011-09-01")
    t = agree(c)
    assert t.scores == (None, None, None) and t.grades == (None, None, None)
    scheme = c.compiled.schemes["units"]

    def leaves(ind: Any, periods: tuple[Any, ...]) -> list[tuple[Any, Any, Any]]:
        periods = ind.periods or periods
        if ind.is_leaf:
            return [(ind, p, g) for p in periods or (None,) for g in ind.raters or (None,)]
        return [x for child in ind.children for x in leaves(child, periods)]

    items = [x for ind in scheme.indicators for x in leaves(ind, ())]
    for u, value in (("a", "95"), ("b", "60")):
        for leaf, p, g in items:
            top = Decimal(scheme.scale(leaf))
            c.record_score(u, leaf.id, Decimal(value) * top / 100, actor="office",
                           at="2011-12-20", period=None if p is None else p.id,
                           rater_group=None if g is None else g.id)  # fmt: skip
    t = agree(c)
    assert t.scores[2] is None and t.scores[0] is not None and t.grades[0] is not None
    c.finalize_evaluation(actor="office", at="2011-12-28")
    t = agree(c)
    assert t.grades[1] is not None
    assert any(t.sanctions) or t.grades[1] != t.grades[0]


def test_findings_are_rows_and_arrow_has_every_cell() -> None:
    c = _people(Campaign.create("zhiyong-2011"))
    f = c.record_finding("a", actor="inspector", at="2011-09-02 09:00", days=2)
    c.tick(dt.datetime(2011, 9, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    t = agree(c)
    r = t.rectifications
    assert len(r) == 1 and r.step == (f.step,) and t.units[r.unit[0]] == "a"
    assert r.status == ("overdue",) and r.escalation[0] >= 1
    table = t.to_arrow()
    assert table.num_rows == sum(1 for _ in t.rows())
    assert table.column_names == ["unit", "step", "status", "late", "escalation", "warning",
                                  "due"]  # fmt: skip


@pytest.mark.parametrize("stored", [False, True])
def test_the_table_of_a_reopened_campaign(stored: bool, tmp_path: Any) -> None:
    if stored:
        c = _people(Campaign.create_stored(tmp_path / "c.db", "zhiyong-2011"))
    else:
        c = _people(Campaign.create("zhiyong-2011"))
    c.submit("a", "work_plan", actor="m-a", at="2011-09-09")
    c.tick("2011-09-30")
    before = _from_table(c.status_table())
    if stored:
        c.close()
        c = Campaign.open(tmp_path / "c.db")
    assert _from_table(agree(c)) == before
    c.close()
