"""Every sentence of a campus search reply, composed from the search's facts and the domain's
`text_…` responses: the criteria, why each campus matched, the note on the results, the cards and
the details. The search (`orientation/search.py`) returns facts only; this is where they become French.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from orientation import formations
from orientation.campus_offer import CampusOffer, campus_offer
from orientation.catalogue import Campus
from orientation.places import Place, get_resolver
from orientation.search import (
    Match,
    MemberAt,
    Note,
    NoteKind,
    Reason,
    SearchQuery,
    Why,
    academies_of,
    campus_distance,
    members_by_distance,
)
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
MEMBERS_SHOWN = 4
DIPLOMAS_SHOWN = 6


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
        return (
            region_phrase(place.name)
            if place.name in _REGION_PHRASES
            else fill("text_criteria_region", region=place.label)
        )
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


def member_text(at: MemberAt) -> str:
    """ "Lycée Vauban (Brest, 3 km)", "Lycée Vauban (Brest)"."""
    member = at.member
    if at.distance_km is not None and member.town:
        return fill("text_member_at", name=member.name, town=member.town_name, km=max(1, round(at.distance_km)))
    if member.town:
        return fill("text_member_in", name=member.name, town=member.town_name)
    return member.name


def campus_lines(match: Match, place: Optional[Place] = None) -> List[str]:
    campus = match.campus
    where = fill("text_card_where", town=campus.town_name, region=campus.region) if campus.town else campus.region
    lines = [
        campus_title(campus, "text_card_excellence"),
        fill("text_card_sector_where", sector=sector_label(campus.sector), where=where),
    ]
    if campus.former_names:  # a student may know it by a name it had before a merge
        lines.append(fill("text_card_former_names", names=" ; ".join(campus.former_names)))
    if match.reasons:
        lines.append(fill("text_card_reasons", reasons=" ; ".join(reasons_text(match))))
    nearest = members_by_distance(campus, place)[:1] if place is not None else ()
    if nearest and nearest[0].distance_km is not None:
        lines.append(fill("text_card_nearest_member", member=member_text(nearest[0])))
    lines.append(fill("text_campus_website", url=campus.website) if campus.website else source_line(campus))
    return lines


def source_line(campus: Campus) -> str:
    if campus.shown_source:
        return fill("text_campus_source", url=campus.shown_source)
    return fill("text_campus_no_official_source")


def details_button(campus: Campus) -> Dict[str, str]:
    return {
        "title": fill("text_button_details", name=campus.name),
        "payload": f'/campus_details{{"campus":"{campus.id}"}}',
    }


def campus_card(match: Match, place: Optional[Place] = None) -> Dict[str, Any]:
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
        "source_url": campus.shown_source,
        "text": "\n".join(campus_lines(match, place)),
        "buttons": [details_button(campus)],
    }


def details_text(campus: Campus, place: Optional[Place] = None) -> str:
    lines = [
        campus_title(campus, "text_details_excellence"),
        fill("text_details_sector", sector=sector_label(campus.sector)),
        region_line(campus),
    ]
    if campus.lead_establishment:
        lead = ", ".join(part for part in (campus.lead_establishment, campus.town_name) if part)
        lines.append(fill("text_details_lead", lead=lead))
    elif campus.town_name:  # a town is no establishment: said as the town
        lines.append(fill("text_details_town", town=campus.town_name))
    members = members_by_distance(campus, place)
    if members:
        shown = "; ".join(member_text(at) for at in members[:MEMBERS_SHOWN])
        more = len(members) - MEMBERS_SHOWN
        lines.append(
            fill("text_details_members_more", members=shown, more=more)
            if more > 0
            else fill("text_details_members", members=shown)
        )
    diplomas = [diploma_text(d.level, d.specialty) for d in campus.diplomas]
    if diplomas:
        lines.append(fill("text_details_diplomas", diplomas="; ".join(dict.fromkeys(diplomas[:DIPLOMAS_SHOWN]))))
    lines += offer_lines(campus_offer(campus, place))
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
    lines.append(source_line(campus))
    return "\n".join(lines)


def region_line(campus: Campus) -> str:
    """The région and its académie: the campus's, that of its town, else those of its région."""
    named = academies_of(campus)
    if named:
        return fill("text_details_region", region=campus.region, academies=", ".join(named))
    of_region = get_resolver().academies_of_region(campus.region)
    if of_region:
        return fill("text_details_region", region=campus.region, academies=" ou de ".join(of_region))
    return fill("text_details_region_alone", region=campus.region)


