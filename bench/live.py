"""How soon an open portal shows a new text (SPEC §2.6: within 3 seconds).

    .venv/bin/python -m bench.live --rounds 20

Serves the app on a throwaway SQLite database on a local port, opens the portal in headless
Chromium (Debian's, /usr/bin/chromium) as an agent, and each round files a new text from a new
contact; it times from the text's commit until its row is on the agent's screen, and prints p50,
p95 and the slowest in milliseconds.
"""

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import flask_migrate
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.services import directory, inbound
from bench import figure, percentile

NUMBER, EMAIL, PASSWORD = "+15005550101", "bob@bench.test", "bench-password-1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def prepared_app(folder: str):
    """The app on a new database of its own, with an account, an agent and an active number."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'live.db'}"})
    with app.app_context():
        flask_migrate.upgrade()
        account = directory.create_account("Bench Plumbing")
        bob = directory.create_user(account, EMAIL, "Bob", "Baker", "agent", password=PASSWORD)
        directory.create_number(account, NUMBER, "Main line", "local", [bob], True, at_once=True)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = prepared_app(folder)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        times = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/conversations*")
            for i in range(args.rounds):
                with app.app_context():
                    inbound.receive(NUMBER, f"+1500555{2000 + i}", f"Round {i}", None)
                    began = time.perf_counter()
                page.locator("#list .row-item", has_text=f"Round {i}").wait_for(timeout=30_000)
                times.append((time.perf_counter() - began) * 1000)
            browser.close()
        server.shutdown()
    print(f"{args.rounds} texts, each from a new contact, to an agent's open portal (ms):\n")
    print("| p50 | p95 | slowest |\n| --- | --- | --- |")
    print(f"| {statistics.median(times):.0f} | {percentile(times, 0.95):.0f} | {max(times):.0f} |")
    figure("A new text on an open portal, slowest", f"{max(times) / 1000:.2f} s", "≤ 3 s")


if __name__ == "__main__":
    main()
