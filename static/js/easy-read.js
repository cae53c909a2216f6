// The live counter of an easy-read summary (templates/includes/easy_read_field.html): as staff
// type, the characters, sentences, long sentences, long words and abbreviations are counted again
// with the rules of participation/easy_read.py (keep the two in step), and the counter, a polite
// live region, is updated once typing pauses, so that a screen reader is not interrupted at
// every key.
(function () {
  "use strict";

  var SENTENCE_END = /[.!?…]+(?:\s+|$)|\n+/u;
  var WORD = /\p{L}+/gu;
  var PAUSE_MS = 700;

  function distinct(words) {
    var seen = new Map();
    words.forEach(function (word) {
      var key = word.toLowerCase();
      if (!seen.has(key)) { seen.set(key, word); }
    });
    return Array.from(seen.values());
  }

  function words(text) {
    return text.match(WORD) || [];
  }

  function letters(word) {
    return Array.from(word).length;
  }

  function isAbbreviation(word) {
    return letters(word) >= 2 && word === word.toUpperCase() && word !== word.toLowerCase();
  }

  function figures(text, settings) {
    text = text.replace(/\r\n?/g, "\n").trim();
    var sentences = text.split(SENTENCE_END).filter(function (piece) {
      return words(piece).length > 0;
    });
    var all = words(text);
    var chars = Array.from(text).length;
    return {
      chars: chars,
      max: settings.max,
      over: Math.max(chars - settings.max, 0),
      sentences: sentences.length,
      words: settings.longSentenceWords,
      long: sentences.filter(function (sentence) {
        return words(sentence).length > settings.longSentenceWords;
      }).length,
      letters: settings.longWordLetters,
      longWords: distinct(all.filter(function (word) {
        return letters(word) >= settings.longWordLetters;
      })),
      abbreviations: distinct(all.filter(isAbbreviation))
    };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function lines(values, templates) {
    var none = templates.none;
    return [
      fill(values.over ? templates.over : templates.chars, values),
      fill(templates.sentences, values),
      fill(templates.long_words, { letters: values.letters, list: values.longWords.join(", ") || none }),
      fill(templates.abbreviations, { list: values.abbreviations.join(", ") || none })
    ];
  }

  function attach(counter) {
    if (counter.dataset.easyReadReady) { return; }
    var field = document.getElementById(counter.dataset.easyReadCounterFor);
    if (!field) { return; }
    counter.dataset.easyReadReady = "1";
    var settings = JSON.parse(counter.dataset.easyReadSettings);
    var timer = null;
    function update() {
      var spans = lines(figures(field.value, settings), settings.templates).map(function (line) {
        var span = document.createElement("span");
        span.className = "d-block";
        span.textContent = line;
        return span;
      });
      counter.replaceChildren.apply(counter, spans);
    }
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, PAUSE_MS);
    });
  }

  function attachAll() {
    document.querySelectorAll("[data-easy-read-counter-for]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
})();
