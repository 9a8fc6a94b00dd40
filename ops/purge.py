"""`python -m cli purge`: deletes what conversations older than the retention period left behind.

Every event (message, answer, slot) older than N days is deleted from the SQL tracker store, so a
conversation with no recent activity disappears entirely. N is `privacy.retention_days` in
school.yml unless --days is given. Works with SQLite (default profile) and PostgreSQL (deploy/).
Safe for conversations still going on: Rasa opens a new session after 60 minutes of silence
(domain session_config), so nothing older than a day is still needed.

It works on a full disk, when it is needed most. SQLite writes a rollback journal beside the
database before it deletes anything, which fails with "database or disk is full": the purge then
runs again with the journal and its temporary tables in memory (`journal_mode=MEMORY`), as the
deletion itself only rewrites pages already in the file. Freed pages stay in the file, for the next
conversations; the disk space itself comes back with `sqlite3 var/conversations.db VACUUM` once
there is room (it needs as much free space as the database).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa

from bot.endpoints import tracker_store_engine as endpoints_engine
from bot.preflight import ConfigurationError, quiet_library_warnings
from orientation.paths import ENDPOINTS_PATH

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PurgeResult:
    conversations: int  # conversations with nothing left
    events: int


def events_table(metadata: sa.MetaData) -> sa.Table:
    # Only the columns the purge needs, with Rasa's table name (rasa.core.tracker_store.SQLTrackerStore).
    return sa.Table("events", metadata, sa.Column("sender_id", sa.String(255)), sa.Column("timestamp", sa.Float))


def purge_older_than(engine: sa.engine.Engine, cutoff: float, dry_run: bool = False) -> PurgeResult:
    """Deletes events stamped before `cutoff` (Unix time) in one transaction."""
    if not sa.inspect(engine).has_table("events"):
        return PurgeResult(0, 0)
    events = events_table(sa.MetaData())
    last_activity = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff)
        .subquery()
    )
    with engine.begin() as connection:
        conversations = connection.execute(sa.select(sa.func.count()).select_from(last_activity)).scalar_one()
        if dry_run:
            old = connection.execute(sa.select(sa.func.count()).where(events.c.timestamp < cutoff))
            return PurgeResult(conversations, old.scalar_one())
        deleted = connection.execute(sa.delete(events).where(events.c.timestamp < cutoff))
        return PurgeResult(conversations, deleted.rowcount)


def is_disk_full(error: Exception) -> bool:
    return "database or disk is full" in str(error)


def journal_in_memory(engine: sa.engine.Engine) -> sa.engine.Engine:
    """A new engine on the same SQLite file whose connections keep their journal in memory."""
    in_memory = sa.create_engine(engine.url)

    @sa.event.listens_for(in_memory, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    return in_memory


def tracker_store_engine(endpoints: Path) -> Optional[sa.engine.Engine]:
    """Engine of the SQL tracker store in `endpoints`; None when there is nothing stored yet."""
    return endpoints_engine(endpoints, not_sql="la purge ne sait traiter qu'un tracker_store de type SQL.")


def retention_days_setting() -> int:
    from orientation.settings import load_settings

    return load_settings().retention_days


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli purge", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--days",
        type=float,
        default=None,
        help="durée de conservation en jours (défaut : privacy.retention_days de school.yml)",
    )
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS_PATH)
    parser.add_argument("--dry-run", action="store_true", help="compte sans supprimer")
    args = parser.parse_args(argv)
    quiet_library_warnings()

    days = args.days if args.days is not None else retention_days_setting()
    if days <= 0:
        print("La durée de conservation doit être positive.", file=sys.stderr)
        return 2
    try:
        engine = tracker_store_engine(args.endpoints)
    except ConfigurationError as error:
        print(f"Purge impossible : {error}", file=sys.stderr)
        return 2
    if engine is None:
        print("Aucune conversation enregistrée : rien à purger.")
        return 0
    cutoff = time.time() - days * SECONDS_PER_DAY
    try:
        try:
            result = purge_older_than(engine, cutoff, dry_run=args.dry_run)
        except sa.exc.OperationalError as error:
            if engine.url.get_backend_name() != "sqlite" or not is_disk_full(error):
                raise
            print("Disque plein : purge avec le journal de SQLite en mémoire.", flush=True)
            engine.dispose()
            engine = journal_in_memory(engine)
            result = purge_older_than(engine, cutoff, dry_run=args.dry_run)
    except sa.exc.SQLAlchemyError as error:
        print(f"Purge impossible ({engine.url!r}) : {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    since = datetime.fromtimestamp(cutoff, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    verb = "à supprimer" if args.dry_run else "supprimés"
    print(
        f"Plus de {days:g} jours (avant le {since}), {engine.url!r} : "
        f"{result.events} événements {verb}, {result.conversations} conversations entièrement."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
