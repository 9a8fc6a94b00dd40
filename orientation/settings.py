"""The school's settings (school.yml): name, default region, counsellor contact, catalogue source,
web origins and widget, retention, counsellor view. The only reader of that file.

load_settings() reads it once per process; read_settings(path) reads a given file now.
SCHOOL_SETTINGS may point to another file (tests, other schools).
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from orientation.paths import SCHOOL_SETTINGS_PATH

logger = logging.getLogger(__name__)

DEFAULT_SETTINGS_PATH = SCHOOL_SETTINGS_PATH

ONISEP_SERVICE = {
    "name": "Mon orientation en ligne (Onisep)",
    "url": "https://www.monorientationenligne.fr",
}


@dataclass(frozen=True)
class Counsellor:
    name: str = ""
    email: str = ""
    phone: str = ""
    hours: str = ""
    booking_url: str = ""

    @property
    def is_reachable(self) -> bool:
        return bool(self.email or self.phone or self.booking_url)


@dataclass(frozen=True)
class WidgetSettings:
    lang: str = "fr"
    primary_color: str = "#1f4e8c"
    on_primary_color: str = "#ffffff"


@dataclass(frozen=True)
class SchoolSettings:
    school_name: str = "votre établissement"
    default_region: Optional[str] = None
    counsellor: Counsellor = field(default_factory=Counsellor)
    national_service: Dict[str, str] = field(default_factory=lambda: dict(ONISEP_SERVICE))
    catalogue_source: Dict[str, Any] = field(default_factory=dict)
    allowed_origins: tuple = ()
    retention_days: int = 30
    widget: WidgetSettings = field(default_factory=WidgetSettings)
    counsellor_token_file: Optional[str] = None


def settings_path() -> Path:
    return Path(os.environ.get("SCHOOL_SETTINGS", DEFAULT_SETTINGS_PATH))


def parse_settings(raw: Dict[str, Any]) -> SchoolSettings:
    school = raw.get("school") or {}
    counsellor = raw.get("counsellor") or {}
    national = raw.get("national_service") or {}
    web = raw.get("web") or {}
    widget = web.get("widget") or {}
    colors = widget.get("colors") or {}
    catalogue_source = raw.get("catalogue_source") or {}
    if not isinstance(catalogue_source, dict):
        logger.warning("catalogue_source of the school settings is not a mapping: embedded catalogue only.")
        catalogue_source = {}
    return SchoolSettings(
        school_name=school.get("name") or SchoolSettings.school_name,
        default_region=school.get("default_region") or None,
        counsellor=Counsellor(
            **{k: str(v or "") for k, v in counsellor.items() if k in Counsellor.__dataclass_fields__}
        ),
        national_service={**ONISEP_SERVICE, **{k: v for k, v in national.items() if v}},
        catalogue_source=catalogue_source,
        allowed_origins=tuple(web.get("allowed_origins") or ()),
        retention_days=int((raw.get("privacy") or {}).get("retention_days") or 30),
        widget=WidgetSettings(
            lang=str(widget.get("lang") or WidgetSettings.lang),
            primary_color=str(colors.get("primary") or WidgetSettings.primary_color),
            on_primary_color=str(colors.get("on_primary") or WidgetSettings.on_primary_color),
        ),
        counsellor_token_file=(raw.get("counsellor_view") or {}).get("token_file") or None,
    )


def read_settings(path: Path) -> SchoolSettings:
    """Settings from a school file; a missing or broken file falls back to safe defaults."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        logger.warning("School settings unreadable (%s): using defaults.", error)
        raw = {}
    return parse_settings(raw if isinstance(raw, dict) else {})


@functools.lru_cache(maxsize=1)
def load_settings() -> SchoolSettings:
    """The settings of this process (school.yml, or the file SCHOOL_SETTINGS names)."""
    return read_settings(settings_path())
