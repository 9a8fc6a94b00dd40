"""Speed of place resolution and campus search, in-process.

    python -m bot.bench_search            # prints p50 / p95 / max per operation
    python -m bot.bench_search --check    # exits 1 when a target is missed

Targets: resolution p95 < 5 ms, search p95 < 2 ms (after the one-off loading, also shown).
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from typing import Callable, Dict, List, Sequence

from actions.catalogue import SECTOR_LABELS, load_catalogue
from actions.places import get_resolver, resolve_place
from actions.search import SearchQuery, search

TARGET_P95_MS = {"resolve_place": 5.0, "search": 2.0}

# What users type: exact names, accents missing, prefixes, numbers, postcodes, regions,
# académies, homonyms, typos and unknown places (the slow path: fuzzy matching).
PLACE_QUERIES = [
    "Brest", "à Rennes", "près de Lyon", "vers Nantes", "Saint-Denis", "St Etienne", "Ste Maxime",
    "orleans", "Besancon", "Le Havre", "les sables d'olonne", "Lyon 3e", "Aix", "Boulogne",
    "le 35", "29", "2A", "971", "dans le Finistère", "en Vienne", "Mayenne",
    "29200", "29200 Brest", "75015", "93066", "Saint-Denis (93)", "Saint-Denis de la Réunion",
    "Bretagne", "PACA", "AURA", "IDF", "BFC", "la Réunion", "Nouvelle Aquitaine", "grand est",
    "académie de Rennes", "academie d'aix marseille", "outre-mer",
    "Renes", "brst", "Marseile", "Montpelier", "Bordeau", "Strasbourgg", "Lanion", "quimpr",
    "toulousse", "Grenobl", "Villeurbane", "bretange", "finistaire", "Kimper",
    "Brest-Ville-Basse", "Xyzzyville", "Bruxelles Belgique", "qqqqqqqq",
]
SEARCH_PLACES = ["Brest", "Lyon", "29", "Bretagne", "Occitanie", "académie de Rennes", "outre-mer",
                 "Ajaccio"]


def percentile(samples_ms: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples_ms)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1e6


def search_queries() -> List[SearchQuery]:
    places = [resolve_place(text).place for text in SEARCH_PLACES]
    sectors = [None, *SECTOR_LABELS]
    queries = [SearchQuery(sector=sector, place=place) for sector, place in itertools.product(sectors, places)]
    queries += [
        SearchQuery(excellence=True), SearchQuery(mobility=True),
        SearchQuery(training_mode="apprenticeship", level="bts"),
        SearchQuery(sector="digital_telecommunications", region="Bretagne", excellence=True),
    ]
    return queries


def run(rounds: int) -> Dict[str, Dict[str, float]]:
    figures: Dict[str, Dict[str, float]] = {}
    figures["load"] = {
        "places_ms": timed(get_resolver),
        "catalogue_ms": timed(load_catalogue),
    }
    catalogue = load_catalogue()
    queries = search_queries()
    samples = {
        "resolve_place": [timed(lambda q=q: resolve_place(q)) for _ in range(rounds) for q in PLACE_QUERIES],
        "search": [timed(lambda q=q: search(catalogue, q)) for _ in range(rounds) for q in queries],
    }
    for name, values in samples.items():
        figures[name] = {
            "count": len(values),
            "p50_ms": statistics.median(values),
            "p95_ms": percentile(values, 0.95),
            "max_ms": max(values),
        }
    figures["catalogue"] = {"campuses": len(catalogue), "search_queries": len(queries),
                            "place_queries": len(PLACE_QUERIES)}
    return figures


def report(figures: Dict[str, Dict[str, float]]) -> List[str]:
    """Prints the figures; returns the missed targets."""
    load = figures["load"]
    print(f"one-off loading: places {load['places_ms']:.0f} ms, catalogue {load['catalogue_ms']:.0f} ms "
          f"({figures['catalogue']['campuses']} campuses)")
    print(f"{'operation':<15}{'calls':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'target p95':>12}")
    missed = []
    for name, target in TARGET_P95_MS.items():
        row = figures[name]
        ok = row["p95_ms"] < target
        if not ok:
            missed.append(f"{name} p95 {row['p95_ms']:.2f} ms >= {target} ms")
        print(f"{name:<15}{row['count']:>8}{row['p50_ms']:>10.3f}{row['p95_ms']:>10.3f}"
              f"{row['max_ms']:>10.2f}{'< ' + str(target):>10} {'ok' if ok else 'MISSED'}")
    return missed


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="times each query is repeated")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(list(argv))
    figures = run(max(args.rounds, 1))
    missed = report(figures)
    if args.json:
        print(json.dumps(figures, indent=2))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
