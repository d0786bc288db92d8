"""Take the README's screenshots from the real app: `.venv/bin/python scripts/screenshots.py`.

Starts the demo on a throwaway database, texts it from the simulated phone, and photographs the
portal as Bob sees it on a desktop and on a phone (headless Chromium at /usr/bin/chromium).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = tempfile.mkdtemp()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/demo.db", "PUBLIC_BASE_URL": base}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(flask + ["run", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            phone = browser.new_page()
            phone.goto(
                f"{base}/dev/phone?"
                + urlencode({"phone": "+15555550199", "number": "+15005550101"})
            )
            phone.fill(
                "#body", "Hi! Our dishwasher is leaking under the sink. Can someone come today?"
            )
            phone.click("text=Send")
            for name, size in (("desktop", (1280, 760)), ("mobile", (375, 812))):
                page = browser.new_page(viewport={"width": size[0], "height": size[1]})
                page.goto(f"{base}/login")
                page.fill("#email", "bob@demo.test")
                page.fill("#password", "demo-password")
                page.click("button[type=submit]")
                if name == "mobile":
                    page.screenshot(path=OUT / "mobile-list.png")
                page.locator("#list .row-item", has_text="(555) 555-0199").click()
                if name == "desktop":
                    page.fill("#body", "Yes! A plumber can be there by 3 pm. Does that work?")
                    page.click("text=Claim and send")
                    page.wait_for_selector("#action-status")  # answered in place
                if name == "mobile":  # the page has scrolled to the newest text
                    page.wait_for_function(
                        "() => scrollY + innerHeight >= document.documentElement.scrollHeight - 2"
                    )
                page.screenshot(path=OUT / f"{name}.png")
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