def offer_lines(taught: CampusOffer) -> List[str]:
    """Where the campus's diplomas are prepared: at its members, or in its sector near its seat."""
    if not taught.hits:
        return []
    sources = ", ".join(dict.fromkeys(fill(SOURCE_RESPONSES[source]) for source, _year in taught.sources))
    if taught.kind == "members":
        header = fill("text_details_offer_members", sources=sources)
    else:
        header = fill("text_details_offer_near_seat", at_town=at_place(taught.near), sources=sources)
    lines = [header] + [
        fill(
            "text_formation_hit",
            establishment=hit.establishment.name or hit.establishment.uai,
            where=_hit_where(hit),
            formations=_hit_formations(hit),
        )
        for hit in taught.hits
    ]
    more = taught.total - len(taught.hits)
    if more > 0:
        lines.append(fill("text_details_offer_more", more=more))
    lines.append(fill("text_formations_check", url=check_urls(taught.hits)))
    return lines


def diploma_text(level: str, specialty: str) -> str:
    """ "BTS Systèmes numériques", "Bac pro", "Maintenance aéronautique"."""
    if not level:
        return specialty
    name = offer_name(level)
    return f"{name} {specialty}" if specialty else name


def after_campus(name: str) -> str:
    """The name as it reads after "le campus": "Campus Bois Grand Est" -> "Bois Grand Est"."""
    return name[len("campus ") :] if name.lower().startswith("campus ") else name


def field_answer(campus: Campus, field: Optional[str], place: Optional[Place] = None) -> Optional[str]:
    """The one line answering "ils ont un site ?", "c'est où ?", "il est d'excellence ?", "quels
    lycées près de Brest ?"."""
    name = after_campus(campus.name)
    if field == "members":
        members = members_by_distance(campus, place)[:MEMBERS_SHOWN]
        if not members:
            return fill("text_campus_field_no_members", name=name)
        shown = "; ".join(member_text(at) for at in members)
        if place is not None and members[0].distance_km is not None:
            return fill("text_campus_field_members_near", name=name, of_place=of_place(place.usual_name), members=shown)
        return fill("text_campus_field_members", name=name, members=shown)
    if field == "website":
        if campus.website:
            return fill("text_campus_field_website", name=name, url=campus.website)
        if campus.shown_source:
            return fill("text_campus_field_no_website", name=name, url=campus.shown_source)
        return fill("text_campus_field_no_source", name=name)
    if field == "where":
        if campus.town:
            return fill("text_campus_field_town", name=name, at_town=at_place(campus.town_name), region=campus.region)
        return fill("text_campus_field_no_town", name=name, in_region=region_phrase(campus.region))
    if field == "distance":
        return distance_answer(campus, name, place)
    if field == "excellence":
        if campus.confirmed_excellence:
            return fill("text_campus_field_excellence_yes", name=name)
        if campus.unconfirmed == "excellence":
            return fill("text_campus_field_excellence_to_confirm", name=name)
        if campus.unconfirmed:
            return fill("text_campus_field_excellence_label_to_confirm", name=name)
        return fill("text_campus_field_excellence_no", name=name)
    return None


def distance_answer(campus: Campus, name: str, place: Optional[Place]) -> str:
    """ "Le campus X est à Blagnac, à 9 km de Toulouse. Son établissement membre le plus proche : ..." """
    if place is None:
        return fill("text_campus_field_distance_no_place", name=name)
    km = campus_distance(campus, place)
    nearest = members_by_distance(campus, place)[:1]
    lines = []
    if km is not None:
        km = max(1, round(km))
        at_town = at_place(campus.town_name)
        if place.kind == "commune" and place.insee_code and place.insee_code == campus.insee_code:
            lines.append(fill("text_campus_field_distance_same_town", name=name, at_town=at_town))
        elif place.kind == "commune":
            lines.append(
                fill(
                    "text_campus_field_distance", name=name, at_town=at_town, km=km, of_place=of_place(place.usual_name)
                )
            )
        else:
            lines.append(
                fill(
                    "text_campus_field_distance_departement", name=name, at_town=at_town, km=km, departement=place.name
                )
            )
    if nearest and nearest[0].distance_km is not None:
        lines.append(fill("text_campus_field_distance_member", member=member_text(nearest[0])))
    # A région has no centre to measure from: where the campus is.
    return "\n".join(lines) or field_answer(campus, "where") or ""


# ---------------------------------------------------------------- formations near the user

FORMATIONS_PER_HIT = 2
SPECIALTIES_OFFERED = 6
APPRENTICESHIP = "apprenticeship"


def _base_label(label: str) -> str:
    """ "Électrotechnique - Parcours Marine Nationale" -> "Électrotechnique"."""
    return label.split(" - ")[0].split(" (")[0].strip()


