"""The command table: every recorded action by its verb, its fields and its method.

Scenario files (``do:``), the ``zyw-flow campaign`` verbs and the testing kit's rules all
dispatch through :func:`dispatch`, so a verb means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from zyw_flow.runtime._records import Event

if TYPE_CHECKING:  # pragma: no cover
    from zyw_flow.runtime._campaign import Campaign

__all__ = ["COMMANDS", "Command", "dispatch"]


@attrs.frozen
class Command:
    """One recorded action.

    Attributes:
        verb: its name in scenarios and on the command line (``submit``, ``finding`` …).
        method: the :class:`~zyw_flow.Campaign` method that records it.
        positional: fields passed by position, in the method's order.
        required: fields that must be given (positional ones included).
        optional: fields that may be given (passed by keyword).
        title: what it is called in Chinese.
    """

    verb: str
    method: str
    positional: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    title: str = ""


_U, _S, _A = "unit", "step", "actor"
_C, _K = "complaint", "case"

COMMANDS: Mapping[str, Command] = {
    c.verb: c
    for c in (
        Command("enroll", "enroll", (_U,), (_U,), ("name", "parent", "kind"), "报名"),
        Command("submit", "submit", (_U, _S), (_U, _S, _A), ("evidence",), "报送"),
        Command("accept", "accept", (_U, _S), (_U, _S, _A), ("note",), "审核通过"),
        Command("return", "return_step", (_U, _S), (_U, _S, _A, "reason"), (), "退回"),
        Command("waive", "waive", (_U, _S), (_U, _S, _A), ("reason",), "免报"),
        Command(
            "finding", "record_finding", (_U,), (_U, _A), ("source", "description", "days"), "问题"
        ),
        Command("verify", "verify_finding", (_U, _S), (_U, _S, _A), (), "复核"),
        Command(
            "sanction",
            "issue_sanction",
            (_U, "sanction"),
            (_U, "sanction", _A),
            ("person", "reason", "rectify_days"),
            "问责",
        ),
        Command(
            "score",
            "record_score",
            (_U, "indicator", "value"),
            (_U, "indicator", "value", _A),
            ("period", "rater_group", "rater", "evidence"),
            "评分",
        ),
        Command(
            "deduction",
            "record_deduction",
            (_U, "item", "points"),
            (_U, "item", "points", _A),
            ("description",),
            "扣分",
        ),
        Command(
            "case",
            "record_case",
            (_U, "kind"),
            (_U, "kind", _A),
            ("item", "person", "description"),
            "查处",
        ),
        Command("finalize", "finalize_evaluation", (), (_A,), ("round",), "评定"),
        # -- workflows (issue: who owes, extensions, corrections, reassignment) -------------
        Command(
            "request_extension",
            "request_extension",
            (_U, _S),
            (_U, _S, "until", "reason", _A),
            (),
            "延期申请",
        ),
        Command(
            "approve_extension", "approve_extension", (_U, _S), (_U, _S, _A), ("note",), "批准延期"
        ),
        Command(
            "refuse_extension", "refuse_extension", (_U, _S), (_U, _S, _A), ("reason",), "不予延期"
        ),
        Command(
            "set_deadline",
            "set_deadline",
            (_U, _S),
            (_U, _S, "until", "reason", _A),
            (),
            "调整期限",
        ),
        # a deadline relative to an event the host records (due: {after: …, within: …})
        Command(
            "record_trigger",
            "record_trigger",
            (_U, "trigger"),
            (_U, "trigger", _A),
            ("note",),
            "登记事由",
        ),
        Command("void", "void", ("target_key",), ("reason", _A), ("target_key", "seq"), "更正"),
        Command("transfer", "transfer", (_U, _S), (_U, _S, "to", "reason", _A), ("until",), "转办"),
        Command(
            "assign_group",
            "assign_group",
            ("group", "units"),
            ("group", "units", _A),
            ("remove",),
            "编组",
        ),
        Command(
            "revoke_actor", "revoke_actor", ("actor_id",), ("actor_id",), ("reason",), "撤销人员"
        ),
        # complaints (效能投诉, docs/complaints.md) and accountability cases (问责, docs/cases.md)
        Command(
            "complaint",
            "register_complaint",
            (_U,),
            (_U, "channel", _A),
            ("category", "summary", "complainant"),
            "投诉登记",
        ),
        Command(
            "assign_complaint", "assign_complaint", (_C,), (_C, _A), ("to", "mode", "days"), "转办"
        ),
        Command(
            "reply_complaint",
            "reply_complaint",
            (_C,),
            (_C, _A, "substantiated"),
            ("reply",),
            "办理答复",
        ),
        Command(
            "callback", "callback_complaint", (_C,), (_C, _A, "satisfaction"), ("note",), "回访"
        ),
        Command("close_complaint", "close_complaint", (_C,), (_C, _A), ("note",), "办结"),
        Command(
            "act_on_complaint",
            "act_on_complaint",
            (_C,),
            (_C, _A),
            ("finding", "description", "days", "sanction", "person"),
            "查实处理",
        ),
        Command(
            "open_case",
            "open_case",
            (_U, "situation"),
            (_U, "situation", _A),
            ("person", "suspend", "description", "complaint"),
            "立案",
        ),
        Command("notify_case", "notify_case", (_K,), (_K, _A), ("facts",), "告知"),
        Command("statement", "record_statement", (_K,), (_K, _A, "statement"), (), "申辩"),
        Command(
            "decide_case",
            "decide_case",
            (_K,),
            (_K, _A),
            ("sanction", "chain_sanction", "reason", "grade_case"),
            "决定",
        ),
        Command("publish_case", "publish_case", (_K,), (_K, _A), ("note",), "公开"),
        Command(
            "survey",
            "record_survey",
            (_U, "survey", "group"),
            (_U, "survey", "group", _A),
            ("counts", "answer", "rater"),
            "测评",
        ),
    )
}


def dispatch(campaign: Campaign, verb: str, fields: Mapping[str, Any]) -> Event:
    """Record ``verb`` with ``fields`` (its fields, plus ``at`` and an optional ``key``).

    Raises:
        KeyError: an unknown verb (callers check verbs first).
        ZywFlowError: whatever the method refuses.
    """
    command = COMMANDS[verb]
    args = [fields.get(name) for name in command.positional]
    kwargs = {
        name: fields[name]
        for name in (*command.required, *command.optional)
        if name not in command.positional and fields.get(name) is not None
    }
    kwargs["at"] = fields.get("at")
    if verb not in ("enroll", "assign_group", "revoke_actor") and fields.get("key") is not None:
        kwargs["key"] = fields["key"]
    result: Event = getattr(campaign, command.method)(*args, **kwargs)
    return result
