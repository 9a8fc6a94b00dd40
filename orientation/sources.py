"""Campus records from an HTTP source: an Opendatasoft Explore v2.1 `records` endpoint.

Pages of 100 records are fetched with `requests` (timeouts, retries with exponential backoff)
and kept in an on-disk JSON cache. A fresh cache is used without any request; when the source
is down, slow or returns junk, a stale cache is used, and without one the caller keeps the
embedded catalogue. Nothing here raises: failures are logged as warnings.

Record fields carry the same names as the columns of orientation/data/campuses.csv; the catalogue
validates and merges them (orientation/catalogue.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from orientation.paths import CACHE_DIR, PROJECT_ROOT, SCHOOL_SETTINGS_PATH
from orientation.settings import read_settings

logger = logging.getLogger(__name__)

DEFAULT_SETTINGS = {
    "url": None,
    "timeout_seconds": 3,
    "retries": 2,
    "cache_ttl_hours": 24,
    "cache_dir": "var/cache",
}
# The Explore v2.1 records endpoint returns at most 100 records a call and refuses
# offset + limit beyond 10,000 (https://help.opendatasoft.com/apis/ods-explore-v2/).
PAGE_SIZE = 100
MAX_RECORDS = 10_000
BACKOFF_FACTOR = 0.5  # waits 0.5 s, 1 s, 2 s... between attempts
RETRY_STATUSES = (429, 500, 502, 503, 504)


class SourceError(Exception):
    """The source answered, but not with usable records."""


@dataclass(frozen=True)
class SourceSettings:
    url: Optional[str] = None
    timeout_seconds: float = 3
    retries: int = 2
    cache_ttl_hours: float = 24
    cache_dir: Path = CACHE_DIR

    @classmethod
    def from_mapping(cls, values: Optional[Mapping[str, Any]]) -> "SourceSettings":
        merged = {**DEFAULT_SETTINGS, **{k: v for k, v in (values or {}).items() if v is not None}}
        cache_dir = Path(str(merged["cache_dir"]))
        return cls(
            url=str(merged["url"]).strip() if merged.get("url") else None,
            timeout_seconds=float(merged["timeout_seconds"]),
            retries=max(int(merged["retries"]), 0),
            cache_ttl_hours=float(merged["cache_ttl_hours"]),
            # Relative to the project, not to wherever the process was started.
            cache_dir=cache_dir if cache_dir.is_absolute() else PROJECT_ROOT / cache_dir,
        )


@dataclass(frozen=True)
class RemoteRecords:
    records: List[Dict[str, Any]]
    origin: str  # 'network' | 'cache' | 'stale-cache'
    fetched_at: float  # epoch seconds


def load_source_settings(path: Union[str, Path] = SCHOOL_SETTINGS_PATH) -> Dict[str, Any]:
    """The `catalogue_source` section of a school file with defaults; no source if unreadable."""
    return {**DEFAULT_SETTINGS, **read_settings(Path(path)).catalogue_source}


# ---------------------------------------------------------------- HTTP


def _session(retries: int) -> requests.Session:
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=BACKOFF_FACTOR,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        respect_retry_after_header=False,  # a long Retry-After would stall the start-up
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["Accept"] = "application/json"
    return session


def _without_paging(url: str) -> str:
    """The configured URL may already hold limit/offset; paging sets its own."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("limit", "offset")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def fetch_records(url: str, timeout_seconds: float = 3, retries: int = 2, page_size: int = PAGE_SIZE) -> List[Any]:
    """Every record of the endpoint, page by page. Raises requests.RequestException or SourceError."""
    base = _without_paging(url)
    records: List[Dict[str, Any]] = []
    offset = 0
    with _session(retries) as session:
        while offset < MAX_RECORDS:
            limit = min(page_size, MAX_RECORDS - offset)
            response = session.get(
                base, params={"limit": limit, "offset": offset}, timeout=(timeout_seconds, timeout_seconds)
            )
            response.raise_for_status()
            page, total = _parse_page(response)
            records.extend(page)  # junk items are counted and skipped by the catalogue
            offset += len(page)
            if not page or offset >= total:
                break
    return records


def _parse_page(response: requests.Response):
    try:
        payload = response.json()
    except ValueError as error:
        raise SourceError(f"not JSON: {error}") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise SourceError("no 'results' list in the answer")
    total = payload.get("total_count")
    if not isinstance(total, int) or isinstance(total, bool):
        raise SourceError("no integer 'total_count' in the answer")
    return payload["results"], total


# ---------------------------------------------------------------- cache


def cache_path(cache_dir: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return Path(cache_dir) / f"campus-source-{digest}.json"


def read_cache(path: Path) -> Optional[RemoteRecords]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        records, fetched_at = payload["records"], float(payload["fetched_at"])
        if not isinstance(records, list):
            raise ValueError("records is not a list")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("Campus source cache %s unreadable (%s): ignored.", path, error)
        return None
    return RemoteRecords(records, "cache", fetched_at)


def write_cache(path: Path, url: str, records: List[Dict[str, Any]], fetched_at: float) -> None:
    """Written to a temporary file then renamed, so a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as handle:
            json.dump({"url": url, "fetched_at": fetched_at, "records": records}, handle, ensure_ascii=False)
        os.replace(handle.name, path)
    except OSError as error:
        logger.warning("Campus source cache %s not written (%s).", path, error)


# ---------------------------------------------------------------- entry point


def load_remote_records(settings: Optional[Mapping[str, Any]], now: Optional[float] = None) -> Optional[RemoteRecords]:
    """Records from the cache while it is fresh, else from the source (then cached).
    A failing source falls back to a stale cache, then to None (embedded catalogue only)."""
    config = SourceSettings.from_mapping(settings)
    if not config.url:
        return None
    now = time.time() if now is None else now
    path = cache_path(config.cache_dir, config.url)
    cached = read_cache(path)
    if cached is not None and now - cached.fetched_at < config.cache_ttl_hours * 3600:
        return cached
    try:
        records = fetch_records(config.url, config.timeout_seconds, config.retries)
    except (requests.RequestException, SourceError) as error:
        if cached is not None:
            logger.warning(
                "Campus source %s failed (%s): using the cache from %s.",
                config.url,
                error,
                time.strftime("%Y-%m-%d %H:%M", time.localtime(cached.fetched_at)),
            )
            return RemoteRecords(cached.records, "stale-cache", cached.fetched_at)
        logger.warning("Campus source %s failed (%s): embedded catalogue only.", config.url, error)
        return None
    write_cache(path, config.url, records, now)
    return RemoteRecords(records, "network", now)
