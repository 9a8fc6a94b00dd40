"""The school's demo page with the chat widget: `python -m bot.web_server --port 8080`.

Serves
  /          a school page that embeds the widget the way any school page does (a config object
             and one script tag); its config comes from school.yml and the command line;
  /widget/   widget.js, widget.css and, in vendor/, the npm libraries copied by `make web-deps`;
  /health    200 when the server is up.
The widget talks to Rasa's socket.io channel directly; this server never sees the conversation.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
from html import escape
from string import Template
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

from aiohttp import web

from orientation.paths import WEB_DIR
from orientation.settings import WidgetSettings, load_settings

logger = logging.getLogger(__name__)

SITE_DIR = WEB_DIR / "site"
WIDGET_DIR = WEB_DIR / "widget"
VENDOR_FILES = ("socket.io.min.js",)
DEFAULT_RASA_PORT = 5005

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def widget_options(widget: WidgetSettings) -> Dict[str, Any]:
    """The widget's options as its script reads them (`web.widget` of school.yml)."""
    return {"lang": widget.lang, "colors": {"primary": widget.primary_color, "onPrimary": widget.on_primary_color}}


def rasa_url_for(request: web.Request, configured: Optional[str]) -> str:
    """The Rasa server as the browser must reach it: as configured, else this host on port 5005."""
    if configured:
        return configured.rstrip("/")
    # request.host is "name:port"; request.url is not used: it fails on such hosts with newer yarl.
    hostname = urlsplit(f"//{request.host}").hostname or "localhost"
    if ":" in hostname:  # IPv6 literal
        hostname = f"[{hostname}]"
    return f"{request.scheme}://{hostname}:{DEFAULT_RASA_PORT}"


def script_json(value: Any) -> str:
    """JSON that cannot close the <script> element it is written into."""
    text = json.dumps(value, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def content_security_policy(nonce: str, rasa_url: str) -> str:
    rasa = urlsplit(rasa_url)
    socket_scheme = "wss" if rasa.scheme == "https" else "ws"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {rasa.scheme}://{rasa.netloc} {socket_scheme}://{rasa.netloc}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
        ]
    )


def render_page(template: Template, config: Dict[str, Any], school_name: str, nonce: str) -> str:
    return template.substitute(
        lang=escape(config["lang"]),
        school_name=escape(school_name),
        nonce=nonce,
        config_json=script_json(config),
    )


def create_app(rasa_url: Optional[str] = None) -> web.Application:
    settings = load_settings()
    options = widget_options(settings.widget)
    template = Template((SITE_DIR / "index.html").read_text(encoding="utf-8"))

    async def page(request: web.Request) -> web.Response:
        nonce = secrets.token_urlsafe(16)
        browser_rasa_url = rasa_url_for(request, rasa_url)
        config = {"rasaUrl": browser_rasa_url, "schoolName": settings.school_name, **options}
        response = web.Response(
            text=render_page(template, config, settings.school_name, nonce), content_type="text/html"
        )
        response.headers["Content-Security-Policy"] = content_security_policy(nonce, browser_rasa_url)
        return response

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    @web.middleware
    async def security_headers(request: web.Request, handler):
        response = await handler(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    app = web.Application(middlewares=[security_headers])
    app.router.add_get("/", page)
    app.router.add_get("/health", health)
    app.router.add_static("/widget/", WIDGET_DIR)
    app.router.add_static("/site/", SITE_DIR)
    return app


def missing_vendor_files() -> List[str]:
    return [name for name in VENDOR_FILES if not (WIDGET_DIR / "vendor" / name).is_file()]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bot.web_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--rasa-url",
        default=os.environ.get("RASA_URL"),
        help="Rasa server as the browser reaches it (default: this host, port 5005)",
    )
    args = parser.parse_args(argv)
    missing = missing_vendor_files()
    if missing:
        print(f"Missing widget libraries ({', '.join(missing)}): run `make web-deps` first.", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    print(f"School page with the chat widget: http://{args.host}:{args.port}/", flush=True)
    web.run_app(create_app(args.rasa_url), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
