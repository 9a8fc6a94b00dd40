"""The action server (rasa_sdk's own app, actions/ package), started the safe way.

    python -m bot.action_server --port 5055            # 127.0.0.1:5055, what both Procfiles run
    ACTION_SERVER_TOKEN=... python -m bot.action_server --host 10.0.0.5 --port 5055

`python -m rasa_sdk` listens on every address (0.0.0.0) with no authentication, accepts bodies of
100 MB and inflates a deflate-compressed body whatever its size. This runs the same app
(rasa_sdk.endpoint.create_app) with:
- 127.0.0.1 as the default address; any other address needs ACTION_SERVER_TOKEN;
- bodies over REQUEST_MAX_BYTES refused with 413 (announced or streamed), and a compressed body
  (Rasa's COMPRESS_ACTION_SERVER_REQUEST sends deflate) refused with 413 once inflated over
  INFLATED_MAX_BYTES; any other Content-Encoding (gzip...) with 415;
- when ACTION_SERVER_TOKEN is set, every request but /health refused with 401 unless its
  X-Action-Server-Token header holds the token (Rasa sends it: `headers` of action_endpoint in
  the endpoints file, docs/production.md);
- no CORS headers: no browser page has any reason to call it;
- refused requests (413, 400 for a body that is not JSON, 404...) answered with their own status
  and a short JSON error, not rasa_sdk's 500 with a copy of the body.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import logging
import os
import sys
import zlib
from typing import List, Optional, Sequence

HOST = "127.0.0.1"
# Rasa sends the events of the current session (and the domain, 63 kB, to the form validation):
# 80 messages of one session measured 1,300 events and 0.49 MB, about 6 kB a message. 2 MiB holds
# some 320 messages in one session (a session ends after 60 idle minutes), far beyond a visitor's.
REQUEST_MAX_BYTES = 2 * 1024 * 1024
INFLATED_MAX_BYTES = REQUEST_MAX_BYTES
TOKEN_ENV = "ACTION_SERVER_TOKEN"
TOKEN_HEADER = "X-Action-Server-Token"
OPEN_PATHS = ("/health",)

logger = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def inflated_size(body: bytes, limit: int) -> Optional[int]:
    """Size of a deflate (zlib) body once inflated, inflating at most limit + 1 bytes; None when
    it is not valid deflate data."""
    inflater = zlib.decompressobj()
    try:
        size = len(inflater.decompress(body, limit + 1))
    except zlib.error:
        return None
    return size if size <= limit and not inflater.unconsumed_tail else limit + 1


def create_app(token: Optional[str] = None, actions: str = "actions"):
    """rasa_sdk's app for the actions package, with the limits and the token check above."""
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from sanic import response
    from sanic.exceptions import SanicException
    from sanic.request import Request

    app = create_sdk_app(actions, cors_origins=None)
    app.config.REQUEST_MAX_SIZE = REQUEST_MAX_BYTES

    async def guard(request: Request):
        if token and request.path not in OPEN_PATHS:
            given = request.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
                return response.json({"error": "jeton du serveur d'actions absent ou faux"}, status=401)
        encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding == "deflate":
            size = inflated_size(request.body, INFLATED_MAX_BYTES)
            if size is None:
                return response.json({"error": "corps compressé illisible"}, status=400)
            if size > INFLATED_MAX_BYTES:
                return response.json({"error": "corps trop grand une fois décompressé"}, status=413)
        elif encoding != "identity":
            return response.json({"error": f"encodage non pris en charge : {encoding}"}, status=415)
        return None

    async def refused(request: Request, exception: SanicException):
        # rasa_sdk's own handler answers every error with 500 and a copy of the body.
        return response.json({"error": str(exception)}, status=exception.status_code)

    app.register_middleware(guard, "request")
    app.error_handler.add(SanicException, refused)
    return app


def argument_parser() -> argparse.ArgumentParser:
    from rasa_sdk.endpoint import create_argument_parser

    parser = create_argument_parser()
    parser.description = "starts the action server on 127.0.0.1, with bounded requests"
    parser.add_argument(
        "--host", default=HOST, help=f"address to listen on (default {HOST}; another one needs {TOKEN_ENV})"
    )
    parser.set_defaults(actions="actions")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argument_parser()
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(args.host) and not token:
        print(
            f"Démarrage refusé : le serveur d'actions n'écoute sur {args.host} (hors de cette machine) "
            f"qu'avec un jeton partagé, {TOKEN_ENV} (docs/production.md).",
            file=sys.stderr,
        )
        return 2
    unsupported: List[str] = [name for name in ("cors", "auto_reload") if getattr(args, name)]
    if unsupported:
        parser.error(f"not supported here: {', '.join('--' + name.replace('_', '-') for name in unsupported)}")

    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    # The same logging set-up as `python -m rasa_sdk`.
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()

    app = create_app(token, args.actions)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    protocol = "https" if ssl_context else "http"
    logger.info(
        "Action server on %s://%s:%s (bodies up to %d bytes, %s)",
        protocol,
        args.host,
        args.port,
        REQUEST_MAX_BYTES,
        f"{TOKEN_HEADER} required" if token else "no token",
    )
    app.run(args.host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
