"""axe-core in a page: the accessibility checks of the browser tests. The package is pinned in
tests/browser/axe (make test installs it with npm); without it the checks skip, or fail on CI."""

from pathlib import Path

import pytest

from tests.support import ON_CI

AXE = Path(__file__).resolve().parent.parent / "browser" / "axe" / "node_modules" / "axe-core"


def serious_violations(page, within: str | None = None) -> list:
    """axe-core's serious and critical violations in the page as it stands, or in the element
    `within` selects (open shadow roots, such as the widget's, included): [rule, [the first few
    elements' HTML]] each."""
    script = AXE / "axe.min.js"
    if not script.exists():
        message = f"axe-core is not installed at {script} (make test installs it with npm)"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    page.evaluate(script.read_text())
    # Colours are judged once the transitions under way have ended (a button the pointer has just
    # come over is half-way to its hover colours for 0.15 s).
    return page.evaluate(
        "within => Promise.all(document.getAnimations()"
        ".filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)"
        ".map(a => a.finished.catch(() => null)))"
        ".then(() => axe.run(within ? {include: [[within]]} : document,"
        " {resultTypes: ['violations']})).then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => [v.id, v.nodes.slice(0, 3).map(n => n.html)]))",
        within,
    )
