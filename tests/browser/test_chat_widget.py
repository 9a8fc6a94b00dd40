"""The chat widget as a user meets it on the school page: keyboard, answers, quick replies,
campus cards, history after a reload, escaped HTML, feedback, accessibility audit, phone screen."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from orientation.paths import DOCS_DIR
from orientation.settings import load_settings

SCREENSHOT = DOCS_DIR / "screenshot.png"


def focused(page: Page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement !== null && document.activeElement.matches(s)", selector)


def tab_until(page: Page, selector: str, key: str = "Tab", limit: int = 15) -> None:
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page, selector):
            return
    raise AssertionError(f"{selector} never got the keyboard focus with {key}")


def run_axe(page: Page, site_url: str) -> list:
    page.add_script_tag(url=site_url + "widget/vendor/axe.min.js")
    return page.evaluate(
        "async () => (await axe.run(document)).violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )


def test_the_school_page_has_a_labelled_launcher(page, chat):
    expect(page).to_have_title(f"Orientation – {load_settings().school_name}")
    launcher = page.get_by_role("button", name="Ouvrir l'assistant orientation")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(chat.panel).to_be_hidden()


def test_keyboard_only_open_ask_pick_a_suggestion_and_close(page, chat):
    tab_until(page, ".cmq-launcher")
    page.keyboard.press("Enter")
    expect(chat.panel).to_be_visible()
    expect(chat.input).to_be_focused()
    chat.wait_for_reply(0)

    page.evaluate("""() => {
        const typing = document.querySelector('.cmq-typing');
        new MutationObserver(() => { if (!typing.hidden) window.typingSeen = true; })
            .observe(typing, {attributes: true});
    }""")
    before = chat.bot_messages.count()
    page.keyboard.type("c'est quoi un campus des métiers ?")
    page.keyboard.press("Enter")
    chat.wait_for_reply(before)
    assert page.evaluate("window.typingSeen === true"), "no typing indicator while waiting"
    expect(chat.last_user_bubble()).to_have_text("c'est quoi un campus des métiers ?")
    answer = chat.last_bot_text()
    assert "Campus des métiers et des qualifications" in answer or "label" in answer
    expect(chat.live_region).to_contain_text("Assistant :")
    expect(chat.input).to_be_focused()

    # The answer's suggestions come just before the input: Shift+Tab reaches them.
    tab_until(page, ".cmq-chip", key="Shift+Tab")
    title = page.evaluate("document.activeElement.textContent")
    before = chat.bot_messages.count()
    page.keyboard.press("Enter")
    chat.wait_for_reply(before)
    expect(chat.last_user_bubble()).to_have_text(title)

    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    assert focused(page, ".cmq-launcher")
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")


def test_a_quick_reply_sends_its_payload_and_shows_its_title(chat):
    chat.open()
    chat.click_suggestion("Les secteurs")
    expect(chat.last_user_bubble()).to_have_text("Les secteurs")
    assert "12 secteurs" in chat.last_bot_text()
    expect(chat.bot_messages.last.get_by_role("button")).to_have_count(12)
    expect(chat.page.locator(".cmq-messages")).not_to_contain_text("/list_sectors")


def test_a_campus_search_shows_result_cards(chat):
    chat.open()
    chat.ask("je cherche un campus numérique en Bretagne")
    expect(chat.cards.first).to_be_visible()
    first = chat.cards.first
    heading = first.get_by_role("heading", level=3)
    expect(heading).not_to_be_empty()
    card_name = heading.inner_text()
    expect(chat.page.get_by_role("article", name=card_name)).to_have_count(1)
    expect(first).to_contain_text("Bretagne")
    for link in first.get_by_role("link").all():
        assert link.get_attribute("href").startswith("http")
        assert link.get_attribute("rel") == "noopener noreferrer"
    expect(first.get_by_role("button", name=f"Détails : {card_name}")).to_be_visible()


def test_a_reload_in_the_same_tab_shows_the_history_and_keeps_the_conversation(page, chat, site):
    chat.open()
    chat.ask("c'est quoi la VAE ?")
    session = chat.session_id()
    shown_before = chat.page.locator(".cmq-messages").text_content()

    page.reload()
    expect(chat.panel).to_be_visible()
    expect(chat.page.locator(".cmq-messages")).to_have_text(shown_before)
    assert chat.session_id() == session

    chat.ask("et l'apprentissage ?")
    texts = [event.get("text") for event in site.user_events(session)]
    assert "c'est quoi la VAE ?" in texts and "et l'apprentissage ?" in texts


def test_html_in_a_message_is_shown_as_text(page, chat):
    chat.open()
    attack = '<img src=x onerror="window.injected=1"><script>window.injected=2</script><b>gras</b>'
    chat.ask(attack)
    expect(chat.last_user_bubble()).to_have_text(attack)
    messages = page.locator(".cmq-messages")
    expect(messages.locator("img, script, b")).to_have_count(0)
    assert page.evaluate("window.injected === undefined")


def test_thumbs_feedback_is_recorded_in_the_tracker_store(page, chat, site):
    chat.open()
    chat.ask("c'est quoi la VAE ?")
    before = chat.bot_messages.count()
    page.locator(".cmq-feedback").last.get_by_role("button", name="Réponse utile").click()
    chat.wait_for_reply(before)
    assert "Merci pour votre avis" in chat.last_bot_text()
    expect(page.locator(".cmq-feedback").last.get_by_role("button", name="Réponse utile")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator(".cmq-messages")).not_to_contain_text("/feedback")

    deadline = time.monotonic() + 10
    feedback = []
    while not feedback and time.monotonic() < deadline:
        feedback = [
            e
            for e in site.user_events(chat.session_id())
            if (e.get("parse_data") or {}).get("intent", {}).get("name") == "feedback"
        ]
        time.sleep(0.3)
    assert feedback, "no feedback event in the tracker store"
    entities = feedback[-1]["parse_data"]["entities"]
    assert {"entity": "feedback_value", "value": "up"}.items() <= entities[0].items()


def test_a_thumbs_down_during_a_search_offers_a_counsellor_and_the_search_goes_on(page, chat):
    chat.open()
    chat.ask("je cherche un campus dans le numérique")
    question = chat.last_bot_text()
    assert "Où cherchez-vous" in question
    before = chat.bot_messages.count()
    page.locator(".cmq-feedback").last.get_by_role("button", name="Réponse pas utile").click()
    chat.wait_for_reply(before)
    replies = chat.bot_messages.all()[before:]
    assert "Merci pour votre avis" in replies[0].inner_text()
    expect(replies[0].get_by_role("button", name="Parler à un conseiller")).to_be_visible()
    assert "Où cherchez-vous" in replies[-1].inner_text()
    chat.ask("en Bretagne")
    expect(chat.cards.first).to_contain_text("Bretagne")


def test_the_widget_reconnects_after_the_connection_drops(page, chat):
    chat.open()
    page.evaluate("window.CmqChat.socket.io.engine.close()")
    chat.ask("c'est quoi la VAE ?")
    assert "VAE" in chat.last_bot_text()
    expect(page.locator(".cmq-status")).to_be_hidden()


def test_a_conversation_with_results_has_no_accessibility_violation(page, chat, site):
    chat.open()
    chat.ask("je cherche un campus numérique en Bretagne")
    expect(chat.cards.first).to_be_visible()
    # The picture for the README: the question and the first result in view.
    chat.user_messages.last.evaluate("""question => {
        const log = question.closest('.cmq-log');
        log.scrollTop += question.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
    }""")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert run_axe(page, site.url) == []


def test_on_a_360_px_phone_the_widget_fits_and_passes_the_audit(phone_page, phone_chat, site):
    phone_chat.open()
    phone_chat.ask("je cherche un campus numérique en Bretagne")
    expect(phone_chat.cards.first).to_be_visible()
    width = phone_page.viewport_size["width"]
    assert width == 360
    box = phone_chat.panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= width
    expect(phone_chat.input).to_be_in_viewport()
    assert run_axe(phone_page, site.url) == []
