"""The school page server on its own: what it injects into the page, and how safely."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.web_server import create_app
from orientation.settings import load_settings

HOSTILE_NAME = 'Lycée </script><script>alert("x")</script> & Cie'


@pytest.fixture
def school_settings(tmp_path, monkeypatch):
    path = tmp_path / "school.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "school": {"name": HOSTILE_NAME},
                "web": {"widget": {"lang": "fr", "colors": {"primary": "#004d40", "on_primary": "#ffffff"}}},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("SCHOOL_SETTINGS", str(path))
    load_settings.cache_clear()
    yield path
    load_settings.cache_clear()


def fetch(path: str, rasa_url=None):
    async def get():
        async with TestClient(TestServer(create_app(rasa_url))) as client:
            response = await client.get(path)
            return response.status, dict(response.headers), await response.text()

    # A thread of its own: Playwright's sync API may already run an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, get()).result()


def test_the_page_carries_the_school_settings_without_letting_them_inject_markup(school_settings):
    status, headers, page = fetch("/", rasa_url="https://assistant.example.fr:5005")
    assert status == 200
    assert "<script>alert" not in page
    assert "Lycée &lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cie" in page
    config = re.search(r"window\.CmqChatConfig = (\{.*\});</script>", page).group(1)
    assert '"rasaUrl": "https://assistant.example.fr:5005"' in config
    assert '"primary": "#004d40"' in config
    assert "</" not in config


def test_only_the_page_own_scripts_and_the_rasa_server_are_allowed(school_settings):
    _, headers, page = fetch("/", rasa_url="https://assistant.example.fr:5005")
    policy = headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in page
    assert "connect-src 'self' https://assistant.example.fr:5005 wss://assistant.example.fr:5005" in policy
    assert "unsafe-inline" not in policy


def test_the_widget_files_are_served(school_settings):
    status, headers, script = fetch("/widget/widget.js")
    assert status == 200 and "CmqChatConfig" in script
    assert headers["X-Content-Type-Options"] == "nosniff"
