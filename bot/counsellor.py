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
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Deque, Dict, Optional

from orientation.paths import VAR_DIR
from orientation.settings import read_settings, settings_path
from orientation.wording import fill

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Counsellor-Token"
AUTH_FIELD = "counsellor_token"
LOCAL_TOKEN_FILE = VAR_DIR / "counsellor-token"
REFUSED_MESSAGE = fill("text_channel_counsellor_refused")
TOO_MANY_TRIES_MESSAGE = fill("text_channel_counsellor_too_many_tries")
# A token anyone could guess in a few tries is no protection: shorter ones are refused at start.
MIN_TOKEN_CHARS = 24


class WeakTokenError(ValueError):
    """The configured token is too short to protect the counsellor view."""


def token_file_from_settings() -> Optional[str]:
    """Read again at each call: the token file may be set while the process runs (tests)."""
    return read_settings(settings_path()).counsellor_token_file


def check_token_strength() -> None:
    """Raises WeakTokenError, with what to do, when a token is set but too short."""
    token = configured_token()
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise WeakTokenError(
            f"Le code d'accès conseiller fait {len(token)} caractères : il en faut au moins {MIN_TOKEN_CHARS}. "
            'Créez-en un avec : (umask 077; python3 -c "import secrets; print(secrets.token_urlsafe(32))" > FICHIER)'
        )


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
        LOCAL_TOKEN_FILE.chmod(0o600)  # touch's mode is filtered by the umask, and kept if the file existed
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
    if len(expected) < MIN_TOKEN_CHARS:  # refused at start too (check_token_strength)
        logger.error("Counsellor token shorter than %d characters: every token refused.", MIN_TOKEN_CHARS)
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class TokenGuard:
    """Throttles guessing: after `max_wrong` wrong tokens from one client address within
    `window` seconds, every try from that address is refused for `pause` seconds."""

    def __init__(
        self,
        max_wrong: int = 5,
        window: float = 600,
        pause: float = 600,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 10_000,
    ) -> None:
        self.max_wrong, self.window, self.pause, self.clock = max_wrong, window, pause, clock
        self.max_addresses = max_addresses
        self._wrong: Dict[str, Deque[float]] = {}
        self._paused_until: Dict[str, float] = {}

    def paused(self, address: str) -> bool:
        until = self._paused_until.get(address)
        if until is None:
            return False
        if self.clock() >= until:
            del self._paused_until[address]
            return False
        return True

    def record_wrong(self, address: str) -> None:
        now = self.clock()
        if len(self._wrong) >= self.max_addresses:
            self._forget_old(now)
        tries = self._wrong.setdefault(address, deque())
        tries.append(now)
        while tries and tries[0] < now - self.window:
            tries.popleft()
        if len(tries) >= self.max_wrong:
            self._paused_until[address] = now + self.pause
            tries.clear()
            logger.warning(
                "Counsellor token: %d wrong tries from one address, paused for %.0f s.", self.max_wrong, self.pause
            )

    def _forget_old(self, now: float) -> None:
        for address in [a for a, tries in self._wrong.items() if not tries or tries[-1] < now - self.window]:
            del self._wrong[address]
        for address in [a for a, until in self._paused_until.items() if until <= now]:
            del self._paused_until[address]


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
