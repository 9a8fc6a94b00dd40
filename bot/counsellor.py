"""The counsellor view: what the assistant understood, shown only to holders of the access token.

The token is never in the page: it is set in COUNSELLOR_TOKEN, or in a file outside the web root
named by COUNSELLOR_TOKEN_FILE or by `counsellor_view.token_file` in school.yml. No token set means
the counsellor view is off. The counsellor types it in the widget (page opened with #counsellor);
the browser keeps it in sessionStorage and sends it in the socket.io connection's `auth` data;
`cli ask` sends it in the X-Counsellor-Token header of the REST channel.
When none is configured, `make run` makes one for this machine in var/counsellor-token (outside the
web root, readable by its owner only), so that `cli ask` reaches the assistant it started.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Any, Optional

from actions.settings import read_settings, settings_path
from bot.paths import VAR_DIR

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Counsellor-Token"
AUTH_FIELD = "counsellor_token"
LOCAL_TOKEN_FILE = VAR_DIR / "counsellor-token"
REFUSED_MESSAGE = "Code d'accès conseiller refusé : vérifiez le code ou ouvrez le chat sans #counsellor."


def token_file_from_settings() -> Optional[str]:
    """Read again at each call: the token file may be set while the process runs (tests)."""
    return read_settings(settings_path()).counsellor_token_file


def configured_token() -> Optional[str]:
    """The counsellors' access token, or None when the counsellor view is off."""
    token = os.environ.get("COUNSELLOR_TOKEN", "").strip()
    if token:
        return token
    token_file = os.environ.get("COUNSELLOR_TOKEN_FILE") or token_file_from_settings()
    if not token_file:
        return None
    try:
        return Path(token_file).read_text(encoding="utf-8").strip() or None
    except OSError as error:
        logger.warning("Counsellor token file unreadable (%s): counsellor view off.", error.strerror)
        return None


def local_token_file() -> Path:
    """The token file of an assistant started on this machine with `make run`, made when missing."""
    if not LOCAL_TOKEN_FILE.exists():
        LOCAL_TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
        LOCAL_TOKEN_FILE.touch(mode=0o600)
        LOCAL_TOKEN_FILE.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    return LOCAL_TOKEN_FILE


def token_for_ask() -> Optional[str]:
    """The token `cli ask` sends: the configured one, else the one `make run` made on this machine."""
    token = configured_token()
    if token is None and LOCAL_TOKEN_FILE.exists():
        token = LOCAL_TOKEN_FILE.read_text(encoding="utf-8").strip() or None
    return token


def token_is_valid(given: Any, expected: Optional[str]) -> bool:
    """Constant-time comparison, so the answer time says nothing about the token."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def understanding(parse: dict) -> dict:
    """What NLU understood of one (already masked) message: intent, entities, FAQ answer chosen."""
    intent = parse.get("intent") or {}
    intent_name = intent.get("name") or ""
    selectors = parse.get("response_selector") or {}
    selector = selectors.get(intent_name) or selectors.get("default") or {}
    response = selector.get("response") or {}
    chose_faq = intent_name.startswith("faq_") and response.get("intent_response_key")
    return {
        "text": parse.get("text") or "",
        "intent": intent_name,
        "confidence": float(intent.get("confidence") or 0.0),
        "entities": [{"entity": e.get("entity"), "value": e.get("value")} for e in parse.get("entities") or []],
        "faq": {"key": response["intent_response_key"], "confidence": float(response.get("confidence") or 0.0)}
        if chose_faq
        else None,
    }
