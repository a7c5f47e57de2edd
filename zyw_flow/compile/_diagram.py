"""Mermaid ``stateDiagram-v2`` text for a compiled campaign, read off its machines."""

from __future__ import annotations

from zyw_flow.compile._compile import CompiledCampaign
from zyw_flow.compile._machine import derive_table

__all__ = ["mermaid"]


def _label(text: str) -> str:
    return text.replace('"', "'").replace(":", "：")


def mermaid(compiled: CompiledCampaign) -> str:
    """The phase machine (with each phase's steps and dates) and the step machine."""
    resolved = compiled.resolved
    lines = ["stateDiagram-v2", f"    %% {resolved.id}: {_label(resolved.title)}"]
    phase_table = derive_table(compiled.phase_machine)
    lines.append("    [*] --> before")
    for (source, event), (dest, conds) in sorted(phase_table.items()):
        guard = f" [{' and '.join(conds)}]" if conds else ""
        lines.append(f"    {source} --> {dest}: {event}{guard}")
    for phase in resolved.phases:
        window = f"{phase.start.date()} … {phase.end.date()}"
        lines.append(f'    state "{_label(phase.title)} ({window})" as {phase.id}')
        seen: set[str] = set()
        for step in phase.steps:
            if step.base in seen:
                continue
            seen.add(step.base)
            due = "no deadline" if step.due is None else f"due {step.due.date()}"
            if step.instance is not None:
                count = sum(1 for s in phase.steps if s.base == step.base)
                due = f"{count} instances"
            lines.append(f"    note right of {phase.id}: {step.base} {_label(step.title)} — {due}")
    lines.append(f"    {resolved.phases[-1].id} --> [*]")
    lines.append("")
    lines.append("    state step_lifecycle {")
    lines.append("        [*] --> not_open")
    step_table = derive_table(compiled.step_machine)
    for (source, event), (dest, conds) in sorted(step_table.items()):
        guard = f" [{' and '.join(conds)}]" if conds else ""
        lines.append(f"        {source} --> {dest}: {event}{guard}")
    lines.append("        accepted --> [*]")
    lines.append("        waived --> [*]")
    lines.append("    }")
    return "\n".join(lines) + "\n"
