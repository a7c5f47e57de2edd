"""Safe YAML reading with line numbers and limits against hostile input.

Reading goes in three steps, each bounded:

1. the size is checked before anything is read (:func:`read_limited` reads at most
   ``MAX_BYTES + 1`` bytes of a file);
2. the parser's event stream is scanned once, without building anything: it counts the
   aliases (at most ``MAX_ALIASES``) and stops at the first collection nested deeper than
   ``MAX_DEPTH``: a 200 KB file of ``[[[[…`` is refused after reading its first few
   dozen characters, and nothing recursive ever sees it;
3. the document is composed into YAML nodes (never constructed into arbitrary objects),
   then turned into plain Python values while recording the line of every node by its
   path, so that later checks can say ``file:line: path: message``.

libyaml's parser is used when PyYAML was built with it (it is about 25 times faster than
the pure-Python one); the results are the same.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import attrs
import yaml

from zyw_flow._errors import Problem, TemplateError

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Document",
    "read_limited",
    "read_yaml",
    "read_yaml_file",
]

MAX_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_NODES = 200_000

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    _INT,
    _FLOAT,
}


@attrs.frozen
class Document:
    """A YAML document as plain values, with the line of every path.

    Attributes:
        file: where it came from (a path or ``<string>``).
        data: the plain value (dicts, lists, str, int, float, bool, None).
        lines: 1-based line of each path (``""`` is the root, ``phases[0].window`` …).
        text: the source text.
        numbers: the tag and source text of every int or float scalar, by path, so that
            numbers can be read exactly (``33.3`` as ``Decimal("33.3")``).
    """

    file: str
    data: Any
    lines: dict[str, int]
    text: str
    numbers: dict[str, tuple[str, str]] = attrs.field(factory=dict)

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


def _too_large(file: str, size: int | str) -> TemplateError:
    return TemplateError(
        [Problem(file, None, "", f"file is {size} bytes; the limit is {MAX_BYTES}")]
    )


def read_limited(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of ``path``, refused before reading when over ``limit``.

    The size is taken from the open file first; a file that grows (or a device that has no
    size) is read for at most ``limit + 1`` bytes, so memory stays bounded either way.

    Raises:
        TemplateError: the file is larger than ``limit`` bytes, or is a directory.
        OSError: the file cannot be opened.
    """
    file = str(path)
    with open(path, "rb") as fh:
        info = os.fstat(fh.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise TemplateError([Problem(file, None, "", "is a directory, not a file")])
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise _too_large(file, info.st_size)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _too_large(file, f"more than {limit}")
    return data


def read_yaml_file(path: str | Path) -> Document:
    """:func:`read_yaml` of a file, its size checked before it is read."""
    return read_yaml(read_limited(path), str(path))


def read_yaml(text: str | bytes, file: str = "<string>") -> Document:
    """Parse one YAML document safely.

    Raises:
        TemplateError: the text is too large, malformed, too deep, uses too many aliases,
            holds tags other than the plain YAML ones, or repeats a mapping key.
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        raise _too_large(file, size)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateError([Problem(file, None, "", f"not UTF-8 text: {exc}")]) from None
    try:
        _scan(text, file)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise TemplateError([_syntax_problem(exc, text, file)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses: at its line
        # libyaml counts the position in UTF-8 bytes, the pure-Python reader in characters
        offset = exc.position if _Loader is yaml.SafeLoader else None
        line = (text.count("\n", 0, offset) if offset is not None
                else text.encode("utf-8")[: exc.position].count(b"\n")) + 1  # fmt: skip
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        what = f"a character YAML cannot hold (U+{code:04X}, a control character)"
        raise TemplateError([Problem(file, line, "", f"malformed YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise TemplateError([Problem(file, None, "", f"malformed YAML: {exc}")]) from None
    lines: dict[str, int] = {}
    numbers: dict[str, tuple[str, str]] = {}
    problems: list[Problem] = []
    counter = [0]
    data = None if root is None else _plain(root, "", 0, file, lines, numbers, problems, counter)
    if problems:
        raise TemplateError(problems)
    return Document(file=file, data=data, lines=lines, text=text, numbers=numbers)


def _scan(text: str, file: str) -> None:
    """Walk the event stream once: stop at the first node too deep or beyond the node
    limit, then refuse more than ``MAX_ALIASES`` aliases.

    The parser is a state machine with its own stacks (no recursion), and it produces
    events lazily, so the scan costs time proportional to what it reads before it stops.
    """
    # One frame per open collection: [path, is_mapping, index, expecting_key, key]
    frames: list[list[Any]] = []
    aliases = nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentStartEvent)):
            continue
        if isinstance(event, (yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            continue
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            frames.pop()
            _after_node(frames, None)
            continue
        path = _event_path(frames)
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            _after_node(frames, None)
            continue
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if len(frames) > MAX_DEPTH:
            raise TemplateError(
                [Problem(file, line, path, f"nested deeper than {MAX_DEPTH} levels")]
            )
        nodes += 1
        if nodes > MAX_NODES:
            raise TemplateError([Problem(file, line, path, "document has too many nodes")])
        if isinstance(event, yaml.ScalarEvent):
            _after_node(frames, event.value)
        elif isinstance(event, yaml.SequenceStartEvent):
            frames.append([path, False, 0, False, None])
        elif isinstance(event, yaml.MappingStartEvent):
            frames.append([path, True, 0, True, None])
    if aliases > MAX_ALIASES:
        raise TemplateError(
            [Problem(file, None, "", f"{aliases} aliases; the limit is {MAX_ALIASES}")]
        )


def _event_path(frames: list[list[Any]]) -> str:
    if not frames:
        return ""
    top = frames[-1]
    if not top[1]:
        return join(top[0], top[2])
    if top[3]:  # a key: reported at its mapping, like the composer does
        return str(top[0])
    return join(top[0], top[4] if top[4] is not None else "?")


def _after_node(frames: list[list[Any]], scalar: str | None) -> None:
    """Advance the innermost collection past one complete node."""
    if not frames:
        return
    top = frames[-1]
    if not top[1]:
        top[2] += 1
    elif top[3]:
        top[3], top[4] = False, scalar
    else:
        top[3], top[4] = True, None


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    """A malformed-YAML problem at the line where the mistake is, not where it was noticed.

    The scanner notices a key without ``:`` only on the next line, and an unclosed
    bracket or quote only at the end of the file; both are reported at the line where the
    key, bracket or quote starts, naming the line where the parser gave up.
    """
    problem, context = exc.problem_mark, exc.context_mark
    what = ", ".join(x for x in (exc.context, exc.problem) if x) or str(exc)
    mark = problem or context
    if "maximum nesting depth" in what:  # libyaml's own limit (1000), met while looking ahead
        line = mark.line + 1 if mark is not None else None
        return Problem(file, line, "", f"nested deeper than {MAX_DEPTH} levels")
    if context is not None and problem is not None:
        at_end = problem.index >= len(text.rstrip()) or "end of stream" in (exc.problem or "")
        simple_key = "simple key" in (exc.context or "")
        if (at_end or simple_key) and context.line < problem.line:
            mark = context
            what += f" (noticed on line {problem.line + 1})"
    line = mark.line + 1 if mark is not None else None
    return Problem(file, line, "", f"malformed YAML: {what}")


_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
yaml.constructor.SafeConstructor.__init__(_constructor)


def _plain(
    node: yaml.Node,
    path: str,
    depth: int,
    file: str,
    lines: dict[str, int],
    numbers: dict[str, tuple[str, str]],
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
    if depth > MAX_DEPTH:  # aliases can nest what the scan saw shallow
        problems.append(
            Problem(file, node.start_mark.line + 1, path, f"nested deeper than {MAX_DEPTH} levels")
        )
        return None
    if isinstance(node, yaml.ScalarNode):
        if node.tag in _SCALAR_TAGS:
            if node.tag in (_INT, _FLOAT):
                numbers.setdefault(path, (node.tag, str(node.value)))
            try:
                return _constructor.construct_object(node)
            except ValueError:  # an integer of more than 4300 digits
                problems.append(
                    Problem(file, node.start_mark.line + 1, path, "number has too many digits")
                )
                return None
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
            _plain(item, join(path, i), depth + 1, file, lines, numbers, problems, counter)
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
                key = _plain(key_node, path, depth + 1, file, {}, {}, problems, counter)
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
            out[key] = _plain(value_node, sub, depth + 1, file, lines, numbers, problems, counter)
        return out
    problems.append(Problem(file, None, path, "unsupported YAML node"))  # pragma: no cover
    return None
