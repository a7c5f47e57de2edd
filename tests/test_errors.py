"""The error hierarchy: one tree under ZywFlowError, each error also a builtin."""

from __future__ import annotations

import builtins
import re
from decimal import Decimal

import pytest

import zyw_flow
from zyw_flow import _errors
from zyw_flow._errors import InstantError, NoClockError, ScoringError, ZywFlowError
from zyw_flow._time import parse_at

_TREE_LINE = re.compile(
    r"^    (?P<indent>(?:[│ ]   )*)[├└]── (?P<name>\w+)(?: \((?P<builtin>\w+)\))?"
)


def tree() -> list[tuple[int, str, str | None]]:
    """(depth, class name, builtin) of each line of the tree in _errors' docstring."""
    doc = _errors.__doc__ or ""
    out = []
    for line in doc.splitlines():
        m = _TREE_LINE.match(line)
        if m:
            out.append((len(m["indent"]) // 4 + 1, m["name"], m["builtin"]))
    return out


class TestTree:
    """The docstring's tree is the real hierarchy, and holds every error."""

    def test_tree_lists_every_error(self) -> None:
        """Each exception class in `_errors.__all__` is in the tree, and nothing else."""
        errors = {
            name
            for name in _errors.__all__
            if isinstance(getattr(_errors, name), type)
            and issubclass(getattr(_errors, name), Exception)
        }
        assert {name for _, name, _ in tree()} | {"ZywFlowError"} == errors

    def test_tree_matches_the_classes(self) -> None:
        """Every line's class subclasses the line above it one level up, and its builtin."""
        parents: list[type] = [ZywFlowError]
        for depth, name, builtin in tree():
            cls = getattr(_errors, name)
            del parents[depth:]
            assert issubclass(cls, parents[-1]), (name, parents[-1])
            if builtin is not None:
                assert issubclass(cls, getattr(builtins, builtin)), (name, builtin)
            parents.append(cls)

    def test_every_error_is_exported_from_the_root(self) -> None:
        """Each error of the tree is importable from `zyw_flow`."""
        for _, name, _ in tree():
            assert getattr(zyw_flow, name) is getattr(_errors, name)


class TestInstantError:
    """A bad `at` string is a typed ValueError naming the value."""

    @pytest.mark.parametrize("text", ["next week", "2011-02-30", "2011/09/05", ""])
    def test_parse_at(self, text: str) -> None:
        """`parse_at` raises InstantError carrying the value."""
        with pytest.raises(InstantError) as info:
            parse_at(text, "Asia/Shanghai")
        exc = info.value
        assert isinstance(exc, ZywFlowError) and isinstance(exc, ValueError)
        assert exc.value == text
        assert repr(text) in str(exc)

    def test_good_values_still_parse(self) -> None:
        """Dates and date-times (naive or aware) are read as before."""
        assert parse_at("2011-09-05", "Asia/Shanghai") == parse_at(
            "2011-09-05T00:00:00+08:00", "UTC"
        )

    def test_from_the_campaign(self) -> None:
        """A campaign call with a bad `at` raises InstantError and records nothing."""
        c = zyw_flow.Campaign.create("zhiyong-2011")
        c.add_actor("clerk", roles=["member"], unit="u")
        c.enroll("u", "单位", at="2011-09-01")
        before = c.cursor
        with pytest.raises(InstantError, match="'tomorrow'"):
            c.submit("u", "work_plan", actor="clerk", at="tomorrow")
        assert c.cursor == before


class TestNoClockError:
    """No `at` and no clock is a typed TypeError."""

    def test_class(self) -> None:
        """It is a ZywFlowError and a TypeError, and says what to do."""
        exc = NoClockError("submit")
        assert isinstance(exc, ZywFlowError) and isinstance(exc, TypeError)
        assert exc.event == "submit"
        assert str(exc).startswith("submit: no `at` given") and "clock" in str(exc)
        assert str(NoClockError()).startswith("no `at` given")


class TestScoringError:
    """ScoringError is in the tree and still a ValueError."""

    def test_same_class_everywhere(self) -> None:
        """`zyw_flow`, `zyw_flow.evaluation` and `_errors` export one class."""
        from zyw_flow import evaluation

        assert evaluation.ScoringError is ScoringError is zyw_flow.ScoringError
        assert issubclass(ScoringError, ZywFlowError) and issubclass(ScoringError, ValueError)

    def test_raised_by_scoring(self) -> None:
        """A float score and an unknown indicator raise it; catching ZywFlowError works."""
        from zyw_flow.evaluation import ScoreInput, load_scheme, score_unit

        with pytest.raises(ZywFlowError):
            ScoreInput("u", "all", 90.0)  # type: ignore[arg-type]
        scheme = load_scheme("bureau-individual")
        with pytest.raises(ScoringError):
            score_unit(scheme, "u", [ScoreInput("u", "no_such_indicator", Decimal(1))])
