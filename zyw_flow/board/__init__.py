"""The campaign board as one offline HTML file (Apache ECharts and Noto Sans CJK inside).

>>> from zyw_flow.board import write_board_html   # doctest: +SKIP
>>> write_board_html(campaign, "board.html")      # doctest: +SKIP

Only the campaign's public API is used, so a board can be drawn from an in-memory
campaign, a scenario run or a campaign opened from a store.
"""

from zyw_flow.board._data import STATUS_TITLES, board_data
from zyw_flow.board._html import ECHARTS_VERSION, render_board_html, write_board_html

__all__ = [
    "ECHARTS_VERSION",
    "STATUS_TITLES",
    "board_data",
    "render_board_html",
    "write_board_html",
]
