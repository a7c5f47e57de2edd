"""The packaged CJK font: Noto Sans CJK SC, for matplotlib and for the HTML board.

The font comes from the ``noto-cjk-sans-otc`` wheel (Noto Sans CJK, SIL Open Font
License 1.1, a dependency of zyw_flow), so Chinese renders on a fresh machine without
any system font. It is registered with matplotlib by file path
(``font_manager.fontManager.addfont``), never looked up in matplotlib's font cache or
among installed fonts, so a stale cache or a missing ``fonts-noto-cjk`` changes nothing.

This module imports neither the compiler nor the runtime: plots of any layer may use it.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

__all__ = [
    "CJK_FAMILY",
    "cjk_font",
    "cjk_font_path",
    "cjk_rc",
    "register_cjk_font",
    "subset_font",
]

#: The family name matplotlib and the board use for Chinese text.
CJK_FAMILY = "Noto Sans CJK SC"
#: The face of the collection that holds the Simplified Chinese forms.
_SC_FACE = 2
#: Families to fall back on for a glyph the CJK font lacks (matplotlib ships DejaVu).
_FALLBACK = ("DejaVu Sans",)


def cjk_font_path() -> Path:
    """The path of the packaged Noto Sans CJK collection (``NotoSansCJK-Regular.ttc``)."""
    import noto_cjk_sans_otc

    return Path(str(noto_cjk_sans_otc.FONT_PATH))


@functools.cache
def register_cjk_font() -> str:
    """Add the packaged CJK font to matplotlib's font manager by path (once per process).

    Returns:
        The family name to use (:data:`CJK_FAMILY`).
    """
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(cjk_font_path()))
    return CJK_FAMILY


def cjk_rc() -> dict[str, Any]:
    """Matplotlib rc settings that draw Chinese with the packaged font (registering it)."""
    return {
        "font.family": [register_cjk_font(), *_FALLBACK],
        "axes.unicode_minus": False,
    }


def cjk_font() -> str:
    """The family that draws Chinese here: always the packaged one, registered."""
    return register_cjk_font()


@functools.cache
def _sc_font_bytes() -> bytes:
    """The Simplified Chinese face of the collection as a standalone OpenType file."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(cjk_font_path()), fontNumber=_SC_FACE, lazy=False)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def subset_font(text: str, *, flavor: str = "woff") -> bytes:
    """The Simplified Chinese face cut down to the characters of ``text``.

    Args:
        text: every character the document shows (duplicates are harmless).
        flavor: ``woff`` (zlib, needs nothing more) or ``woff2`` (needs ``brotli``).

    Returns:
        The font file's bytes, for an ``@font-face`` rule.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_sc_font_bytes()))
    options = subset.Options()
    options.flavor = flavor
    options.layout_features = ["kern"]  # horizontal text: no vertical or locale forms
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options=options)
    chars = {ord(ch) for ch in text if not ch.isspace()} | {0x20}
    subsetter.populate(unicodes=sorted(chars))
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = flavor
    font.save(out)
    return out.getvalue()
