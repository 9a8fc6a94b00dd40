"""An FAQ answer past the date its rule is known to hold is still given, with a warning."""

import asyncio
import datetime as dt
import os

from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.nlg import DatedAnswersGenerator, french_date

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
responses:
  utter_faq_apprenticeship/aid_employer:
    - text: "L'employeur reçoit une aide.\\nEn savoir plus : https://entreprendre.service-public.gouv.fr/vosdroits/F23556"
  utter_faq_vae/steps:
    - text: "Trois étapes."
  utter_greet:
    - text: "Bonjour !"
"""
)


def register(tmp_path, valid_until: dt.date):
    path = tmp_path / "answers.yml"
    path.write_text(
        "answers:\n"
        "  faq_apprenticeship/aid_employer:\n"
        "    checked: 2026-12-01\n"
        f"    valid_until: {valid_until.isoformat()}\n"
        "    sources:\n"
        "      - url: https://entreprendre.service-public.gouv.fr/vosdroits/F23556\n"
        "  faq_vae/steps:\n"
        "    checked: 2026-12-01\n"
        "    sources:\n"
        "      - url: https://vae.gouv.fr/\n",
        encoding="utf-8",
    )
    return path


def said(generator, action: str) -> str:
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    return asyncio.run(generator.generate(action, tracker, "rest"))["text"]


def generator_for(path) -> DatedAnswersGenerator:
    return DatedAnswersGenerator(EndpointConfig(type="bot.nlg.DatedAnswersGenerator", register=str(path)), DOMAIN)


def test_an_answer_past_its_date_gets_one_line_saying_when_and_where_to_check(tmp_path):
    yesterday = dt.date.today() - dt.timedelta(days=1)
    text = said(generator_for(register(tmp_path, yesterday)), "utter_faq_apprenticeship/aid_employer")
    assert text.startswith("L'employeur reçoit une aide.")
    assert text.endswith(
        f"Cette règle a pu changer le {french_date(dt.date.today())} : vérifiez sur "
        "https://entreprendre.service-public.gouv.fr/vosdroits/F23556"
    )


def test_an_answer_still_valid_or_undated_and_other_responses_are_unchanged(tmp_path):
    generator = generator_for(register(tmp_path, dt.date.today()))
    assert "Cette règle" not in said(generator, "utter_faq_apprenticeship/aid_employer")
    assert said(generator, "utter_faq_vae/steps") == "Trois étapes."
    assert said(generator, "utter_greet") == "Bonjour !"


def test_a_reviewed_register_is_read_again_without_a_restart(tmp_path):
    path = register(tmp_path, dt.date.today() - dt.timedelta(days=3))
    generator = generator_for(path)
    assert "Cette règle" in said(generator, "utter_faq_apprenticeship/aid_employer")
    register(tmp_path, dt.date.today() + dt.timedelta(days=300))
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert "Cette règle" not in said(generator, "utter_faq_apprenticeship/aid_employer")


def test_an_unreadable_register_warns_of_nothing_but_answers(tmp_path):
    broken = tmp_path / "answers.yml"
    broken.write_text("answers: [unclosed", encoding="utf-8")
    assert said(generator_for(broken), "utter_faq_vae/steps") == "Trois étapes."


def test_dates_in_french():
    assert french_date(dt.date(2027, 1, 1)) == "1er janvier 2027"
    assert french_date(dt.date(2026, 12, 31)) == "31 décembre 2026"


def test_the_assistant_warns_on_an_answer_past_its_date(trained_model, tmp_path):
    """Rasa loads the generator of the endpoints file and says the line after the FAQ answer."""
    import yaml
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    from bot.nlg import REGISTER_PATH

    content = yaml.safe_load(REGISTER_PATH.read_text(encoding="utf-8"))
    content["answers"]["faq_vae/what_is"]["valid_until"] = dt.date.today() - dt.timedelta(days=1)
    register = tmp_path / "answers.yml"
    register.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"nlg:\n  type: bot.nlg.DatedAnswersGenerator\n  register: {register}\n", encoding="utf-8")

    async def ask() -> list:
        agent = await load_agent(str(trained_model), endpoints=AvailableEndpoints.read_endpoints(str(endpoints)))
        return await agent.handle_text("c'est quoi la VAE exactement ?", sender_id="nlg-test")

    replies = asyncio.run(ask())
    text = "\n".join(reply.get("text") or "" for reply in replies)
    assert f"Cette règle a pu changer le {french_date(dt.date.today())} : vérifiez sur" in text
