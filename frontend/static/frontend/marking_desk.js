/* A marker's desk (marking_desk.html): one script at a time.
 *
 * POST /api/marking/<plan>/next/ gives the script on the marker's desk (204: nothing left);
 * POST /api/marking/scripts/<code>/marks/ saves the mark ({levels} by the rubric, or {points}
 * where the item has none, and a comment); POST .../release/ puts the script back. The
 * script holds no name, number or class of the candidate: only its code. The response is
 * shown as text, never as markup; the question's HTML is the server's (sanitised when saved).
 */
(function () {
  "use strict";

  function start() {
    var B = window.Bank;
    var box = document.getElementById("script");
    if (!B || !box) return;
    var t = B.t;
    var make = B.make;
    var plan = B.config.plan;
    var notice = document.getElementById("desk-notice");
    var empty = document.getElementById("desk-empty");
    var form = document.getElementById("mark-form");
    var state = form.querySelector("[data-state]");
    var rubricBox = document.getElementById("rubric");
    var pointsField = document.getElementById("points-field");
    var current = null;

    function text(id, value) { document.getElementById(id).textContent = value; }

    function showRubric(rubric) {
      B.clear(rubricBox);
      pointsField.hidden = rubric.length > 0;
      B.each(rubric, function (criterion, index) {
        var set = make("fieldset", "plain rubric-criterion");
        set.setAttribute("data-criterion", criterion.criterion);
        set.appendChild(make("legend", null, criterion.criterion));
        var choices = set.appendChild(make("div", "checks"));
        B.each(criterion.levels, function (level) {
          var label = make("label", "check");
          var input = make("input");
          input.type = "radio";
          input.name = "level-" + index;
          input.value = level.label;
          label.appendChild(input);
          label.appendChild(document.createTextNode(" " + B.format(t("levelPoints"), level)));
          choices.appendChild(label);
        });
        rubricBox.appendChild(set);
      });
    }

    function showMarks(marks) {
      var wrap = document.getElementById("script-marks");
      var list = document.getElementById("script-mark-list");
      B.clear(list);
      wrap.hidden = !marks.length;
      B.each(marks, function (m) {
        var line = B.format(t("givenMark"), { round: t("round_" + m.round), points: m.points });
        list.appendChild(make("li", null, line + (m.comment ? " · " + m.comment : "")));
      });
    }

    function show(script) {
      current = script;
      form.reset();
      B.errors.clear(form);
      box.hidden = false;
      empty.hidden = true;
      text("script-code", B.format(t("scriptCode"), { code: script.code }));
      text("script-round", t("round_" + script.round));
      text("script-points", B.format(t("outOf"), { points: script.points }));
      document.getElementById("script-stem").innerHTML = script.stem_html;
      text("script-words", B.format(t("words"), { count: script.words }));
      var response = document.getElementById("script-response");
      response.textContent = script.response || t("emptyResponse");
      response.classList.toggle("muted", !script.response);
      document.getElementById("mark-points").max = script.points;
      showRubric(script.rubric);
      showMarks(script.marks);
      box.scrollIntoView({ block: "start" });
    }

    function next() {
      state.textContent = t("loading");
      return B.api("POST", "/api/marking/" + plan + "/next/").then(function (answer) {
        state.textContent = "";
        if (answer.status === 204) {
          current = null;
          box.hidden = true;
          empty.hidden = false;
          empty.textContent = t("nothingLeft");
        } else if (answer.ok) {
          show(answer.data);
        } else {
          B.notice(notice, B.failure(answer), "error");
        }
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!current) return;
      B.errors.clear(form);
      var levels = {};
      B.each(current.rubric, function (criterion, index) {
        var chosen = form.querySelector("input[name='level-" + index + "']:checked");
        if (chosen) levels[criterion.criterion] = chosen.value;
      });
      var body = { levels: levels, comment: form.elements.comment.value };
      if (!current.rubric.length) body.points = form.elements.points.value;
      state.textContent = t("saving");
      B.api("POST", "/api/marking/scripts/" + encodeURIComponent(current.code) + "/marks/", body).then(function (answer) {
        state.textContent = "";
        if (answer.ok) {
          var done = answer.data.status === "done";
          B.notice(notice, done ? B.format(t("marked"), { points: answer.data.final_points }) : t("markedPartly"), "ok");
          next();
        } else if (answer.status === 400) {
          B.errors.show(form, answer.data);
        } else {
          B.notice(notice, B.failure(answer), "error");
        }
      });
    });

    document.getElementById("mark-release").addEventListener("click", function () {
      if (!current) return;
      B.api("POST", "/api/marking/scripts/" + encodeURIComponent(current.code) + "/release/").then(function (answer) {
        if (answer.ok) {
          B.notice(notice, t("released"), "ok");
          current = null;
          box.hidden = true;
        } else {
          B.notice(notice, B.failure(answer), "error");
        }
      });
    });

    next();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