def formation_what(result: formations.SearchResult) -> str:
    """ "BTS Services informatiques aux organisations", "BTS « informatique »", "CAP"."""
    level = offer_name(result.level) if result.level else ""
    labels = {_base_label(s.label) for s in result.match.specialties}
    if len(labels) == 1:
        return f"{level} {labels.pop()}".strip()
    words = " ".join(result.match.words)
    if words:
        return f"{level} « {words} »".strip()
    if result.sector:  # a job, or a diploma and a sector: "BTS du secteur « Numérique »"
        return fill(
            "text_formations_of_sector", level=level or fill("text_formations_any"), sector=sector_label(result.sector)
        )
    return level or fill("text_formations_any")


SOURCE_RESPONSES = {
    "parcoursup_2025": "text_formation_source_parcoursup_2025",
    "parcoursup_2024": "text_formation_source_parcoursup_2024",
    "affelnet_2022": "text_formation_source_affelnet_2022",
}


def _sources_text(result: formations.SearchResult) -> str:
    return ", ".join(dict.fromkeys(fill(SOURCE_RESPONSES[source]) for source, _year in result.sources))


def _hit_where(hit: formations.Hit) -> str:
    home = hit.establishment
    parts = [home.town or fill("text_formation_departement", code=home.departement_code)]
    if hit.distance_km is not None:
        km = max(1, round(hit.distance_km))
        parts.append(f"~{km} km" if hit.distance_approximate else f"{km} km")
    if home.is_public is not None:
        parts.append(fill("text_formation_public" if home.is_public else "text_formation_private"))
    return ", ".join(parts)


def formation_name(formation: formations.Formation) -> str:
    """ "BTS Bâtiment"; "Architecture" once when the specialty repeats the diploma."""
    if formation.specialty.lower().startswith(formation.diploma.lower()):
        return formation.specialty
    return f"{formation.diploma} {formation.specialty}"


def check_urls(hits) -> str:
    """Where the offer of these formations is checked: one address per source."""
    return " ; ".join(dict.fromkeys(f.check_url for hit in hits for f in hit.formations))


def _hit_formations(hit: formations.Hit) -> str:
    names = []
    for formation in hit.formations:
        name = formation_name(formation)
        if formation.mode == APPRENTICESHIP:
            name = fill("text_formation_in_apprenticeship", formation=name)
        names.append(name)
    unique = list(dict.fromkeys(names))
    shown = "; ".join(unique[:FORMATIONS_PER_HIT])
    return shown + (" …" if len(unique) > FORMATIONS_PER_HIT else "")


def formation_hit_text(hit: formations.Hit, campus_of: Dict[str, str]) -> str:
    home = hit.establishment
    name, where, offered = home.name or home.uai, _hit_where(hit), _hit_formations(hit)
    if home.uai in campus_of:
        campus = campus_of[home.uai]
        return fill("text_formation_hit_member", establishment=name, where=where, formations=offered, campus=campus)
    return fill("text_formation_hit", establishment=name, where=where, formations=offered)


def formations_reply(result: formations.SearchResult, campus_of: Dict[str, str]) -> List[Dict[str, Any]]:
    """The messages of a formation search: where the diploma is prepared, nearest first, with the
    year of the data and where to check the current offer; or why nothing is listed."""
    what = formation_what(result)
    near = place_phrase(result.place) if result.place is not None else ""
    if result.no_data:
        return [{"text": fill("text_formations_no_apprenticeship_data", what=what)}]
    if result.unknown_specialty:
        words = " ".join(result.match.unknown_words or result.match.words)
        level = offer_name(result.level) if result.level else ""
        known = result.known_specialties[:SPECIALTIES_OFFERED]
        if not known:
            return [{"text": fill("text_formations_unknown_specialty_none", what=level, words=words)}]
        place_words = f" {result.place.label}" if result.place is not None else ""
        buttons = [{"title": s.label, "payload": f"{offer_name(s.level)} {s.label}{place_words}"} for s in known]
        return [{"text": fill("text_formations_unknown_specialty", what=level, words=words), "buttons": buttons}]
    if not result.hits:
        return [{"text": fill("text_formations_nothing", what=what)}]
    sources = _sources_text(result)
    if result.outside_place:
        header = fill("text_formations_nearest_outside", what=what, near=near, sources=sources)
    elif near:
        header = fill("text_formations_found", what=what, near=near, sources=sources)
    else:
        header = fill("text_formations_found_anywhere", what=what, sources=sources)
    lines = [header[:1].upper() + header[1:]] + [formation_hit_text(hit, campus_of) for hit in result.hits]
    messages = [{"text": "\n".join(lines)}, {"text": fill("text_formations_check", url=check_urls(result.hits))}]
    if any(f.mode == APPRENTICESHIP for hit in result.hits for f in hit.formations):
        messages.append({"text": fill("text_formations_check_apprenticeship")})
    return messages
