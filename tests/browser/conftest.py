"""Browser fixtures: the app served on a local port, and headless Chromium: Debian's, by Playwright.
Without Chromium these tests skip loudly, except on CI, where that is a failure."""

import os

import pytest

from tests.support import ON_CI, PASSWORD

CHROMIUM = "/usr/bin/chromium"
# How long a page may take to show what must come: a deadline that a loaded machine meets too,
# not a measure of speed (how fast the portal follows is measured in bench/, not here).
DEADLINE = 15_000
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEADLINE)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_as(chromium, live_server):
    """`open_as("bob@acme.test")` → a logged-in page in its own browser context; `script` runs
    in every document before the page's own (to record what the browser is asked to do),
    `base` is the server's address (the live server's unless told), and `options` are the
    context's (`has_touch=True`, `java_script_enabled=False`…)."""
    contexts = []

    def open_as(
        email: str | None = None,
        width: int = 1280,
        height: int = 800,
        password: str = PASSWORD,
        script: str | None = None,
        base: str = live_server,
        **options,
    ):
        context = chromium.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        if script:
            context.add_init_script(script)
        page = context.new_page()
        page.set_default_timeout(DEADLINE)
        if email:
            page.goto(f"{base}/login")
            page.fill("#email", email)
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/conversations*")
        return page

    yield open_as
    for context in contexts:
        context.close()
