"""Read aloud ("Écouter", issue 18) in Chromium, on a meeting page, a question's answer and a news
item: the button shows where the browser can speak, reads the easy-read summary (or the text) in
French when pressed with the mouse or the keyboard, and stops when pressed again; it stays hidden
where the browser has no speech synthesis.

What is spoken is observed at the browser's own API: an init script wraps
`speechSynthesis.speak` to record each utterance's text and language, and `speechSynthesis.cancel`
to count the stops (then calls it). The recorder does not pass the utterances on: the test machine's
headless Chromium has no speech engine, and every utterance fails at once ("synthesis-failed"),
which ends the reading before a second press could stop it; the last test lets them through, to
check that such a failure gives the button back. Screenshots: artifacts/screenshots/read-aloud-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dialogue.models import Food
from qpv.models import QPV
from questions.models import AnswerStatus, QuestionStatus
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.qpv.factories import NewsItemFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECORD_SPEECH = """
window.__spoken = [];
window.__cancels = 0;
if (window.speechSynthesis) {
  const synth = window.speechSynthesis;
  const cancel = synth.cancel.bind(synth);
  synth.speak = (utterance) => {
    window.__spoken.push({ text: utterance.text, lang: utterance.lang });
  };
  synth.cancel = () => {
    window.__cancels += 1;
    cancel();
  };
}
"""

# The speech engine refuses every utterance, as a browser without voices does.
FAILING_SPEECH = """
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (utterance) => {
    setTimeout(() => {
      const event = new Event("error");
      event.error = "synthesis-failed";
      if (utterance.onerror) utterance.onerror(event);
      utterance.dispatchEvent(event);
    }, 1500);
  };
}
"""

NO_SPEECH = """
delete Window.prototype.speechSynthesis;
delete window.speechSynthesis;
delete window.SpeechSynthesisUtterance;
"""

MEETING_SUMMARY = "Nous parlons du square. Venez avec vos enfants."
ANSWER_SUMMARY = "L'ascenseur est réparé lundi."
NEWS_TEXT = "Le square rouvre samedi. Les enfants peuvent y jouer."


@pytest.fixture
def pages():
    """The three page types: a meeting and an answer with a summary, a news item without."""
    sanitas = QPV.objects.get(slug="sanitas")
    starts_at = (timezone.localtime() + timedelta(days=7)).replace(
        year=2031, month=3, day=1, hour=18, minute=0, second=0, microsecond=0
    )
    meeting = MeetingFactory(
        dialogue_space=DialogueSpaceFactory(qpv=sanitas, name="Café du Sanitas"),
        title="Parlons du square",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        easy_read=MEETING_SUMMARY,
        agenda="Bilan des travaux du square et de l'aire de jeux.",
        childcare=True,
        interpreting="arabe, turc",
        food=Food.SNACK,
        step_free=True,
    )
    question = QuestionFactory(
        qpv=sanitas, status=QuestionStatus.ANSWERED, answered_on=timezone.localdate()
    )
    question.received_on = timezone.localdate()
    question.save()
    AnswerFactory(
        question=question,
        text="La pièce a été commandée chez le fabricant.",
        easy_read=ANSWER_SUMMARY,
        status=AnswerStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    news = NewsItemFactory(qpv=sanitas, body_html=f"<p>{NEWS_TEXT}</p>")
    return {
        "meeting": meeting.get_absolute_url(),
        "answer": question.get_absolute_url(),
        "news": news.get_absolute_url(),
    }


EXPECTED = {
    # The summary, then the practical information line by line, each line a sentence.
    "meeting": [
        "Nous parlons du square. Venez avec vos enfants.",
        "samedi 1er mars 2031.",
        "De 18 h 00 à 20 h 00.",
        "Centre social, 1 place Neuve, 37000 Tours.",
        "Accès sans marche (fauteuil roulant, poussette).",
        "Garde d’enfants sur place.",
        "Interprétariat : arabe, turc.",
        "Collation et boissons.",
    ],
    "answer": [ANSWER_SUMMARY],
    # No summary: the text itself.
    "news": [NEWS_TEXT],
}


def _spoken(page) -> list[dict]:
    return page.evaluate("window.__spoken")


@pytest.mark.parametrize("kind", ["meeting", "answer", "news"])
def test_listen_reads_the_summary_or_the_text_and_a_second_press_stops(
    new_context, pages, kind, screenshot
):
    from playwright.sync_api import expect

    context = new_context(reduced_motion="reduce")  # no transition in the screenshot
    context.add_init_script(RECORD_SPEECH)
    page = context.new_page()
    page.goto(pages[kind])
    button = page.get_by_role("button", name="Écouter")
    expect(button).to_be_visible()
    expect(button).not_to_have_attribute("aria-pressed", re.compile("."))  # the name says the state
    assert page.evaluate("window.speechSynthesis !== undefined")

    button.click()
    stop = page.get_by_role("button", name="Arrêter")
    expect(stop).to_be_visible()
    spoken = _spoken(page)
    assert [utterance["text"] for utterance in spoken] == EXPECTED[kind]
    assert {utterance["lang"] for utterance in spoken} == {"fr-FR"}
    page.mouse.move(0, 0)  # no hover on the button
    screenshot(page, f"read-aloud-{kind}", full_page=False)

    cancels = page.evaluate("window.__cancels")
    stop.click()
    expect(page.get_by_role("button", name="Écouter")).to_be_visible()
    assert page.evaluate("window.__cancels") > cancels
    assert len(_spoken(page)) == len(EXPECTED[kind])  # nothing more was said
    assert page.problems == []


def test_listen_works_with_the_keyboard(new_context, pages):
    from playwright.sync_api import expect

    context = new_context()
    context.add_init_script(RECORD_SPEECH)
    page = context.new_page()
    page.goto(pages["answer"])
    button = page.locator("button.read-aloud")
    expect(button).to_have_accessible_name("Écouter")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_accessible_name("Arrêter")
    assert [utterance["text"] for utterance in _spoken(page)] == [ANSWER_SUMMARY]
    cancels = page.evaluate("window.__cancels")
    page.keyboard.press("Space")
    expect(button).to_have_accessible_name("Écouter")
    assert page.evaluate("window.__cancels") > cancels
    page.keyboard.press("Space")
    expect(button).to_have_accessible_name("Arrêter")
    assert len(_spoken(page)) == 2
    assert page.problems == []


@pytest.mark.parametrize("kind", ["meeting", "answer", "news"])
def test_without_speech_synthesis_the_button_stays_hidden(new_context, pages, kind, screenshot):
    """On a 360 px phone."""
    from playwright.sync_api import expect

    context = new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    context.add_init_script(NO_SPEECH)
    page = context.new_page()
    page.goto(pages[kind])
    assert page.evaluate("typeof window.speechSynthesis") == "undefined"
    button = page.locator("button.read-aloud")
    expect(button).to_have_count(1)
    page.wait_for_load_state("load")  # the deferred script has run
    expect(button).to_be_hidden()
    expect(button).to_have_attribute("hidden", "")
    screenshot(page, f"no-speech-{kind}-360", full_page=False)
    assert page.problems == []


def test_when_the_browser_fails_to_speak_the_button_is_given_back(new_context, pages):
    """A speech engine that refuses the utterance (no voice installed): the button says Écouter again."""
    from playwright.sync_api import expect

    context = new_context()
    context.add_init_script(FAILING_SPEECH)
    page = context.new_page()
    page.goto(pages["news"])
    button = page.locator("button.read-aloud")
    button.click()
    expect(button).to_have_accessible_name("Arrêter")  # speaking, until the engine fails
    expect(button).to_have_accessible_name("Écouter")
    assert page.problems == []
