"""Speed of place resolution, campus search, job matching, the training offer and personal-data
masking, in-process.

    python -m devtools.bench_search            # prints p50 / p95 / max per operation
    python -m devtools.bench_search --check    # exits 1 when a target is missed

Targets: resolution p95 < 5 ms, search p95 < 2 ms, job matching p95 < 5 ms (after the one-off
loading, also shown, with the size of the job index), reading the specialty of a request and
searching the formations p95 < 10 ms each, a campus's offer (its members' formations) p95 < 10 ms,
masking a 1,000-character message p95 < 2 ms (bot.privacy, run by the chat channels on every
message).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import statistics
import sys
import time
import tracemalloc
from typing import Any, Callable, Dict, List, Sequence, Tuple

from bot.privacy import mask_personal_data
from orientation import formations, jobs
from orientation.campus_offer import campus_offer
from orientation.catalogue import SECTOR_LABELS, load_catalogue
from orientation.places import get_resolver, resolve_place
from orientation.search import SearchQuery, search

TARGET_P95_MS = {
    "resolve_place": 5.0,
    "search": 2.0,
    "find_jobs": 5.0,
    "resolve_job": 5.0,
    "find_specialty": 10.0,
    "formation_search": 10.0,
    "campus_offer": 10.0,
    "mask_message": 2.0,
}

# What users type: exact names, accents missing, prefixes, numbers, postcodes, regions,
# académies, homonyms, typos and unknown places (the slow path: fuzzy matching).
PLACE_QUERIES = [
    "Brest",
    "à Rennes",
    "près de Lyon",
    "vers Nantes",
    "Saint-Denis",
    "St Etienne",
    "Ste Maxime",
    "orleans",
    "Besancon",
    "Le Havre",
    "les sables d'olonne",
    "Lyon 3e",
    "Aix",
    "Boulogne",
    "le 35",
    "29",
    "2A",
    "971",
    "dans le Finistère",
    "en Vienne",
    "Mayenne",
    "29200",
    "29200 Brest",
    "75015",
    "93066",
    "Saint-Denis (93)",
    "Saint-Denis de la Réunion",
    "Bretagne",
    "PACA",
    "AURA",
    "IDF",
    "BFC",
    "la Réunion",
    "Nouvelle Aquitaine",
    "grand est",
    "académie de Rennes",
    "academie d'aix marseille",
    "outre-mer",
    "Renes",
    "brst",
    "Marseile",
    "Montpelier",
    "Bordeau",
    "Strasbourgg",
    "Lanion",
    "quimpr",
    "toulousse",
    "Grenobl",
    "Villeurbane",
    "bretange",
    "finistaire",
    "Kimper",
    "Brest-Ville-Basse",
    "Xyzzyville",
    "Bruxelles Belgique",
    "qqqqqqqq",
]
# Sentences students and parents write (10-25 words): jobs with typos, feminine forms, plurals,
# short forms, and sentences naming no job at all.
JOB_SENTENCES = [
    "bonjour je voudrais devenir fleuriste plus tard, quelles formations existent près de chez moi ?",
    "mon fils voudrait être mécanicien moto après sa troisième, il cherche un CAP en alternance",
    "plâtrier ça me plairait bien mais je ne sais pas quel campus choisir en Bretagne",
    "je veux devenir infographist ou developpeur web, est-ce qu'il y a un BTS à Rennes ?",
    "ma fille est en seconde et elle veut être infirmière ou aide-soignante, c'est possible ?",
    "les boulangers et les pâtissiers se forment où dans la région de Saint-Nazaire ?",
    "j'hésite entre chauffeuse de bus et conductrice de train, quel campus me conseillez-vous ?",
    "je cherche un campus en Bretagne pour faire un bac pro dans le numérique",
    "c'est quoi la VAE et est-ce que je peux la faire pendant mon contrat ?",
    "je veux parler à un conseiller pour savoir combien gagne un apprenti en première année",
    "je suis en terminale et j'aimerais travailler dans l'aéronautique comme technicien de maintenance avion",
    "quels sont les débouchés pour un soudeur ou un chaudronnier dans l'industrie navale à Brest ?",
]
JOB_NAMES = [
    "fleuriste",
    "Plâtrier",
    "platrier",
    "mecanicien moto",
    "infirmière",
    "infographist",
    "boulangère",
    "développeur web",
    "chauffeuse",
    "aide soignant",
    "électricien du bâtiment",
    "cuisinier",
    "technicien",
    "conseiller",
    "xyzzy",
]
# Messages of the longest length the channels accept (1,000 characters): one full of personal data
# of every kind, one with none (the common case, where every pattern scans the whole text).
MASKING_LENGTH = 1000
MASKING_MESSAGES = [
    (text + " À bientôt, merci encore.")[:MASKING_LENGTH]
    for text in (
        (
            "Bonjour, je m'appelle Léa Martin, née le 14/03/2008, j'ai 17 ans et je suis en terminale. J'habite "
            "12 rue des Lilas 35000 Rennes. Je voudrais un BTS SIO en alternance vers Brest (29) ou dans le 35, ou un "
            "bac pro MELEC à Lorient. Vous pouvez me joindre au 06 12 34 56 78 ou par mail lea.martin@example.com, "
            "ma mère préfère le 02.99.12.34.56 le soir. Mon INE est 0701234567K, mon numéro de sécu "
            "2 85 05 78 006 084 41 et mon IBAN FR76 3000 4012 3400 0123 4567 862 pour l'aide à la mobilité. "
            "Est-ce que les portes ouvertes du 12 mars 2026 sont ouvertes aux parents ? Mon frère a fait un CAP "
            "cuisine en 2022 au campus de Quimper et il a adoré, il dit que l'apprentissage c'est top pour trouver "
            "un emploi. Je cherche aussi des infos sur Erasmus+ pour partir en Irlande pendant la formation, et sur "
            "les aides régionales. Ma cousine lea point durand arobase gmail point com voudrait aussi des infos, "
            "moi c'est surtout le numérique. Merci beaucoup pour votre réponse, bonne journée à toute l'équipe !!"
        ),
        (
            "bonjour, je suis en seconde pro et je voudrais savoir quelles formations existent après un bac pro "
            "dans le numérique ou l'électronique, si possible en alternance, vers Rennes, Brest ou Saint-Brieuc. "
            "Mon fils a 16 ans, il hésite entre un CAP et un bac pro, et on se demande s'il peut changer de voie "
            "en cours d'année. Est-ce que le campus des métiers de la mer à Lorient propose des stages à "
            "l'étranger avec Erasmus+ ? Les portes ouvertes du 12 mars, c'est pour tout le monde ? Et la VAE, "
            "est-ce que je peux la faire pendant mon contrat, après 3 ans d'expérience ? On habite dans le 29, "
            "près de Quimper, et le lycée le plus proche est à 40 minutes en car. Je suis intéressée par les "
            "métiers de l'énergie, du bâtiment ou de l'industrie, et ma fille aimerait faire de la coiffure ou de "
            "l'esthétique en 2027. Quelles sont les aides pour le permis, le logement et le premier équipement "
            "pour les apprentis ? Et combien gagne un apprenti en première année de BTS, en 2026 ? Merci d'avance"
        ),
    )
]
# Formation requests as typed (the specialty is read from the whole sentence), then searched near
# the place with the level and training mode the NLU would give.
FORMATION_REQUESTS = [
    ("je veux faire un BTS SIO près de Brest", "bts", "Brest", None),
    ("un bts informatique pres de quimper", "bts", "Quimper", None),
    ("BUT génie électrique à Nancy", "but", "Nancy", None),
    ("quel BTS après un bac pro cuisine vers Lyon ?", "bts", "Lyon", None),
    ("un CAP cuisine près de Tours", "cap", "Tours", None),
    ("bac pro maintenance des véhicules dans le 35", "bac_pro", "35", None),
    ("BTS en alternance en électrotechnique vers Lyon", "bts", "Lyon", "apprenticeship"),
    ("licence de psycho à Rennes", "licence", "Rennes", None),
    ("une prépa MPSI en Bretagne", "cpge", "Bretagne", None),
    ("DN MADE graphisme en Occitanie", "dn_made", "Occitanie", None),
    ("je cherche un BTS MCO en alternance à Marseille", "bts", "Marseille", "apprenticeship"),
    ("BTS astronaute à Paris", "bts", "Paris", None),
    ("une formation en mécanique auto", None, None, None),
    (
        "bonjour, mon fils voudrait faire un bac pro électricien près de Saint-Denis de la Réunion",
        "bac_pro",
        "Saint-Denis de la Réunion",
        None,
    ),
]
SEARCH_PLACES = ["Brest", "Lyon", "29", "Bretagne", "Occitanie", "académie de Rennes", "outre-mer", "Ajaccio"]


def percentile(samples_ms: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples_ms)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1e6


def resolve_afresh(text: str) -> Any:
    return get_resolver()._resolve(" ".join(text.split()))


def search_queries() -> List[SearchQuery]:
    places = [resolve_place(text).place for text in SEARCH_PLACES]
    sectors = [None, *SECTOR_LABELS]
    queries = [SearchQuery(sector=sector, place=place) for sector, place in itertools.product(sectors, places)]
    queries += [
        SearchQuery(excellence=True),
        SearchQuery(mobility=True),
        SearchQuery(training_mode="apprenticeship", level="bts"),
        SearchQuery(sector="digital_telecommunications", region="Bretagne", excellence=True),
    ]
    return queries


def job_index_load() -> Tuple[float, float]:
    """(loading time in ms, memory a loaded job index holds in MB, measured on a second copy:
    tracemalloc slows loading down several times)."""
    load_ms = timed(jobs.get_index)
    tracemalloc.start()
    started = tracemalloc.get_traced_memory()[0]
    index = jobs.JobIndex(jobs.load_titles.__wrapped__())  # noqa: F841 - alive while its memory is measured
    size_mb = (tracemalloc.get_traced_memory()[0] - started) / 1e6
    tracemalloc.stop()
    return load_ms, size_mb


def run(rounds: int) -> Dict[str, Dict[str, float]]:
    figures: Dict[str, Dict[str, float]] = {}
    figures["load"] = {
        "places_ms": timed(get_resolver),
        "catalogue_ms": timed(load_catalogue),
    }
    figures["load"]["jobs_ms"], figures["load"]["jobs_mb"] = job_index_load()
    figures["load"]["offer_ms"] = timed(formations.get_offer)
    catalogue = load_catalogue()
    queries = search_queries()
    requests = [
        (text, level, resolve_place(place).place if place else None, mode)
        for text, level, place, mode in FORMATION_REQUESTS
    ]
    specialties = [formations.find_specialty(text, level) for text, level, _, _ in requests]
    searches = [
        functools.partial(formations.search, " ".join(match.words) or None, match.level or level, place, None, mode)
        for match, (_, level, place, mode) in zip(specialties, requests)
    ]
    campus_places = [None, *(resolve_place(text).place for text in SEARCH_PLACES[:3])]
    samples = {
        # Without the resolver's memory of texts already resolved: the cost of a new text.
        "resolve_place": [timed(functools.partial(resolve_afresh, q)) for _ in range(rounds) for q in PLACE_QUERIES],
        "search": [timed(functools.partial(search, catalogue, q)) for _ in range(rounds) for q in queries],
        "find_jobs": [timed(functools.partial(jobs.find_jobs, t)) for _ in range(rounds) for t in JOB_SENTENCES],
        "resolve_job": [timed(functools.partial(jobs.resolve_job, n)) for _ in range(rounds) for n in JOB_NAMES],
        "find_specialty": [
            timed(functools.partial(formations.find_specialty, text, level))
            for _ in range(rounds)
            for text, level, _, _ in requests
        ],
        "formation_search": [timed(call) for _ in range(rounds) for call in searches],
        "campus_offer": [
            timed(functools.partial(campus_offer, campus, place))
            for campus in catalogue.campuses
            for place in campus_places
        ],
        "mask_message": [
            timed(functools.partial(mask_personal_data, m)) for _ in range(rounds * 20) for m in MASKING_MESSAGES
        ],
    }
    for name, values in samples.items():
        figures[name] = {
            "count": len(values),
            "p50_ms": statistics.median(values),
            "p95_ms": percentile(values, 0.95),
            "max_ms": max(values),
        }
    figures["catalogue"] = {
        "campuses": len(catalogue),
        "search_queries": len(queries),
        "place_queries": len(PLACE_QUERIES),
    }
    return figures


def report(figures: Dict[str, Dict[str, float]]) -> List[str]:
    """Prints the figures; returns the missed targets."""
    load = figures["load"]
    print(
        f"one-off loading: places {load['places_ms']:.0f} ms, catalogue {load['catalogue_ms']:.0f} ms "
        f"({figures['catalogue']['campuses']} campuses), jobs {load['jobs_ms']:.0f} ms "
        f"(index {load['jobs_mb']:.1f} MB, tracemalloc), formations {load['offer_ms']:.0f} ms"
    )
    print(f"{'operation':<15}{'calls':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'target p95':>12}")
    missed = []
    for name, target in TARGET_P95_MS.items():
        row = figures[name]
        ok = row["p95_ms"] < target
        if not ok:
            missed.append(f"{name} p95 {row['p95_ms']:.2f} ms >= {target} ms")
        print(
            f"{name:<15}{row['count']:>8}{row['p50_ms']:>10.3f}{row['p95_ms']:>10.3f}"
            f"{row['max_ms']:>10.2f}{'< ' + str(target):>10} {'ok' if ok else 'MISSED'}"
        )
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
