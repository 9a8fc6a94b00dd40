"""How a conversation turn is judged: the topic answered is read from the responses uttered."""

from devtools.evaluate_conversations import Observed, Turn, judge


def test_an_faq_answer_counts_for_its_topic():
    seen = Observed("Le jury…", "faq_follow_up", 0.99, ["utter_faq_vae/jury"])
    assert judge(Turn("et il faut passer un examen ?", {"intent": "faq_vae", "say_any": ["jury"]}), seen).ok


def test_an_answer_an_action_fills_in_counts_for_its_topic():
    seen = Observed("À 21 ans… 53 %", "faq_follow_up", 0.99, ["text_faq_apprenticeship__pay_at_age"])
    assert seen.topics == ["faq_apprenticeship"]
    assert judge(Turn("et à 21 ans ?", {"intent": "faq_apprenticeship", "say_any": ["53"]}), seen).ok


def test_another_topic_answered_with_confidence_is_a_confident_wrong_turn():
    seen = Observed("Erasmus+…", "faq_mobility", 0.95, ["utter_faq_mobility/what_is"])
    verdict = judge(Turn("et c'est payant ?", {"intent": "faq_vae"}), seen)
    assert not verdict.ok and verdict.confident_wrong
    other_text = Observed("Quel secteur ?", "inform", 0.9, ["text_ask_sector"])
    assert other_text.topics == []


def test_a_list_of_campuses_or_formations_counts_as_a_search():
    listed = Observed("BTS « energie » près de Metz…", "out_of_scope", 0.7, ["text_formations_found"])
    assert judge(Turn("Nous sommes à Metz", {"intent": "search_campus"}), listed).ok
    asked = Observed("Où cherchez-vous ?", "out_of_scope", 0.7, ["text_ask_area"])
    assert not judge(Turn("Nous sommes à Metz", {"intent": "search_campus"}), asked).ok
