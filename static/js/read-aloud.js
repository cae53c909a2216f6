// "Écouter" (templates/includes/read_aloud.html): reads a part of the page aloud with the
// browser's own speech synthesis (Web Speech API), in French; nothing leaves the browser. The
// button stays hidden where the browser has no speech synthesis. Pressed again, it stops.
//
// The button names the elements to read by their ids (data-read-aloud="id id"); their visible
// text is read line by line, each line a sentence. The text is spoken in short pieces: Chrome
// stops a long utterance after about fifteen seconds.
(function () {
  "use strict";

  var synth = window.speechSynthesis;
  if (!synth || typeof synth.speak !== "function" ||
      typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }
  var MAX_PIECE = 200;
  var current = null; // {button, run}
  var runs = 0;

  function lines(button) {
    return button.dataset.readAloud.split(/\s+/)
      .map(function (id) { return id && document.getElementById(id); })
      .filter(Boolean)
      .map(function (element) { return element.innerText || element.textContent || ""; })
      .join("\n")
      .split(/\n+/)
      .map(function (line) { return line.replace(/\s+/g, " ").trim(); })
      .filter(Boolean)
      .map(function (line) { return /[.!?…:;]$/.test(line) ? line : line + "."; });
  }

  function pieces(allLines) {
    var result = [];
    allLines.forEach(function (line) {
      var sentences = line.match(/[^.!?…]+[.!?…]+(?:\s+|$)|[^.!?…]+$/g) || [line];
      var piece = "";
      sentences.forEach(function (sentence) {
        if (piece && (piece + sentence).length > MAX_PIECE) {
          result.push(piece.trim());
          piece = "";
        }
        piece += sentence;
      });
      if (piece.trim()) { result.push(piece.trim()); }
    });
    return result;
  }

  function frenchVoice() {
    var voices = synth.getVoices ? synth.getVoices() : [];
    return voices.find(function (voice) { return voice.lang === "fr-FR"; }) ||
      voices.find(function (voice) { return /^fr\b/i.test(voice.lang); }) || null;
  }

  function show(button, speaking) {
    button.querySelector(".read-aloud-label").textContent =
      speaking ? button.dataset.labelStop : button.dataset.labelListen;
    var icon = button.querySelector(".bi");
    icon.classList.toggle("bi-volume-up", !speaking);
    icon.classList.toggle("bi-stop-fill", speaking);
  }

  function stop() {
    if (current) {
      show(current.button, false);
      current = null;
    }
    synth.cancel();
  }

  function start(button) {
    var texts = pieces(lines(button));
    if (!texts.length) { return; }
    runs += 1;
    var run = runs;
    current = { button: button, run: run };
    show(button, true);
    var voice = frenchVoice();
    texts.forEach(function (text, index) {
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.lang = "fr-FR";
      if (voice) { utterance.voice = voice; }
      utterance.rate = 0.9;
      var finished = function () {
        if (current && current.run === run) {
          show(button, false);
          current = null;
        }
      };
      if (index === texts.length - 1) { utterance.addEventListener("end", finished); }
      utterance.addEventListener("error", function (event) {
        // "interrupted" and "canceled" are our own stop; any other error ends the reading.
        if (event.error !== "interrupted" && event.error !== "canceled") { finished(); }
      });
      synth.speak(utterance);
    });
  }

  function attach(button) {
    if (button.dataset.readAloudReady) { return; }
    button.dataset.readAloudReady = "1";
    if (!lines(button).length) { return; }
    button.addEventListener("click", function () {
      var mine = current && current.button === button;
      stop();
      if (!mine) { start(button); }
    });
    button.hidden = false;
  }

  function attachAll() {
    document.querySelectorAll("button[data-read-aloud]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
  // Leaving the page stops the voice (a browser may go on speaking after the page is gone).
  window.addEventListener("pagehide", stop);
})();
