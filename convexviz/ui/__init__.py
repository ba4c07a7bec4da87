"""Everything that serves the page, apart from the math (DESIGN.md §10).

The math modules of :mod:`convexviz` never import this subpackage, and nothing here
imports Streamlit: ``app.py`` wires these pure pieces to widgets.

==========================  ================================================================
module                      holds
==========================  ================================================================
:mod:`.state`               ``AppState`` (what a link restores) and its URL codec
:mod:`.session`             the session logic: pure functions over a mutable mapping
:mod:`.wording`             what the page says besides figures: texts, slider values, tables
:mod:`.fitmemo`             one memo of fits per server process, shared by page and route
:mod:`.preview`             the preview route: a click's fit without a Streamlit rerun
:mod:`.canvas`              the click canvas: browser assets, snapshot protocol, payload
==========================  ================================================================
"""
