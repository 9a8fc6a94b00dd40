"""`make catalogue-check`: the campus data files (orientation/data/, CATALOGUE.md) checked together.

One line per problem, "<file>, row <n>: <problem>" (row 1 is the header), then the rows due for a
new look, which do not fail the check. Exit code 1 when a problem is found, 0 otherwise.

Fails on: a file that cannot be read as a table; an invalid campus row (orientation.catalogue
validate_row: sector, region, académie, town, URLs...) or a duplicate id; a row without a source;
a refused domain (refused_source_domains.yml) in a source, a website, a member or a diploma; a
lead establishment that is a bare town name; source dates that do not pair with the sources; a
member without a town, with a town that is not in geo/communes.csv, of an unknown kind or with a
malformed UAI; a duplicate member; a member, diploma or id-history row naming no campus; a
diploma of an unknown level; an old id reused or leading nowhere.

Lists without failing (due for a new look): rows whose newest dated source is older than three
years, rows without any dated source, rows whose label end date has passed, and rows kept with a
refused link until it is replaced.

    python -m ops.catalogue_check [--data-dir DIR] [--today YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from orientation.catalogue import (
    CATALOGUE_CSV,
    DIPLOMAS_CSV,
    ID_CHANGES,
    ID_HISTORY_COLUMNS,
    ID_HISTORY_CSV,
    LEVELS,
    MEMBER_KINDS,
    MEMBERS_CSV,
    REFUSED_DOMAINS_YML,
    CatalogueFileError,
    RefusedSources,
    date_end,
    date_start,
    display_path,
    is_uai,
    is_web_address,
    read_diplomas,
    read_members,
    read_rows,
    read_table,
    refused_sources,
    source_dates_mismatch,
    split_list,
    validate_row,
)
from orientation.places import get_resolver
from orientation.text import normalise

# A row is due for a new look when its newest dated source is older than this.
REVIEW_AFTER_YEARS = 3


@dataclass
class Report:
    problems: List[str] = field(default_factory=list)
    due: List[str] = field(default_factory=list)

    def fail(self, path: Path, row: int, problem: str) -> None:
        self.problems.append(f"{display_path(path)}, row {row}: {problem}")

    def review(self, path: Path, row: int, reason: str) -> None:
        self.due.append(f"{display_path(path)}, row {row}: due for a new look: {reason}")


def check(data_dir: Optional[Path] = None, today: Optional[dt.date] = None) -> Report:
    """Every problem and every row due for a new look in the campus data files of data_dir."""
    data_dir = Path(data_dir) if data_dir else CATALOGUE_CSV.parent
    today = today or dt.date.today()
    paths = {
        "campuses": data_dir / CATALOGUE_CSV.name,
        "members": data_dir / MEMBERS_CSV.name,
        "diplomas": data_dir / DIPLOMAS_CSV.name,
        "history": data_dir / ID_HISTORY_CSV.name,
        "refused": data_dir / REFUSED_DOMAINS_YML.name,
    }
    report = Report()
    try:
        refused = refused_sources(paths["refused"])
    except CatalogueFileError as error:
        report.problems.append(str(error))
        return report
    loaded: Dict[str, List[Dict[str, str]]] = {}
    readers: Sequence[Tuple[str, Callable[[Path], List[Dict[str, str]]]]] = (
        ("campuses", read_rows),
        ("members", read_members),
        ("diplomas", read_diplomas),
        ("history", lambda path: read_table(path, ID_HISTORY_COLUMNS, required=("old_id", "new_id"))),
    )
    for key, reader in readers:
        try:
            loaded[key] = reader(paths[key])
        except CatalogueFileError as error:
            report.problems.append(str(error))
    if "campuses" not in loaded:
        return report
    ids = _check_campuses(paths["campuses"], loaded["campuses"], refused, today, report)
    if "members" in loaded:
        _check_members(paths["members"], loaded["members"], ids, refused, report)
    if "diplomas" in loaded:
        _check_diplomas(paths["diplomas"], loaded["diplomas"], ids, refused, report)
    if "history" in loaded:
        _check_history(paths["history"], loaded["history"], ids, report)
    return report


def _refused(refused: RefusedSources, campus_id: str, url: str) -> Optional[str]:
    """The problem with a URL of a refused domain, None when the URL is acceptable or kept."""
    domain = refused.domain_of(url)
    if domain is None or (campus_id, url) in refused.kept_until_replaced:
        return None
    return f"refused source domain {domain} ({refused.domains[domain]}): {url}"


_TOWN_NAMES: Set[str] = set()


def _is_town_name(text: str) -> bool:
    """A lead that is nothing but a commune's name ("Lyon", "Le Mans", "Mans")."""
    if not _TOWN_NAMES:
        for commune in get_resolver().communes_by_insee.values():
            _TOWN_NAMES.add(normalise(commune.name))
    key = normalise(text)
    words = key.split(" ", 1)
    bare = words[1] if len(words) == 2 and words[0] in ("le", "la", "les", "l") else key
    return key in _TOWN_NAMES or bare in _TOWN_NAMES


