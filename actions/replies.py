"""Every sentence of a campus search reply, composed from the search's facts and the domain's
`text_…` responses: the criteria, why each campus matched, the note on the results, the cards and
the details. The search (`orientation/search.py`) returns facts only; this is where they become French.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from orientation.catalogue import Campus
from orientation.places import Place
from orientation.search import Match, Note, NoteKind, Reason, SearchQuery, Why
from orientation.sectors import sector_label
from orientation.text import strip_accents
from orientation.training import levels, offer, training_modes
from orientation.wording import fill

# ---------------------------------------------------------------- French place phrases

_REGION_PHRASES = {
    "Grand Est": "dans le Grand Est",
    "Hauts-de-France": "dans les Hauts-de-France",
    "Pays de la Loire": "dans les Pays de la Loire",
    "La Réunion": "à La Réunion",
    "Mayotte": "à Mayotte",
}
UNCONFIRMED_RESPONSES = {"label": "text_label_to_confirm", "excellence": "text_excellence_to_confirm"}


def _contracted(name: str, with_le: str, with_les: str) -> Optional[str]:
    """French contracts "de"/"à" with a town's article: "Le Mans" -> "du Mans", "Les Abymes" -> "aux Abymes"."""
    lowered = name.lower()
    if lowered.startswith("le "):
        return f"{with_le} {name[3:]}"
    if lowered.startswith("les "):
        return f"{with_les} {name[4:]}"
    return None


def of_place(name: str) -> str:
    """French "de" before a place name: "de Brest", "d'Angers", "du Mans"."""
    elided = strip_accents(name.lower())[:1] in tuple("aeiouy")
    return _contracted(name, "du", "des") or ("d'" if elided else "de ") + name


def at_place(name: str) -> str:
    """French "à" before a town name: "à Brest", "au Havre", "aux Abymes", "à La Rochelle"."""
    return _contracted(name, "au", "aux") or "à " + name


def region_phrase(region: str) -> str:
    """ "en Bretagne", "dans le Grand Est", "à La Réunion"."""
    return _REGION_PHRASES.get(region, f"en {region}")


def offer_name(key: str, with_article: bool = False) -> str:
    """ "l'apprentissage", "un BTS": the words for a training mode or level key."""
    entry = offer(key, {**training_modes(), **levels()})
    return entry.with_article if with_article else entry.name


# ---------------------------------------------------------------- the query


def place_phrase(place: Place) -> str:
    """ "en Bretagne", "près de Brest (29)", "près du Havre (76)", "dans l'académie de Rennes"."""
    if place.kind == "region":
        return fill("text_criteria_region", region=place.label)
    if place.kind == "academie":
        return fill("text_criteria_academie", academie=place.label[0].lower() + place.label[1:])
    return fill("text_criteria_near", of_place=of_place(place.label))


def describe_query(query: SearchQuery) -> str:
    parts = []
    if query.sector:
        parts.append(fill("text_criteria_sector", sector=sector_label(query.sector)))
    if query.place is not None:
        parts.append(place_phrase(query.place))
    if query.excellence:
        parts.append(fill("text_criteria_excellence"))
    if query.mobility:
        parts.append(fill("text_criteria_mobility"))
    return " ".join(parts) if parts else fill("text_criteria_anywhere")


# ---------------------------------------------------------------- why a campus matched


def _km(reason: Reason) -> int:
    return max(1, round(reason.km or 0))


def _elsewhere_text(reason: Reason) -> str:
    where = region_phrase(reason.region or "")
    if reason.km is None or reason.place is None:
        return where
    if reason.place.kind == "commune":
        return fill(
            "text_reason_elsewhere_from", where=where, km=_km(reason), of_place=of_place(reason.place.usual_name)
        )
    return fill("text_reason_elsewhere", where=where, km=_km(reason))


def _to_confirm_text(unconfirmed: Optional[str]) -> str:
    return fill(UNCONFIRMED_RESPONSES.get(unconfirmed or "", "text_label_to_confirm"))


_REASON_TEXTS = {
    Why.SECTOR: lambda r: fill("text_reason_sector", sector=sector_label(r.sector)),
    Why.SAME_SECTOR: lambda r: fill("text_reason_same_sector", sector=sector_label(r.sector)),
    Why.OTHER_SECTOR: lambda r: fill("text_reason_other_sector", sector=sector_label(r.sector)),
    Why.SAME_TOWN: lambda r: at_place(r.place.usual_name),
    Why.DISTANCE: lambda r: fill("text_reason_distance", km=_km(r), of_place=of_place(r.place.usual_name)),
    Why.DEPARTEMENT: lambda r: fill("text_reason_departement", departement=r.place.label),
    Why.DEPARTEMENT_DISTANCE: lambda r: fill("text_reason_departement_distance", km=_km(r), departement=r.place.label),
    Why.ACADEMIE: lambda r: fill("text_reason_academie", of_academie=of_place(r.place.name)),
    Why.REGION: lambda r: region_phrase(r.region or ""),
    Why.ELSEWHERE: _elsewhere_text,
    Why.EXCELLENCE: lambda r: fill("text_reason_excellence"),
    Why.TO_CONFIRM: lambda r: _to_confirm_text(r.unconfirmed),
    Why.MOBILITY: lambda r: fill("text_reason_mobility"),
    Why.OFFERED: lambda r: fill("text_reason_offered", offer=offer_name(r.offer, with_article=True)),
    Why.NOT_KNOWN: lambda r: fill("text_reason_unconfirmed", offer=offer_name(r.offer)),
}


