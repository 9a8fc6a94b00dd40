"""`make catalogue-check`: the real campus data passes; each kind of failure is shown on a small bad
copy of the data files (tmp_path), one line naming file, row and problem; the rows due for a new
look are listed without failing."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from ops.catalogue_check import check, main
from orientation.catalogue import (
    CATALOGUE_CSV,
    DIPLOMAS_CSV,
    ID_HISTORY_CSV,
    MEMBERS_CSV,
    REFUSED_DOMAINS_YML,
    CatalogueFileError,
    read_rows,
)
from orientation.paths import PROJECT_ROOT

TODAY = "2026-12-15"
LANNION = "bretagne-numerique-photonique"
FILES = (CATALOGUE_CSV, MEMBERS_CSV, DIPLOMAS_CSV, ID_HISTORY_CSV, REFUSED_DOMAINS_YML)


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    """A copy of the real data files to spoil."""
    for path in FILES:
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def rows_of(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: List[Dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def edit(path: Path, change: Callable[[List[Dict[str, str]]], None]) -> None:
    rows = rows_of(path)
    change(rows)
    write_rows(path, rows)


def campus(rows: List[Dict[str, str]], campus_id: str = LANNION) -> Dict[str, str]:
    return next(row for row in rows if row["id"] == campus_id)


def problems(data: Path) -> List[str]:
    return check(data, today=__import__("datetime").date.fromisoformat(TODAY)).problems


def test_the_real_data_passes(capsys):
    assert main(["--today", TODAY]) == 0
    out = capsys.readouterr().out
    assert "Campus data: no problem" in out
    assert "due for a new look" in out  # old sources are listed, not failed


def test_the_command_runs_as_a_module_with_its_exit_code(data):
    edit(data / CATALOGUE_CSV.name, lambda rows: campus(rows).update(sector="space_tourism"))
    result = subprocess.run(
        [sys.executable, "-m", "ops.catalogue_check", "--data-dir", str(data), "--today", TODAY],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "campuses.csv, row " in result.stdout and "unknown sector: 'space_tourism'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda r: campus(r).update(source_url=""), "empty field: source_url"),
        (lambda r: campus(r).update(source_url="voir le site"), "source_url is not a web address"),
        (lambda r: campus(r).update(website="http://contact@ac-rennes.fr/page"), "website is not a web address"),
        (
            lambda r: campus(r).update(other_sources="https://docplayer.fr/123-copie.html", source_dates=";"),
            "refused source domain docplayer.fr",
        ),
        (
            lambda r: campus(r).update(source_url="https://fr.readkong.com/page/x", source_dates=""),
            "refused source domain readkong.com",
        ),
        (lambda r: campus(r).update(sector="space_tourism"), "unknown sector"),
        (lambda r: campus(r).update(lead_establishment="Lannion"), "lead_establishment is a town"),
        (lambda r: campus(r).update(lead_establishment="Le Mans"), "lead_establishment is a town"),
        (lambda r: campus(r).update(source_dates="2020"), "source_dates has 1 dates for"),
        (lambda r: campus(r).update(label_end="bientôt"), "label_end is not a date"),
        (lambda r: r.append(dict(campus(r))), "duplicate id"),
        (
            lambda r: campus(r, "pdl-auto-mobilites").update(unconfirmed=""),
            "kept only on a row marked unconfirmed=label",
        ),
    ],
)
def test_campus_row_failures(data, change, expected):
    edit(data / CATALOGUE_CSV.name, change)
    found = problems(data)
    assert any(expected in line and "campuses.csv, row " in line for line in found), found


def member(**values) -> Dict[str, str]:
    row = {
        "campus_id": LANNION,
        "name": "Lycée Félix Le Dantec",
        "town": "Lannion",
        "insee_code": "22113",
        "kind": "lycée",
        "uai": "0220023F",
        "source_url": "https://www.univ-rennes1.fr/actualites/lannion",
    }
    return {**row, **values}


@pytest.mark.parametrize(
    "extra, expected",
    [
        (member(town="", insee_code=""), "member without a town"),
        (member(town="Lanion-sur-Mer", insee_code="99999"), "is not in geo/communes.csv"),
        (member(town="Brest"), "INSEE code 22113 is Lannion, not 'Brest'"),
        (member(campus_id="bretagne-no-such-campus"), "no campus with id 'bretagne-no-such-campus'"),
        (member(kind="school"), "unknown kind"),
        (member(uai="22-0023"), "malformed UAI"),
        (member(source_url="www.example"), "source_url is not a web address"),
        (member(source_url="http://blog.unblog.fr/campus"), "refused source domain unblog.fr"),
    ],
)
def test_member_failures(data, extra, expected):
    edit(data / MEMBERS_CSV.name, lambda rows: rows.append(extra))
    found = problems(data)
    assert any("campus_members.csv, row " in line and expected in line for line in found), found


def test_a_duplicate_member_fails(data):
    edit(data / MEMBERS_CSV.name, lambda rows: rows.append(dict(next(r for r in rows if r["campus_id"] == LANNION))))
    assert any("campus_members.csv" in line and "duplicate member" in line for line in problems(data))


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({"campus_id": "no-such-campus", "level": "bts", "specialty": "X"}, "no campus with id 'no-such-campus'"),
        ({"campus_id": LANNION, "level": "bac+2", "specialty": "X"}, "unknown level"),
        ({"campus_id": LANNION, "level": "", "specialty": ""}, "needs a level or a specialty"),
        (
            {"campus_id": LANNION, "level": "bts", "specialty": "X", "source_url": "https://frdocs.com/doc/1"},
            "refused source domain frdocs.com",
        ),
    ],
)
def test_diploma_failures(data, extra, expected):
    row = {
        "campus_id": "",
        "level": "",
        "specialty": "",
        "establishment": "",
        "source_url": "https://www.univ-rennes1.fr/x",
        **extra,
    }
    edit(data / DIPLOMAS_CSV.name, lambda rows: rows.append(row))
    found = problems(data)
    assert any("campus_diplomas.csv, row " in line and expected in line for line in found), found


def test_id_history_failures(data):
    def spoil(rows):
        rows.append(
            {"old_id": LANNION, "new_id": "normandie-ceine", "change": "merged", "date": "2020", "source_url": ""}
        )
        rows.append({"old_id": "old-campus", "new_id": "nowhere", "change": "moved", "date": "", "source_url": ""})

    edit(data / ID_HISTORY_CSV.name, spoil)
    found = problems(data)
    assert any("an old id is never reused" in line for line in found), found
    assert any("leads to 'nowhere'" in line for line in found) and any(
        "unknown change 'moved'" in line for line in found
    )


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"id,name\nx,y\n", "bad header (missing columns:"),
        (None, "fields where the header has"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    ],
)
def test_an_unreadable_file_is_one_line_naming_file_and_row(data, content, expected):
    path = data / CATALOGUE_CSV.name
    if content is None:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("one,two,three\n")
    else:
        path.write_bytes(content)
    found = problems(data)
    assert len(found) == 1 and found[0].startswith(f"{path}, row ") and expected in found[0], found
    with pytest.raises(CatalogueFileError) as raised:
        read_rows(path)
    assert str(raised.value) == found[0]  # the loader refuses the file with the same line


def test_rows_due_for_a_new_look_do_not_fail(data):
    def age(rows):
        row = campus(rows)
        row.update(source_dates=";".join("2019" for _ in row["source_dates"].split(";")), label_end="2025-06")

    edit(data / CATALOGUE_CSV.name, age)
    report = check(data, today=__import__("datetime").date.fromisoformat(TODAY))
    assert report.problems == []
    mine = [line for line in report.due if LANNION in line]
    assert any("newest source of 2019-12, more than 3 years ago" in line for line in mine), mine
    assert any("label end date 2025-06 has passed" in line for line in mine), mine


def test_the_refused_domains_are_in_the_data():
    from orientation.catalogue import refused_source_domains

    domains = set(refused_source_domains())
    assert {"lmd.hastone-be.fr", "frdocs.com", "docplayer.fr", "readkong.com", "unblog.fr"} <= domains
    for row in read_rows():
        for url in [row["source_url"], *row["other_sources"].split(";"), row["website"]]:
            assert "docplayer.fr" not in url and "unblog.fr" not in url, (row["id"], url)
