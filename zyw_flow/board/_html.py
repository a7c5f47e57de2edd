"""The offline HTML board: one self-contained file (data, script, styles and font inside).

The page carries its data as JSON, Apache ECharts (the pinned release under
``assets/``), its own script and styles, and a subset of Noto Sans CJK SC cut to the
characters the page shows, as a base64 ``@font-face`` — so it opens from a USB stick on a
machine without Chinese fonts and makes no network request (its Content-Security-Policy
forbids any).
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from zyw_flow._files import write_text_whole
from zyw_flow.board._data import board_data

if TYPE_CHECKING:
    from zyw_flow.runtime import Campaign

__all__ = ["ECHARTS_VERSION", "render_board_html", "write_board_html"]

#: The Apache ECharts release shipped under ``zyw_flow/board/assets/`` (npm ``echarts``).
ECHARTS_VERSION = "6.1.0"
_LANGS = ("zh", "en")


def _asset(name: str) -> str:
    return resources.files("zyw_flow.board").joinpath("assets", name).read_text(encoding="utf-8")


def _font_face(text: str) -> str:
    from zyw_flow._fonts import subset_font

    data = base64.b64encode(subset_font(text, flavor="woff")).decode("ascii")
    return (
        "@font-face { font-family: 'ZywCJK'; font-style: normal; font-weight: 400; "
        f"font-display: block; src: url(data:font/woff;base64,{data}) format('woff'); }}"
    )


def render_board_html(
    campaign: Campaign, *, root: str | None = None, lang: str = "zh", font: bool = True
) -> str:
    """The board of ``campaign`` as one HTML document.

    Args:
        campaign: the campaign to show (only its public API is used).
        root: a unit id to show only that subtree.
        lang: ``zh`` (Chinese titles, ids beside them) or ``en`` (ids); the page has a
            toggle between the two either way.
        font: embed the subset of Noto Sans CJK SC (default). ``False`` leaves Chinese
            to the fonts of the machine that opens the file (a smaller file, tofu where
            there is none).

    Raises:
        ValueError: an unknown ``lang``.
        UnknownUnitError: ``root`` is not enrolled.
    """
    if lang not in _LANGS:
        raise ValueError(f"lang must be one of {', '.join(_LANGS)}, not {lang!r}")
    from zyw_flow._bundled import installed_version

    __version__ = installed_version()

    data = board_data(campaign, root=root)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    app = _asset("board.js")
    page = _asset("board.html")
    css = _asset("board.css")
    title = str(data["campaign"]["title"])
    face = _font_face(page + app + payload + title) if font else ""
    echarts = _asset("echarts.common.min.js")
    parts: dict[str, str] = {
        # only the page's own two scripts may run: no inline handler (onerror=…) in a
        # title that slipped through as markup, no injected <script>
        "@SCRIPT_HASHES@": " ".join(_script_hash(body) for body in (echarts, app)),
        "@VERSION@": __version__,
        "@TITLE@": _escape(f"{title} — 工作看板"),
        "@LANG@": lang,
        "@FONT_FACE@": face,
        "@CSS@": css,
        "@DATA@": payload,
        "@ECHARTS@": echarts,
        "@APP@": app,
    }
    out: list[str] = []
    rest = page
    # Substitute in one pass, in order, so no inserted text is scanned again.
    while True:
        hits = [(rest.find(k), k) for k in parts if rest.find(k) >= 0]
        if not hits:
            out.append(rest)
            break
        at, key = min(hits)
        out.append(rest[:at])
        out.append(parts[key])
        rest = rest[at + len(key) :]
    return "".join(out)


def _script_hash(body: str) -> str:
    """The CSP source of an inline script whose text is ``body`` (as the page holds it,
    between ``<script>`` and its newline-separated ``</script>``)."""
    digest = hashlib.sha256(f"\n{body}\n".encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_board_html(
    campaign: Campaign,
    path: str | Path,
    *,
    root: str | None = None,
    lang: str = "zh",
    font: bool = True,
) -> Path:
    """Write the board of ``campaign`` to ``path`` (one self-contained HTML file).

    See :func:`render_board_html` for the arguments. Returns the path written.
    """
    out = Path(path)
    write_text_whole(out, render_board_html(campaign, root=root, lang=lang, font=font))
    return out