def reason_text(reason: Reason) -> str:
    return _REASON_TEXTS[reason.why](reason)


def reasons_text(match: Match) -> List[str]:
    return [reason_text(reason) for reason in match.reasons]


# ---------------------------------------------------------------- the note on the results


def _wish_words(wish: str) -> str:
    if wish == "excellence":
        return fill("text_note_excellence")
    if wish == "mobility":
        return fill("text_note_mobility")
    return offer_name(wish, with_article=True)


def _no_match_text(note: Note) -> str:
    parts = []
    if note.sector:
        parts.append(fill("text_note_criteria_sector", sector=sector_label(note.sector)))
    if note.overseas:
        parts.append(fill("text_note_overseas"))
    elif note.region:
        parts.append(region_phrase(note.region))
    if note.wishes:
        parts.append(fill("text_note_criteria_with", wishes=", ".join(_wish_words(w) for w in note.wishes)))
    criteria = " ".join(parts)
    return fill("text_note_no_match", criteria=criteria) if criteria else fill("text_note_no_match_any")


def note_text(note: Note) -> str:
    if note.kind is NoteKind.NOTHING:
        return fill("text_note_nothing")
    if note.kind is NoteKind.NO_MATCH:
        return _no_match_text(note)
    asked = " et ".join(offer_name(key, with_article=True) for key in note.asked)
    if note.count > 1:
        return fill("text_note_unconfirmed", count=note.count, asked=asked)
    return fill("text_note_unconfirmed_one", asked=asked)


# ---------------------------------------------------------------- campus cards and details


def campus_title(campus: Campus, excellence_response: str) -> str:
    title = fill(excellence_response, name=campus.name) if campus.confirmed_excellence else campus.name
    if campus.unconfirmed:
        title = fill("text_campus_to_confirm", name=title, to_confirm=_to_confirm_text(campus.unconfirmed))
    return title


def campus_lines(match: Match) -> List[str]:
    campus = match.campus
    where = fill("text_card_where", town=campus.town_name, region=campus.region) if campus.town else campus.region
    lines = [
        campus_title(campus, "text_card_excellence"),
        fill("text_card_sector_where", sector=sector_label(campus.sector), where=where),
    ]
    if match.reasons:
        lines.append(fill("text_card_reasons", reasons=" ; ".join(reasons_text(match))))
    lines.append(
        fill("text_campus_website", url=campus.website)
        if campus.website
        else fill("text_campus_source", url=campus.source_url)
    )
    return lines


def details_button(campus: Campus) -> Dict[str, str]:
    return {
        "title": fill("text_button_details", name=campus.name),
        "payload": f'/campus_details{{"campus":"{campus.id}"}}',
    }


def campus_card(match: Match) -> Dict[str, Any]:
    """The website widget's card: the same lines as text, and the fields it lays out."""
    campus = match.campus
    return {
        "type": "campus_card",
        "id": campus.id,
        "name": campus.name,
        "sector": sector_label(campus.sector),
        "town": campus.town_name,
        "region": campus.region,
        "excellence": campus.confirmed_excellence,
        "to_confirm": _to_confirm_text(campus.unconfirmed) if campus.unconfirmed else None,
        "distance_km": match.distance_km,
        "reasons": reasons_text(match),
        "website": campus.website,
        "source_url": campus.source_url,
        "text": "\n".join(campus_lines(match)),
        "buttons": [details_button(campus)],
    }


def details_text(campus: Campus) -> str:
    lines = [
        campus_title(campus, "text_details_excellence"),
        fill("text_details_sector", sector=sector_label(campus.sector)),
        fill("text_details_region", region=campus.region, academies=", ".join(campus.academie)),
    ]
    lead = ", ".join(part for part in (campus.lead_establishment, campus.town_name) if part)
    if lead:
        lines.append(fill("text_details_lead", lead=lead))
    if campus.training_modes:
        lines.append(fill("text_details_training_modes", modes=", ".join(offer_name(m) for m in campus.training_modes)))
    if campus.levels:
        lines.append(fill("text_details_levels", levels=", ".join(offer_name(lv) for lv in campus.levels)))
    if campus.mobility:
        lines.append(fill("text_details_mobility", mobility=campus.mobility))
    if campus.former_names:
        lines.append(fill("text_details_former_names", names=", ".join(campus.former_names)))
    if campus.website:
        lines.append(fill("text_campus_website", url=campus.website))
    lines.append(fill("text_campus_source", url=campus.source_url))
    return "\n".join(lines)
