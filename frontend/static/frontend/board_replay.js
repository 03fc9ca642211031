/* The replay of a candidate's answers, on the board's candidate page (board_candidate.html).
 *
 * #replay-data holds {"items": [positions], "events": [{seq, position, kind, text, flagged,
 * clock}]}: every change of the answers in the order of its sequence number (the server's
 * order: the latest number wins, as when the answers were stored). Step k shows the answers
 * as they stood after the first k changes (0: before any); the slider and the buttons move
 * it, the arrow keys too (on the slider). The page is drawn at the last step, so it reads the
 * same without this script. The words come from the section's data-text-* attributes
 * (translated by the server); the answers are the server's text.
 */
(function () {
  "use strict";

  var section = document.getElementById("replay");
  var dataNode = document.getElementById("replay-data");
  if (!section || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var events = data.events || [];
  var slider = document.getElementById("replay-slider");
  var statusNode = document.getElementById("replay-status");
  var controls = section.querySelector(".replay-controls");
  if (!slider || !statusNode || !controls) return;

  var rows = {};
  section.querySelectorAll("tr[data-position]").forEach(function (row) {
    rows[row.getAttribute("data-position")] = {
      row: row,
      answer: row.querySelector('[data-replay="answer"]'),
      flag: row.querySelector('[data-replay="flag"]')
    };
  });

  function t(key) {
    return section.getAttribute("data-text-" + key) || "";
  }

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (all, name) {
      return values[name] !== undefined && values[name] !== null ? String(values[name]) : all;
    });
  }

  function show(step) {
    step = Math.max(0, Math.min(events.length, step));
    var answers = {};
    var flags = {};
    for (var k = 0; k < step; k += 1) {
      var event = events[k];
      if (event.kind === "flag") flags[event.position] = Boolean(event.flagged);
      else answers[event.position] = event.text;
    }
    Object.keys(rows).forEach(function (position) {
      var cells = rows[position];
      var answer = answers[position];
      cells.answer.textContent = answer ? answer : "–";
      cells.flag.textContent = flags[position] ? t("flagged") : "";
      cells.row.classList.remove("changed");
    });
    if (step === 0) {
      statusNode.textContent = format(t("start"), { total: events.length });
    } else {
      var last = events[step - 1];
      var what = last.kind === "flag" ? (last.flagged ? t("flagged") : t("unflagged")) : (last.text || t("cleared"));
      statusNode.textContent = format(t("step"), {
        step: step, total: events.length, clock: last.clock, position: last.position
      }) + " · " + what;
      if (rows[last.position]) rows[last.position].row.classList.add("changed");
    }
    slider.value = String(step);
    section.setAttribute("data-step", String(step));
  }

  controls.hidden = false;
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  controls.querySelectorAll("button[data-step]").forEach(function (button) {
    button.addEventListener("click", function () {
      var current = Number(slider.value);
      var move = button.getAttribute("data-step");
      if (move === "first") show(0);
      else if (move === "previous") show(current - 1);
      else if (move === "next") show(current + 1);
      else show(events.length);
    });
  });
  show(events.length);
})();
