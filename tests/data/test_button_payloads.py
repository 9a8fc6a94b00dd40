"""Rasa fills {placeholders} in responses, buttons included: a payload that carries entities as
JSON doubles its braces ("/inform{{...}}"), otherwise Rasa logs an error for every time it is
sent and a slot of that name would be put in its place."""

from __future__ import annotations

import json

import pytest
import yaml
from rasa.core.nlg.interpolator import interpolate_text

from orientation.paths import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
INTENT_PAYLOADS = sorted(
    {
        (name, button["payload"])
        for name, variants in DOMAIN["responses"].items()
        for variant in variants
        for button in variant.get("buttons") or []
        if button["payload"].startswith("/") and "{" in button["payload"]
    }
)


@pytest.mark.unit
def test_the_domain_has_buttons_with_entities():
    assert len(INTENT_PAYLOADS) >= 10


@pytest.mark.unit
@pytest.mark.parametrize("response, payload", INTENT_PAYLOADS)
def test_a_button_with_entities_reaches_the_user_as_rasa_reads_it(response, payload):
    assert payload.count("{{") == 1 and payload.endswith("}}"), f"{response}: write {{{{ and }}}} in {payload}"
    sent = interpolate_text(payload, {"sector": "a slot's value"})
    intent, entities = sent[1:].split("{", 1)
    assert intent.isidentifier() and isinstance(json.loads("{" + entities), dict), (response, sent)
