"""The school page and its chat widget in a real browser (Debian's Chromium, driven by Playwright),
talking to the real assistant: action server, Rasa server (socket.io channel) and web server,
each started on a free port."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.web_server import missing_vendor_files
from devtools.processes import Assistant, Service, free_port, running_assistant
from orientation.paths import VENV_BIN
from orientation.settings import settings_path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPLY_TIMEOUT_MS = 30_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}  # the smallest common phone screen
COUNSELLOR_TOKEN = "browser-counsellor-token-7d41"


def web_server(port: int, rasa_url: str, log_dir: Path) -> Service:
    return Service(
        name=f"web server :{port}",
        command=[str(VENV_BIN / "python"), "-m", "bot.web_server", "--port", str(port), "--rasa-url", rasa_url],
        health_url=f"http://127.0.0.1:{port}/health",
        log_path=log_dir / f"web-{port}.log",
    )


@dataclass
class Site:
    url: str
    assistant: Assistant

    def user_events(self, sender_id: str) -> List[dict]:
        """User messages of one conversation, as the tracker store (SQLite) keeps them."""
        with sqlite3.connect(self.assistant.workdir / "conversations.db") as db:
            rows = db.execute(
                "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender_id,)
            ).fetchall()
        return [json.loads(data) for (data,) in rows]


def school_settings_for(origin: str, path: Path) -> Path:
    """The school's settings, with the test page's origin allowed to use the widget."""
    settings = yaml.safe_load(settings_path().read_text(encoding="utf-8")) or {}
    settings.setdefault("web", {})["allowed_origins"] = [origin]
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break the asyncio.run() of the test modules that come after.
@pytest.fixture(scope="module")
def site(tmp_path_factory, trained_model) -> Iterator[Site]:
    if missing_vendor_files():
        pytest.fail("The widget's libraries are missing: run `make web-deps` first.")
    workdir = tmp_path_factory.mktemp("widget")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    settings = school_settings_for(url.rstrip("/"), workdir / "school.yml")
    with contextlib.ExitStack() as running:
        # Only the child processes (Rasa, actions, web server) read these settings: the variable
        # is restored once they have started, so other tests keep the real school.yml.
        with pytest.MonkeyPatch.context() as env:
            env.setenv("SCHOOL_SETTINGS", str(settings))
            assistant = running.enter_context(
                running_assistant(workdir, rasa_env={"COUNSELLOR_TOKEN": COUNSELLOR_TOKEN})
            )
            server = web_server(port, assistant.rasa_url, workdir / "logs")
            running.callback(server.stop)
            server.start()
            server.wait_until_up()
        yield Site(url=url, assistant=assistant)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium is missing: run `make browser-deps` first.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def school_page(browser: Browser, site: Site, **context_options) -> Iterator[Page]:
    """A fresh tab (empty sessionStorage) on the school page; fails on any script error."""
    context = browser.new_context(locale="fr-FR", **context_options)
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    tab = context.new_page()
    errors: List[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(site.url)
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"script errors in the page: {errors}"


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    with school_page(browser, site, viewport=DESKTOP) as tab:
        yield tab


@pytest.fixture
def phone_page(browser: Browser, site: Site) -> Iterator[Page]:
    with school_page(browser, site, viewport=PHONE, is_mobile=True, has_touch=True) as tab:
        yield tab


class ChatWidget:
    """What a user sees and does in the widget."""

    def __init__(self, page: Page):
        self.page = page
        self.launcher = page.locator(".cmq-launcher")
        self.panel = page.get_by_role("dialog", name="Assistant orientation")
        self.input = page.get_by_label("Votre message")
        self.bot_messages = page.locator(".cmq-from-bot")
        self.user_messages = page.locator(".cmq-from-user")
        self.cards = page.locator("article.cmq-card")
        self.live_region = page.locator(".cmq-root [aria-live]")

    def open(self) -> None:
        """Opens the widget and waits for the greeting."""
        self.launcher.click()
        expect(self.panel).to_be_visible()
        self.wait_for_reply(0)

    def ask(self, text: str) -> None:
        before = self.bot_messages.count()
        self.input.fill(text)
        self.input.press("Enter")
        self.wait_for_reply(before)

    def click_suggestion(self, title: str) -> None:
        before = self.bot_messages.count()
        self.page.get_by_role("button", name=title, exact=True).last.click()
        self.wait_for_reply(before)

    def wait_for_reply(self, count_before: int) -> None:
        """Waits for new bot messages, then until no more arrive (an answer may span several)."""
        self.page.wait_for_function(
            "n => document.querySelectorAll('.cmq-from-bot').length > n", arg=count_before, timeout=REPLY_TIMEOUT_MS
        )
        settled_count = -1
        while settled_count != self.bot_messages.count():
            settled_count = self.bot_messages.count()
            time.sleep(0.6)

    def session_id(self) -> str:
        return self.page.evaluate(
            "() => { const key = Object.keys(sessionStorage).find(k => k.startsWith('cmq-chat'));"
            " return JSON.parse(sessionStorage.getItem(key)).sessionId; }"
        )

    def last_bot_text(self) -> str:
        return self.bot_messages.last.inner_text()

    def last_user_bubble(self):
        return self.user_messages.last.locator(".cmq-bubble")


@pytest.fixture
def chat(page: Page) -> ChatWidget:
    return ChatWidget(page)


@pytest.fixture
def phone_chat(phone_page: Page) -> ChatWidget:
    return ChatWidget(phone_page)
