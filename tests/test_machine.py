"""The runtime's transition table agrees with the `transitions` machine it is derived from."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from transitions import MachineError

from zyw_flow.compile import (
    GUARDS,
    STATUS_NAMES,
    STEP_EVENTS,
    STEP_TRANSITIONS,
    compile_campaign,
    derive_table,
    mermaid,
    phase_machine,
    step_machine,
)
from zyw_flow.resolve import resolve
from zyw_flow.template import iter_template_sources, load_template


class Model:
    """A flyweight model whose guards are all switched by the test."""

    state: str

    def __init__(self, guards: dict[str, bool]) -> None:
        self.guards = guards

    def __getattr__(self, name: str) -> object:
        if name in GUARDS:
            return lambda *a, **k: self.guards[name]
        raise AttributeError(name)


events = st.lists(
    st.tuples(
        st.sampled_from(STEP_EVENTS), st.fixed_dictionaries({g: st.booleans() for g in GUARDS})
    ),
    max_size=25,
)


@pytest.mark.parametrize("source", list(iter_template_sources()), ids=lambda s: s.id)
def test_table_matches_machine_for_every_template(source: object) -> None:
    """Each bundled template's compiled table equals the table read off its machine."""
    compiled = compile_campaign(resolve(load_template(source.path)))  # type: ignore[attr-defined]
    derived = derive_table(compiled.step_machine)
    for s, state in enumerate(STATUS_NAMES):
        for e, event in enumerate(STEP_EVENTS):
            dest = compiled.table[s][e]
            if (state, event) in derived:
                assert STATUS_NAMES[dest] == derived[(state, event)][0]
            else:
                assert dest == -1
    text = mermaid(compiled)
    assert text.startswith("stateDiagram-v2")
    assert all(p in text for p in compiled.phase_ids)


@given(events)
def test_random_sequences_agree(sequence: list[tuple[str, dict[str, bool]]]) -> None:
    """Driving the machine and the derived table with the same events gives the same states."""
    table = derive_table(step_machine())
    model = Model({})
    machine = step_machine(model)
    state = "not_open"
    for event, guards in sequence:
        model.guards = guards
        try:
            moved = model.trigger(event)
        except MachineError:
            moved = None
        entry = table.get((state, event))
        if entry is None:
            assert moved is None, (state, event)
            continue
        dest, conds = entry
        if all(guards[c] for c in conds):
            assert moved is True
            state = dest
        else:
            assert moved is False
        assert model.state == state
    assert machine.get_model_state(model).name == state


def test_lifecycle_edges() -> None:
    """The step machine has exactly the documented edges."""
    table = derive_table(step_machine())
    edges = {(src, ev, dst) for (src, ev), (dst, _) in table.items()}
    assert ("pending", "submit", "submitted") in edges
    assert ("overdue", "submit", "submitted") in edges
    assert ("submitted", "return", "returned") in edges
    assert ("returned", "submit", "submitted") in edges
    assert ("pending", "overdue", "overdue") in edges
    assert ("accepted", "waive", "waived") not in edges
    assert len(edges) == sum(len(t[1]) for t in STEP_TRANSITIONS)


def test_phase_machine_gates() -> None:
    """Completion advance adds the gate condition; calendar advance does not."""
    cal = derive_table(phase_machine(("a", "b"), "calendar"))
    comp = derive_table(phase_machine(("a", "b"), "completion"))
    assert cal[("a", "advance")] == ("b", ("phase_opened",))
    assert comp[("a", "advance")] == ("b", ("phase_opened", "gate_met"))


def test_graphviz_source_and_png_without_dot(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    """The DOT source names every phase and step state; `--png` without Graphviz says so."""
    import shutil

    from zyw_flow._plots import graphviz_source
    from zyw_flow.cli import main

    compiled = compile_campaign(resolve(load_template("zhiyong-2011")))
    dot = graphviz_source(compiled)
    assert dot.startswith("digraph campaign {") and dot.rstrip().endswith("}")
    assert all(f'"{p}"' in dot for p in compiled.phase_ids)
    assert all(f'"s_{s}"' in dot for s in STATUS_NAMES)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["diagram", "zhiyong-2011", "--png", "x.png"]) == 2
    assert "Graphviz" in capsys.readouterr().err


class TestCompileSource:
    """`compile_source` takes a template at any stage."""

    def test_every_stage_gives_the_same_tables(self) -> None:
        """An id, a path, a template, a resolved and a compiled campaign compile alike."""
        from zyw_flow import ParameterError, TemplateError
        from zyw_flow.compile import compile_source
        from zyw_flow.template import bundled_dir

        compiled = compile_source("zhiyong-2011")
        template = compiled.resolved.template
        for source in (bundled_dir() / "zhiyong-2011.yaml", template, compiled.resolved):
            assert compile_source(source).table == compiled.table
            assert compile_source(source).due_us == compiled.due_us
        assert compile_source(compiled) is compiled
        assert compile_source("health-zhiyong", {"year": 2015}).resolved.template.year == 2015
        with pytest.raises(ParameterError, match="bound already"):
            compile_source(template, {"year": 2012})
        with pytest.raises(TemplateError, match="unknown parameter 'yaer'"):
            compile_source("zhiyong-2011", {"yaer": 2012})