def _check_campuses(
    path: Path, rows: Sequence[Dict[str, str]], refused: RefusedSources, today: dt.date, report: Report
) -> Set[str]:
    seen: Dict[str, int] = {}
    review_before = (
        today.replace(year=today.year - REVIEW_AFTER_YEARS)
        if not (today.month == 2 and today.day == 29)
        else dt.date(today.year - REVIEW_AFTER_YEARS, 2, 28)
    )
    for number, row in enumerate(rows, start=2):
        campus_id = row.get("id", "").strip()
        for problem in validate_row(row):
            report.fail(path, number, f"{campus_id or 'no id'}: {problem}")
        if campus_id in seen:
            report.fail(path, number, f"{campus_id}: duplicate id (first in row {seen[campus_id]})")
        elif campus_id:
            seen[campus_id] = number
        mismatch = source_dates_mismatch(row)
        if mismatch:
            report.fail(path, number, f"{campus_id}: {mismatch}")
        urls = [row.get("source_url", ""), *split_list(row.get("other_sources"))]
        kept = False
        for url in [u for u in urls if u] + ([row["website"]] if row.get("website") else []):
            refusal = _refused(refused, campus_id, url)
            if refusal:
                report.fail(path, number, f"{campus_id}: {refusal}")
            elif refused.domain_of(url):
                kept = True
        if kept:
            if row.get("unconfirmed") != "label":
                report.fail(path, number, f"{campus_id}: a refused link is kept only on a row marked unconfirmed=label")
            report.review(path, number, f"{campus_id}: only a refused link backs it (refused_source_domains.yml)")
        lead = row.get("lead_establishment", "").strip()
        if lead and _is_town_name(lead):
            report.fail(path, number, f"{campus_id}: lead_establishment is a town, not an establishment: {lead!r}")
        dates = [d.strip() for d in row.get("source_dates", "").split(";") if d.strip()]
        starts = [date_end(d) for d in dates]
        newest = max((d for d in starts if d), default=None)
        if newest is None:
            report.review(path, number, f"{campus_id}: no dated source")
        elif newest < review_before:
            report.review(
                path,
                number,
                f"{campus_id}: newest source of {newest.isoformat()[:7]}, more than {REVIEW_AFTER_YEARS} years ago",
            )
        label_end = date_end(row.get("label_end", ""))
        if label_end and label_end < today:
            report.review(path, number, f"{campus_id}: label end date {row['label_end']} has passed")
    return set(seen)


