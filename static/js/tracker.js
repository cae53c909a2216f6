/*
 * The speaking-time tracker (templates/dialogue/tracker/tracker.html).
 *
 * Without this file the page works with plain forms. With it:
 * - the forms post in the background, one after the other in the order tapped, and the server's
 *   answer (the state partial) replaces the live parts of the page, element by element (same id);
 * - a 1-second clock updates the running turn's time and the shares, from the server's times;
 * - every few seconds the state is read again, so a second device follows what the first one does;
 * - keyboard shortcuts, off until the switch above the buttons turns them on (remembered in this
 *   browser's localStorage): keys 1-5 give the floor, 0 or Space stops, P pauses; only while the
 *   focus is inside the tracker, never in a field, and Space or Enter on a focused button, link or
 *   switch presses it (WCAG 2.1.4).
 * The server decides every time (its clock); this file only shows them.
 */
(function () {
  "use strict";

  const root = document.getElementById("tracker");
  if (!root || !window.fetch || !window.DOMParser) {
    return;
  }
  const stateUrl = root.dataset.stateUrl;
  const pollMs = parseInt(root.dataset.pollMs, 10) || 5000;
  const networkError = root.dataset.networkError || "";
  const alertRegion = document.getElementById("tracker-alert");
  const announceRegion = document.getElementById("tracker-announce");

  let clockOffset = 0; // server's clock minus this device's clock, in ms
  let queue = Promise.resolve();
  let pending = 0;
  let actions = 0; // taps sent so far: a state read started before a tap is stale

  function csrfToken(form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function pad(number) {
    return String(number).padStart(2, "0");
  }

  function clockText(ms) {
    const seconds = Math.max(Math.floor(ms / 1000), 0);
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const rest = seconds % 60;
    return hours ? hours + ":" + pad(minutes) + ":" + pad(rest) : pad(minutes) + ":" + pad(rest);
  }

  function durationText(format, seconds) {
    const whole = Math.max(Math.floor(seconds), 0);
    return format.replace("{m}", String(Math.floor(whole / 60))).replace("{s}", pad(whole % 60));
  }

  function status() {
    return document.getElementById("tracker-status");
  }

  function runningElapsedMs() {
    const current = status();
    if (!current || !current.dataset.startedAt) {
      return null;
    }
    return Date.now() + clockOffset - parseInt(current.dataset.startedAt, 10);
  }

  // The buttons are not swapped (focus stays where it is): their state follows the status.
  function syncButtons() {
    const current = status();
    if (!current) {
      return;
    }
    const running = current.dataset.runningCategory;
    const paused = current.dataset.paused === "true";
    root.querySelectorAll("[data-tracker-category]").forEach(function (button) {
      const isRunning = button.dataset.trackerCategory === running;
      button.classList.toggle("is-running", isRunning);
      const badge = button.querySelector(".tracker-category-running");
      if (badge) {
        badge.classList.toggle("d-none", !isRunning);
      }
    });
    const pause = root.querySelector("[data-tracker-pause]");
    if (pause) {
      pause.querySelector(".tracker-when-running").classList.toggle("d-none", paused);
      pause.querySelector(".tracker-when-paused").classList.toggle("d-none", !paused);
    }
  }

  function tick() {
    const elapsed = runningElapsedMs();
    const current = status();
    const clock = document.querySelector("[data-tracker-clock]");
    if (clock && elapsed !== null) {
      clock.textContent = clockText(elapsed);
    }
    const shares = document.getElementById("tracker-shares");
    if (!shares || elapsed === null) {
      return;
    }
    const running = current.dataset.runningCategory;
    const rows = Array.from(shares.querySelectorAll("tr[data-category]"));
    const seconds = rows.map(function (row) {
      const finished = parseFloat(row.dataset.finishedSeconds) || 0;
      return row.dataset.category === running ? finished + elapsed / 1000 : finished;
    });
    const total = seconds.reduce(function (sum, value) {
      return sum + value;
    }, 0);
    rows.forEach(function (row, index) {
      const percent = total ? Math.floor((seconds[index] / total) * 100 + 0.5) : 0;
      row.querySelector("[data-duration]").textContent = durationText(
        shares.dataset.durationFormat,
        seconds[index],
      );
      row.querySelector("[data-percent]").textContent = shares.dataset.percentFormat.replace(
        "{n}",
        String(percent),
      );
      row.querySelector("[data-bar]").setAttribute("width", percent + "%");
    });
    const totalCell = shares.querySelector("[data-total]");
    if (totalCell) {
      totalCell.textContent = durationText(shares.dataset.durationFormat, total);
    }
  }

  function say(region, text) {
    // Emptied first, so that the same sentence twice is read twice.
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  function showError(text) {
    alertRegion.textContent = "";
    if (text) {
      const paragraph = document.createElement("p");
      paragraph.className = "alert alert-danger";
      paragraph.textContent = text;
      alertRegion.appendChild(paragraph);
    }
  }

  function applyState(html, fromTap) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    Array.from(fresh.body.children).forEach(function (element) {
      const own = element.id && element.id.startsWith("tracker-") && element.id !== "tracker-feedback";
      const current = own && document.getElementById(element.id);
      if (current) {
        current.replaceWith(document.importNode(element, true));
      }
    });
    const now = status();
    if (now && now.dataset.serverNow) {
      clockOffset = parseInt(now.dataset.serverNow, 10) - Date.now();
    }
    syncButtons();
    tick();
    const feedback = fresh.getElementById("tracker-feedback");
    if (fromTap && feedback) {
      showError(feedback.dataset.error);
      if (!feedback.dataset.error && feedback.dataset.announce) {
        say(announceRegion, feedback.dataset.announce);
      }
    }
  }

  function send(form, button) {
    const body = new FormData(form);
    actions += 1;
    pending += 1;
    if (button) {
      button.classList.add("is-sending");
    }
    // One tap after the other, in the order tapped: the server sees them in that order.
    queue = queue
      .then(function () {
        return fetch(form.action, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "HX-Request": "true", "X-CSRFToken": csrfToken(form) },
        });
      })
      .then(function (response) {
        const type = response.headers.get("Content-Type") || "";
        const answered = response.ok || response.status === 400;
        if (!answered || !type.startsWith("text/html") || response.redirected) {
          // Logged out, or a page we do not know: let the browser show it.
          window.location.reload();
          return null;
        }
        return response.text().then(function (html) {
          applyState(html, true);
        });
      })
      .catch(function () {
        showError(networkError);
      })
      .finally(function () {
        pending -= 1;
        if (button) {
          button.classList.remove("is-sending");
        }
      });
    return queue;
  }

  let pollTimer = null;

  function schedulePoll(delay) {
    window.clearTimeout(pollTimer);
    pollTimer = window.setTimeout(poll, delay);
  }

  function poll() {
    if (pending > 0 || document.hidden) {
      schedulePoll(pollMs);
      return;
    }
    const before = actions;
    fetch(stateUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "HX-Request": "true" },
    })
      .then(function (response) {
        const type = response.headers.get("Content-Type") || "";
        return response.ok && type.startsWith("text/html") ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && before === actions && pending === 0) {
          applyState(html, false);
        }
      })
      .catch(function () {
        // The next read will tell; a tap that fails says so itself.
      })
      .finally(function () {
        schedulePoll(pollMs);
      });
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-tracker-form]")) {
      return;
    }
    event.preventDefault();
    send(form, event.submitter || form.querySelector("button"));
  });

  // The shortcuts' switch: off unless this browser remembers it on.
  const SHORTCUTS_KEY = "tracker-shortcuts";
  const shortcutsSection = root.querySelector("[data-tracker-shortcuts]");
  const shortcutsSwitch = root.querySelector("[data-tracker-shortcuts-switch]");

  function rememberedOn() {
    try {
      return window.localStorage.getItem(SHORTCUTS_KEY) === "on";
    } catch (error) {
      return false; // storage refused (private mode): off, as by default
    }
  }

  function shortcutsOn() {
    return Boolean(shortcutsSwitch && shortcutsSwitch.checked);
  }

  // The keys are announced and shown on the buttons only while they work.
  function showShortcuts() {
    const on = shortcutsOn();
    root.classList.toggle("has-shortcuts", on);
    root.querySelectorAll("[data-keyshortcuts]").forEach(function (button) {
      if (on) {
        button.setAttribute("aria-keyshortcuts", button.dataset.keyshortcuts);
      } else {
        button.removeAttribute("aria-keyshortcuts");
      }
    });
  }

  if (shortcutsSection && shortcutsSwitch) {
    shortcutsSection.hidden = false;
    shortcutsSwitch.checked = rememberedOn();
    shortcutsSwitch.addEventListener("change", function () {
      try {
        window.localStorage.setItem(SHORTCUTS_KEY, shortcutsSwitch.checked ? "on" : "off");
      } catch (error) {
        // Not remembered: it still holds until the page is left.
      }
      showShortcuts();
    });
    showShortcuts();
  }

  // Where every key is the field's own (typing, choosing in a list): no shortcut at all.
  const TYPING =
    "textarea, select, [contenteditable=''], [contenteditable=true], " +
    "input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit]):not([type=reset])";
  // Where Space and Enter press the control (a button, a link, a switch, a <summary>).
  const PRESSABLE = "button, a[href], summary, input, [role=button], [role=switch]";

  // The key, whatever the keyboard: on a French AZERTY keyboard the "1" key types "&".
  function shortcut(event) {
    const match = /^(?:Digit|Numpad)([0-5])$/.exec(event.code || "");
    const key = /^[0-5]$/.test(event.key) ? event.key : match ? match[1] : event.key;
    if (key === " " || key === "Spacebar" || key === "0") {
      return root.querySelector("[data-tracker-stop]");
    }
    if (key === "p" || key === "P") {
      return root.querySelector("[data-tracker-pause]");
    }
    if (/^[1-5]$/.test(key)) {
      return root.querySelector('[data-tracker-key="' + key + '"]');
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    if (!shortcutsOn() || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const target = event.target;
    if (!(target instanceof Element) || !root.contains(target) || target.closest(TYPING)) {
      return;
    }
    const pressing = event.key === " " || event.key === "Spacebar" || event.key === "Enter";
    if (pressing && target.closest(PRESSABLE)) {
      return;
    }
    const button = shortcut(event);
    if (!button || button.disabled) {
      return;
    }
    // Space would also scroll the page.
    event.preventDefault();
    if (!event.repeat) {
      button.form.requestSubmit(button);
    }
  });

  document.addEventListener("visibilitychange", function () {
    // Back to the tab: read the state at once rather than show a stale one for a few seconds.
    if (!document.hidden) {
      schedulePoll(0);
    }
  });

  const initial = status();
  if (initial && initial.dataset.serverNow) {
    clockOffset = parseInt(initial.dataset.serverNow, 10) - Date.now();
  }
  syncButtons();
  tick();
  window.setInterval(tick, 1000);
  schedulePoll(pollMs);
})();
