"""Helpers of the end-to-end journeys (tests/browser/test_journey_*.py).

Each journey runs twice: with the mouse, and with the keyboard only. `Driver` hides the difference:
in keyboard mode it never clicks, it presses Tab until the wanted element has the focus (checking
on the way that every focused element shows a visible focus ring and that focus keeps moving: no
keyboard trap), then Enter, Space, arrows or typing. On a new page, when the wanted element is in
the main content, it first follows the "Skip to content" link, as keyboard users do. A keyboard
journey fails if the page received any mouse or touch event (`Driver.finish`).

Staff log in through the real login page: the password, then the current code of their
authenticator app (allauth MFA); the professional area opens only after both
(participation.middleware.staff_mfa_required).

Emails are read from Django's outbox (`mailoutbox`): the live server runs in the test process, and
Celery is eager, so an email is in the outbox once the page that sent it has answered.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

MODES = ["mouse", "keyboard"]
# Enough to cross the longest page of the journeys from its top; a target further away is a
# finding in itself (too many stops before the main action).
MAX_TABS = 120
# The 2FA step lives under /compte/2fa/ (allauth MFA); its code field is named "code".
MFA_CODE_FIELD = 'form input[name="code"]'

# Runs in the page: what has the focus, described for a readable failure, and whether it shows
# a focus indicator (an outline or a box-shadow, on itself or, for Bootstrap's visually hidden
# .btn-check inputs, on their label).
_FOCUS_STATE = """(target) => {
  const active = document.activeElement;
  // Tab moves between the segments of a date or time field (day, month, year), then to its
  // calendar button, inside one element.
  const segments = {date: 4, month: 3, week: 3, time: 4, "datetime-local": 7};
  const describe = (el) => {
    if (!el || el === document.body || el === document.documentElement) return "<body>";
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    if (el.getAttribute("name")) text += "[name=" + el.getAttribute("name") + "]";
    const label = (el.getAttribute("aria-label") || el.innerText || el.value || "")
      .trim().replace(/\\s+/g, " ").slice(0, 40);
    if (label) text += " \\"" + label + "\\"";
    return text;
  };
  const ring = (el) => {
    if (!el) return false;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow && style.boxShadow !== "none";
    return outline || shadow;
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  let visible = true;
  if (active && active !== document.body && active !== document.documentElement) {
    if (active.tagName === "INPUT" && active.type in segments && !active.matches(":focus")) {
      // The focus is on the calendar button, inside the browser's own shadow tree: Chromium
      // draws its own ring there.
      visible = true;
    } else if (active.classList.contains("btn-check")) {
      const label = active.labels && active.labels[0];
      visible = !!label && ring(label) && shown(label);
    } else {
      visible = ring(active) && shown(active);
    }
  }
  const stays = active && active.tagName === "INPUT" ? (segments[active.type] || 1) - 1 : 0;
  return {
    hit: target !== null && active === target,
    skipLink: !!active && active.classList.contains("skip-link"),
    targetInMain: target !== null && !!target.closest("main"),
    activeInMain: !!active && !!active.closest && !!active.closest("main"),
    stays: stays,
    body: !active || active === document.body || active === document.documentElement,
    description: describe(active),
    visible: visible,
  };
}"""


# Reports every real (trusted) pointer event of the page: none may happen in keyboard mode.
_POINTER_SPY = """
for (const type of ["mousedown", "pointerdown", "touchstart"]) {
  document.addEventListener(type, (event) => {
    if (event.isTrusted) window.__journeyPointer(type + " on " + event.target.tagName);
  }, true);
}
"""


class KeyboardTrap(AssertionError):
    pass


class Driver:
    """One person using one page, with the mouse or with the keyboard only."""

    def __init__(self, page: Page, mode: str):
        assert mode in MODES, mode
        self.page = page
        self.mode = mode
        # Every element that had the focus (keyboard mode), and every pointer event the pages
        # received: a keyboard journey must end with the first list full and the second empty.
        self.focused: list[str] = []
        self.pointer_events: list[str] = []
        if self.keyboard:
            page.expose_function(
                "__journeyPointer", lambda event: self.pointer_events.append(event)
            )
            page.add_init_script(_POINTER_SPY)

    def finish(self) -> None:
        """The end of a journey: no JavaScript error; in keyboard mode, the keyboard did it all."""
        assert self.page.problems == [], self.page.problems
        if self.keyboard:
            assert self.focused, "The keyboard journey never moved the focus."
            assert self.pointer_events == [], f"Mouse or touch used: {self.pointer_events}"

    @property
    def keyboard(self) -> bool:
        return self.mode == "keyboard"

    # Focus -------------------------------------------------------------------------------------

    def _state(self, target: Locator | None) -> dict:
        if target is None:
            return self.page.evaluate(f"({_FOCUS_STATE})(null)")
        return target.evaluate(_FOCUS_STATE)

    def tab_to(self, target: Locator, *, max_tabs: int = MAX_TABS, key: str = "Tab") -> None:
        """Press Tab until `target` has the focus; every element met must show its focus."""
        expect(target).to_be_attached()
        state = self._state(target)
        if state["hit"]:
            self._check_visible(state, [])
            return
        seen: list[str] = []
        stayed = 0
        skipped = False
        for _ in range(max_tabs):
            self.page.keyboard.press(key)
            state = self._state(target)
            stayed = stayed + 1 if seen and state["description"] == seen[-1] else 0
            seen.append(state["description"])
            self.focused.append(state["description"])
            self._check_visible(state, seen)
            if skipped:
                assert state["activeInMain"], f"The skip link did not lead into <main>: {seen}"
                skipped = False
            if state["hit"]:
                return
            if state["skipLink"] and state["targetInMain"] and len(seen) == 1:
                # What keyboard users do on every new page: "Skip to content" first.
                self.page.keyboard.press("Enter")
                skipped = True
                continue
            # Stuck on one element (not the page itself): a keyboard trap.
            if not state["body"] and stayed > state["stays"]:
                raise KeyboardTrap(
                    f"Focus stays on {seen[-1]} when pressing {key}: " + " → ".join(seen)
                )
        raise AssertionError(
            f"{target} not reached after {max_tabs} presses of {key}; focus went through: "
            + " → ".join(seen)
        )

    def _check_visible(self, state: dict, seen: list[str]) -> None:
        if not state["visible"]:
            raise AssertionError(
                f"No visible focus on {state['description']} (after {' → '.join(seen)})"
            )

    def assert_no_trap(self, *, max_tabs: int = 400) -> None:
        """From where the focus is, Tab crosses the rest of the page and leaves it."""
        seen: list[str] = []
        stayed = 0
        for _ in range(max_tabs):
            self.page.keyboard.press("Tab")
            state = self._state(None)
            if state["body"]:
                return
            stayed = stayed + 1 if seen and state["description"] == seen[-1] else 0
            seen.append(state["description"])
            self._check_visible(state, seen)
            if stayed > state["stays"]:
                raise KeyboardTrap(f"Focus stays on {seen[-1]}: " + " → ".join(seen))
        raise KeyboardTrap(f"Focus never leaves the page: {' → '.join(seen[-30:])}")

    def expect_focus_kept(self, target: Locator) -> None:
        """After an in-page update (htmx swap), the keyboard user's focus is where they left it."""
        if self.keyboard:
            expect(target).to_be_focused()

    # Actions ----------------------------------------------------------------------------------

    def press(self, target: Locator, *, key: str = "Enter") -> None:
        """Activate a button or a link that does not load another page (htmx, JavaScript)."""
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.press(key)
        else:
            target.click()

    def follow(self, target: Locator, *, key: str = "Enter") -> None:
        """Activate a link or a submit button, and wait for the next page."""
        if self.keyboard:
            # Before waiting for the navigation: the skip link's jump to #main is one too.
            self.tab_to(target)
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
        else:
            with self.page.expect_navigation():
                target.click()

    def fill(self, target: Locator, text: str) -> None:
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.press("ControlOrMeta+a")
            self.page.keyboard.press("Delete")
            self.page.keyboard.type(text)
        else:
            target.fill(text)
        expect(target).to_have_value(text)

    def check(self, target: Locator, checked: bool = True) -> None:
        """Tick or untick a checkbox."""
        if self.keyboard:
            self.tab_to(target)
            if target.is_checked() != checked:
                self.page.keyboard.press("Space")
        else:
            target.set_checked(checked)
        expect(target).to_be_checked(checked=checked)

    def choose(self, radio: Locator) -> None:
        """Pick one radio button of its group (keyboard: into the group, then arrows)."""
        if self.keyboard:
            name = radio.get_attribute("name")
            group = self.page.locator(f'input[type="radio"][name="{name}"]')
            # Tab stops once in a group: on its checked radio, else on its first one.
            entry = group.locator("xpath=self::*[@checked]")
            self.tab_to(entry.first if entry.count() else group.first)
            for _ in range(group.count()):
                if radio.evaluate("el => el === document.activeElement"):
                    break
                self.page.keyboard.press("ArrowDown")
            assert radio.evaluate("el => el === document.activeElement"), "radio not reached"
            if not radio.is_checked():
                self.page.keyboard.press("Space")
        else:
            radio.check()
        expect(radio).to_be_checked()

    def select(self, target: Locator, *, label: str | None = None, value: str | None = None):
        """Choose an option of a <select> (keyboard: arrows on the closed list)."""
        options = target.locator("option")
        texts = [text.strip() for text in options.all_inner_texts()]
        values = [options.nth(i).get_attribute("value") or "" for i in range(options.count())]
        if label is not None:
            wanted = next(i for i, text in enumerate(texts) if label in text)
        else:
            wanted = values.index(value)
        if self.keyboard:
            self.tab_to(target)
            for _ in range(len(values)):
                current = target.evaluate("el => el.selectedIndex")
                if current == wanted:
                    break
                self.page.keyboard.press("ArrowDown" if current < wanted else "ArrowUp")
        else:
            target.select_option(index=wanted)
        expect(target).to_have_value(values[wanted])

    def open_details(self, summary: Locator) -> None:
        """Open a <details> by its <summary>."""
        self.press(summary)
        expect(summary.locator("xpath=..")).to_have_attribute("open", "")

    @contextmanager
    def download(self):
        with self.page.expect_download() as info:
            yield info


def wait_for_a_fresh_totp_period(page: Page, *, margin: float = 3.0) -> None:
    """allauth accepts only the current code (MFA_TOTP_TOLERANCE 0): never type one about to expire.

    The only clock-based wait of the journeys: at most `margin` seconds, when the 30-second period
    of the authenticator is about to end.
    """
    from allauth.mfa import app_settings

    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < margin:
        page.wait_for_timeout((left + 0.2) * 1000)


def open_menu(ui: Driver) -> None:
    """On a phone the header's links are behind its "Menu" button: unfold the menu (a desktop
    shows it whole: nothing to do)."""
    toggle = ui.page.locator(".site-menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        ui.press(toggle)
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(ui.page.locator("#site-menu")).to_be_visible()


def follow_menu_link(ui: Driver, name: str) -> None:
    """Follow a link of the header's menu, unfolding it first on a phone."""
    open_menu(ui)
    ui.follow(ui.page.locator(".site-header").get_by_role("link", name=name))


def log_in(ui: Driver, email: str, password: str, *, totp_secret: str | None = None) -> None:
    """From any page of the portal ("Log in" in the header) or from the login page a staff page sent
    them to: the password, then, for an account with an authenticator app, its current code."""
    from tests.helpers import totp_code

    page = ui.page
    if not page.locator('main input[name="login"]').count():
        follow_menu_link(ui, "Se connecter")
    ui.fill(page.locator('input[name="login"]'), email)
    ui.fill(page.locator('input[name="password"]'), password)
    ui.follow(page.locator('main form button[type="submit"]').first)
    code_field = page.locator(MFA_CODE_FIELD)
    if totp_secret is not None:
        # An account with an authenticator app always gets the code step after the password.
        expect(page).to_have_url(re.compile(r"/2fa/"))
        if ui.keyboard:
            ui.tab_to(code_field)
        # The code is read off the app at the last moment, and sent at once (Enter in the field).
        wait_for_a_fresh_totp_period(page)
        ui.fill(code_field, totp_code(totp_secret))
        with page.expect_navigation():
            if ui.keyboard:
                page.keyboard.press("Enter")
            else:
                page.locator('main form button[type="submit"]').first.click()
    # In the header's menu (folded on a phone).
    expect(page.locator(".site-header form[action$='/logout/'] button")).to_be_attached()


def at(path_pattern: str) -> re.Pattern:
    """The page's URL ends with this path; "#main" (the skip link's target) may follow, since a
    browser keeps a URL's fragment through a form's redirect."""
    return re.compile(path_pattern + r"(#main)?$")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def link_in(message, pattern: str) -> str:
    """The first link of an email whose path matches `pattern`, as a path of the live server."""
    for url in re.findall(r"https?://[^\s\"'<>]+", message.body):
        if re.search(pattern, urlsplit(url).path):
            return path_of(url)
    raise AssertionError(f"No link matching {pattern!r} in:\n{message.body}")


def emails_to(outbox, address: str) -> list:
    return [message for message in outbox if address in message.to]