def _check_members(
    path: Path, rows: Sequence[Dict[str, str]], ids: Set[str], refused: RefusedSources, report: Report
) -> None:
    resolver = get_resolver()
    seen: Dict[Tuple[str, str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        campus_id, name = row["campus_id"].strip(), row["name"].strip()
        where = f"{campus_id} / {name}"
        if campus_id not in ids:
            report.fail(path, number, f"{where}: no campus with id {campus_id!r}")
        town, code = row.get("town", "").strip(), row.get("insee_code", "").strip()
        commune = resolver.communes_by_insee.get(code) if code else None
        if not town:
            report.fail(path, number, f"{where}: member without a town")
        elif commune is None:
            report.fail(path, number, f"{where}: town {town!r} with INSEE code {code!r} is not in geo/communes.csv")
        elif normalise(commune.name) != normalise(town):
            report.fail(path, number, f"{where}: INSEE code {code} is {commune.name}, not {town!r}")
        if row.get("kind", "") not in MEMBER_KINDS:
            report.fail(
                path, number, f"{where}: unknown kind {row.get('kind', '')!r} (one of {', '.join(MEMBER_KINDS)})"
            )
        uai = row.get("uai", "").strip()
        if uai and not is_uai(uai):
            report.fail(path, number, f"{where}: malformed UAI {uai!r} (7 digits and a letter)")
        _check_url(path, number, where, campus_id, row["source_url"], refused, report)
        key = (campus_id, normalise(name), code)
        if key in seen:
            report.fail(path, number, f"{where}: duplicate member (first in row {seen[key]})")
        else:
            seen[key] = number


def _check_diplomas(
    path: Path, rows: Sequence[Dict[str, str]], ids: Set[str], refused: RefusedSources, report: Report
) -> None:
    seen: Dict[Tuple[str, str, str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        campus_id = row["campus_id"].strip()
        where = f"{campus_id} / {row.get('level') or '-'} {row.get('specialty', '')}".rstrip()
        if campus_id not in ids:
            report.fail(path, number, f"{where}: no campus with id {campus_id!r}")
        if row.get("level") and row["level"] not in LEVELS:
            report.fail(path, number, f"{where}: unknown level {row['level']!r} (one of {', '.join(LEVELS)}, or empty)")
        if not row.get("level") and not row.get("specialty", "").strip():
            report.fail(path, number, f"{campus_id}: a diploma row needs a level or a specialty")
        _check_url(path, number, where, campus_id, row["source_url"], refused, report)
        key = (
            campus_id,
            row.get("level", ""),
            normalise(row.get("specialty", "")),
            normalise(row.get("establishment", "")),
        )
        if key in seen:
            report.fail(path, number, f"{where}: duplicate diploma (first in row {seen[key]})")
        else:
            seen[key] = number


def _check_url(
    path: Path, number: int, where: str, campus_id: str, url: str, refused: RefusedSources, report: Report
) -> None:
    if not is_web_address(url):
        report.fail(path, number, f"{where}: source_url is not a web address: {url!r}")
        return
    problem = _refused(refused, campus_id, url)
    if problem:
        report.fail(path, number, f"{where}: {problem}")


def _check_history(path: Path, rows: Sequence[Dict[str, str]], ids: Set[str], report: Report) -> None:
    history = {row["old_id"].strip(): row["new_id"].strip() for row in rows}
    for number, row in enumerate(rows, start=2):
        old, new = row["old_id"].strip(), row["new_id"].strip()
        if old in ids:
            report.fail(path, number, f"{old}: an old id is never reused, yet campuses.csv has a campus with it")
        if row.get("change") not in ID_CHANGES:
            report.fail(path, number, f"{old}: unknown change {row.get('change')!r} (one of {', '.join(ID_CHANGES)})")
        if row.get("date") and date_start(row["date"]) is None:
            report.fail(path, number, f"{old}: date is not YYYY, YYYY-MM or YYYY-MM-DD: {row['date']!r}")
        if row.get("source_url") and not is_web_address(row["source_url"]):
            report.fail(path, number, f"{old}: source_url is not a web address: {row['source_url']!r}")
        target, steps = new, {old}
        while target not in ids and target in history and target not in steps:
            steps.add(target)
            target = history[target]
        if target not in ids:
            report.fail(path, number, f"{old}: leads to {new!r}, which is no campus of campuses.csv")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.catalogue_check", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="folder of the campus data files (default: orientation/data)"
    )
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="rehearse a date (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    report = check(args.data_dir, args.today)
    for line in report.problems:
        print(line)
    for line in report.due:
        print(line)
    if report.problems:
        print(f"Campus data: {len(report.problems)} problem(s), {len(report.due)} row(s) due for a new look.")
        return 1
    print(f"Campus data: no problem; {len(report.due)} row(s) due for a new look.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
