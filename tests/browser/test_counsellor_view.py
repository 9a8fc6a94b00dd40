"""The counsellor view of the widget: with the access token, what was understood shows under each
reply; a visitor never sees it; a wrong token is refused; the page stays accessible."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import COUNSELLOR_TOKEN, ChatWidget
from tests.browser.test_chat_widget import run_axe

FAQ_QUESTION = "c'est quoi la VAE ?"


def open_counsellor_view(page: Page, site_url: str) -> ChatWidget:
    page.goto(site_url + "#counsellor")
    page.reload()  # a change of hash alone does not reload the page
    chat = ChatWidget(page)
    chat.open()
    return chat


def enter_token(page: Page, token: str) -> None:
    page.get_by_label("Code d'accès conseiller").fill(token)
    page.get_by_role("button", name="Activer").click()


def test_a_counsellor_sees_what_was_understood_under_each_reply(page, site):
    chat = open_counsellor_view(page, site.url)
    enter_token(page, COUNSELLOR_TOKEN)
    expect(page.locator(".cmq-counsellor-state")).to_contain_text("Vue conseiller active")
    chat.ask(FAQ_QUESTION)
    panel = page.locator(".cmq-understanding").last
    expect(panel).to_be_visible()
    expect(panel.locator("summary")).to_have_text("Ce que l'assistant a compris")
    expect(panel).to_contain_text("faq_vae")
    expect(panel).to_contain_text("faq_vae/")
    expect(panel).to_contain_text(FAQ_QUESTION)
    chat.ask("je cherche un campus dans le numérique en Bretagne")
    expect(page.locator(".cmq-understanding").last).to_contain_text("region = Bretagne")
    # One panel per reply, not per message of the reply.
    assert page.locator(".cmq-understanding").count() == 2
    token_in_page = page.evaluate("t => document.documentElement.outerHTML.includes(t)", COUNSELLOR_TOKEN)
    assert not token_in_page
    violations = run_axe(page, site.url)
    assert violations == [], violations


def test_a_visitor_sees_no_understanding_nor_token_field(page, chat):
    chat.open()
    chat.ask(FAQ_QUESTION)
    assert page.locator(".cmq-understanding").count() == 0
    assert page.get_by_label("Code d'accès conseiller").count() == 0


def test_a_wrong_token_is_refused_and_the_chat_goes_on(page, site):
    chat = open_counsellor_view(page, site.url)
    enter_token(page, "not-the-token")
    expect(page.locator(".cmq-counsellor-state")).to_contain_text("Code d'accès refusé")
    assert page.evaluate("sessionStorage.getItem('cmq-counsellor-token')") is None
    chat.ask(FAQ_QUESTION)
    assert page.locator(".cmq-understanding").count() == 0
