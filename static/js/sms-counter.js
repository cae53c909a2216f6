// The SMS length counter (templates/notifications/includes/sms_counter.html): as staff type, the
// count of characters and SMS is updated with the GSM 03.38 tables the server put in the page, so
// that it matches notifications.gsm.describe_length exactly.
(function () {
  "use strict";

  function count(text, basic, extension) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return basic.has(c) || extension.has(c); });
    var units = chars.map(function (c) {
      if (gsm) { return extension.has(c) ? 2 : 1; }
      return c.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var single = gsm ? 160 : 70;
    var perSegment = gsm ? 153 : 67;
    var total = units.reduce(function (a, b) { return a + b; }, 0);
    if (total <= single) {
      return { chars: chars.length, segments: total ? 1 : 0, left: single - total, gsm: gsm };
    }
    var segments = 1;
    var used = 0;
    units.forEach(function (unit) {
      if (used + unit > perSegment) { segments += 1; used = 0; }
      used += unit;
    });
    return { chars: chars.length, segments: segments, left: perSegment - used, gsm: gsm };
  }

  function fill(template, figures) {
    return template
      .replace("{chars}", figures.chars)
      .replace("{segments}", figures.segments)
      .replace("{left}", figures.left);
  }

  function attach(counter) {
    if (counter.dataset.smsCounterReady) { return; }
    var field = document.getElementById(counter.dataset.smsCounterFor);
    var output = counter.querySelector(".sms-counter-text");
    if (!field || !output) { return; }
    counter.dataset.smsCounterReady = "1";
    var tables = JSON.parse(counter.dataset.gsmTables);
    var basic = new Set(Array.from(tables.basic));
    var extension = new Set(Array.from(tables.extension));
    field.addEventListener("input", function () {
      var figures = count(field.value.replace(/\r\n/g, "\n"), basic, extension);
      var template = figures.gsm ? counter.dataset.templateGsm7 : counter.dataset.templateUcs2;
      output.textContent = fill(template, figures);
    });
  }

  function attachAll() {
    document.querySelectorAll("[data-sms-counter-for]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
  document.addEventListener("htmx:afterSwap", attachAll);
})();
