"""The widget's source (widget/widget.js, served as is): small, one global, no HTML from strings."""

import gzip
import re

from tests.support import ROOT

SOURCE = (ROOT / "widget" / "widget.js").read_text(encoding="utf-8")


def test_widget_is_under_10_kb_gzipped():
    assert len(gzip.compress(SOURCE.encode(), compresslevel=9)) < 10 * 1024


def test_widget_never_parses_strings_as_html():
    # Data goes in with textContent / append(string) only: no HTML parser is ever reached.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in SOURCE, sink


def test_widget_defines_one_global_once_behind_a_guard():
    assignments = re.findall(r"window\.(\w+)\s*=(?!=)", SOURCE)
    assert assignments == ["SmsWidget"]
    assert SOURCE.index("if (window.SmsWidget) return;") < SOURCE.index("window.SmsWidget =")
