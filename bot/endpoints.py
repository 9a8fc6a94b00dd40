"""The SQL tracker store an endpoints file configures, opened the same way by every tool that reads
or cleans the stored conversations (ops/purge.py, ops/conversations.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import sqlalchemy as sa

from bot.preflight import ConfigurationError, is_sql_tracker_store, read_section, sql_url


def tracker_store_engine(endpoints: Path, not_sql: str, missing: Optional[str] = None) -> Optional[sa.engine.Engine]:
    """Engine of the SQL tracker store in `endpoints`; None when its SQLite file does not exist yet
    (nothing stored). `not_sql` (and `missing`, when no store is configured) say, after the file's
    name, why the caller cannot work with what is configured."""
    tracker_store = read_section(endpoints, "tracker_store")
    if tracker_store is None and missing is not None:
        raise ConfigurationError(f"{endpoints} : {missing}")
    if not is_sql_tracker_store(tracker_store):
        raise ConfigurationError(f"{endpoints} : {not_sql}")
    url = sa.engine.make_url(sql_url(tracker_store))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return None
    return sa.create_engine(url)
