"""Safe YAML reading with line numbers and limits against hostile input.

The document is composed into YAML nodes (never constructed into arbitrary objects), then
turned into plain Python values while recording the line of every node by its path, so that
later checks can say ``file:line: path: message``.
"""

from __future__ import annotations

from typing import Any

import attrs
import yaml

from zyw_flow._errors import Problem, TemplateError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "Document", "read_yaml"]

MAX_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_NODES = 200_000

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


@attrs.frozen
class Document:
    """A YAML document as plain values, with the line of every path.

    Attributes:
        file: where it came from (a path or ``<string>``).
        data: the plain value (dicts, lists, str, int, float, bool, None).
        lines: 1-based line of each path (``""`` is the root, ``phases[0].window`` …).
        text: the source text.
    """

    file: str
    data: Any
    lines: dict[str, int]
    text: str

    def line(self, path: str) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""

    def problem(self, path: str, message: str) -> Problem:
        """A :class:`Problem` located at ``path`` in this document."""
        return Problem(self.file, self.line(path), path, message)


def join(path: str, key: str | int) -> str:
    """Extend a document path by a mapping key or a sequence index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def read_yaml(text: str | bytes, file: str = "<string>") -> Document:
    """Parse one YAML document safely.

    Raises:
        TemplateError: the text is too large, malformed, too deep, uses too many aliases,
            holds tags other than the plain YAML ones, or repeats a mapping key.
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        raise TemplateError(
            [Problem(file, None, "", f"file is {size} bytes; the limit is {MAX_BYTES}")]
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateError([Problem(file, None, "", f"not UTF-8 text: {exc}")]) from None
    try:
        aliases = sum(
            isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=yaml.SafeLoader)
        )
        if aliases > MAX_ALIASES:
            raise TemplateError(
                [Problem(file, None, "", f"{aliases} aliases; the limit is {MAX_ALIASES}")]
            )
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(x for x in (exc.context, exc.problem) if x) or str(exc)
        raise TemplateError([Problem(file, line, "", f"malformed YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise TemplateError([Problem(file, None, "", f"malformed YAML: {exc}")]) from None
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    counter = [0]
    data = None if root is None else _plain(root, "", 0, file, lines, problems, counter)
    if problems:
        raise TemplateError(problems)
    return Document(file=file, data=data, lines=lines, text=text)


_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
yaml.constructor.SafeConstructor.__init__(_constructor)


def _plain(
    node: yaml.Node,
    path: str,
    depth: int,
    file: str,
    lines: dict[str, int],
    problems: list[Problem],
    counter: list[int],
) -> Any:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        if counter[0] == MAX_NODES + 1:
            problems.append(
                Problem(file, node.start_mark.line + 1, path, "document has too many nodes")
            )
        return None
    lines.setdefault(path, node.start_mark.line + 1)
    if depth > MAX_DEPTH:
        problems.append(
            Problem(file, node.start_mark.line + 1, path, f"nested deeper than {MAX_DEPTH} levels")
        )
        return None
    if isinstance(node, yaml.ScalarNode):
        if node.tag in _SCALAR_TAGS:
            return _constructor.construct_object(node)
        if node.tag == _STR or node.tag.startswith("tag:yaml.org,2002:timestamp"):
            return str(node.value)
        problems.append(
            Problem(file, node.start_mark.line + 1, path, f"tag {node.tag} is not allowed")
        )
        return None
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            problems.append(
                Problem(file, node.start_mark.line + 1, path, f"tag {node.tag} is not allowed")
            )
        return [
            _plain(item, join(path, i), depth + 1, file, lines, problems, counter)
            for i, item in enumerate(node.value)
        ]
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            problems.append(
                Problem(file, node.start_mark.line + 1, path, f"tag {node.tag} is not allowed")
            )
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if counter[0] > MAX_NODES:
                break
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        path,
                        "merge keys (<<) are not supported",
                    )
                )
                continue
            if key_node.tag == "tag:yaml.org,2002:bool" and isinstance(key_node, yaml.ScalarNode):
                # YAML 1.1 reads a bare `on`/`off`/`yes`/`no` key as a boolean; as a mapping
                # key it is always meant as the word (`repeat: {every: week, on: monday}`).
                key: Any = key_node.value
            else:
                key = _plain(key_node, path, depth + 1, file, {}, problems, counter)
            if isinstance(key, (dict, list)):
                problems.append(
                    Problem(file, key_node.start_mark.line + 1, path, "a key must be a scalar")
                )
                continue
            key = key if isinstance(key, (int, str)) else str(key)
            sub = join(path, key)
            if key in out:
                problems.append(
                    Problem(file, key_node.start_mark.line + 1, sub, f"duplicate key {key!r}")
                )
                continue
            lines[sub] = key_node.start_mark.line + 1
            out[key] = _plain(value_node, sub, depth + 1, file, lines, problems, counter)
        return out
    problems.append(Problem(file, None, path, "unsupported YAML node"))  # pragma: no cover
    return None
