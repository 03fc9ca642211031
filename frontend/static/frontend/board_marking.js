/* The board's marking page of a sitting (board_marking.html).
 *
 * GET /api/sittings/<id>/marking/ gives the plan's progress (null before a plan); PUT sets the
 * plan: {double, tolerance, markers: [user names], adjudicators: [user names]}. The server
 * checks everything; its messages show next to the fields (Bank.errors). The progress is read
 * again every 20 seconds while the page is open.
 */
(function () {
  "use strict";

  function start() {
    var B = window.Bank;
    var page = document.querySelector("[data-testid=board-marking]");
    if (!B || !page) return;
    var t = B.t;
    var make = B.make;
    var url = "/api/sittings/" + B.config.sitting + "/marking/";
    var form = document.getElementById("plan-form");
    var state = form.querySelector("[data-state]");
    var notice = document.getElementById("marking-notice");
    var summary = document.getElementById("marking-summary");
    var rows = document.getElementById("marker-rows");
    var bar = B.progressBar();
    document.getElementById("marking-bar").appendChild(bar.element);

    function lines(text) {
      return String(text || "").split(/[\s,;]+/).filter(function (name) { return name.length > 0; });
    }

    function show(plan) {
      B.clear(rows);
      if (!plan) {
        summary.textContent = t("noPlan");
        bar.element.hidden = true;
        return;
      }
      summary.textContent = B.format(t("summary"), plan);
      bar.element.hidden = plan.scripts === 0;
      bar.show({ percent: plan.scripts ? Math.round((100 * plan.done) / plan.scripts) : 0 });
      B.each(plan.markers, function (m) {
        var row = make("tr");
        row.setAttribute("data-marker", m.username);
        function cell(label, value) {
          var td = make("td", null, String(value));
          td.setAttribute("data-label", label);
          row.appendChild(td);
          return td;
        }
        var heads = page.querySelectorAll("thead th");
        cell(heads[0].textContent, m.name + (m.name !== m.username ? " · " + m.username : ""));
        cell(heads[1].textContent, m.removed ? t("removed") : m.adjudicator ? t("adjudicatorYes") : t("markerOnly"));
        cell(heads[2].textContent, m.first);
        cell(heads[3].textContent, m.second);
        cell(heads[4].textContent, m.adjudication);
        cell(heads[5].textContent, m.marks).setAttribute("data-testid", "marks-given");
        rows.appendChild(row);
      });
    }

    function load() {
      return B.api("GET", url).then(function (answer) {
        if (answer.ok) show(answer.data.plan);
        else B.notice(notice, B.failure(answer), "error");
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(form);
      state.textContent = t("saving");
      var body = {
        double: form.elements.double.checked,
        tolerance: form.elements.tolerance.value || "0",
        markers: lines(form.elements.markers.value),
        adjudicators: lines(form.elements.adjudicators.value)
      };
      B.api("PUT", url, body).then(function (answer) {
        state.textContent = "";
        if (answer.ok) {
          B.notice(notice, t("saved"), "ok");
          show(answer.data.plan);
        } else if (answer.status === 400) {
          B.errors.show(form, answer.data);
        } else {
          B.notice(notice, B.failure(answer), "error");
        }
      });
    });

    load();
    window.setInterval(function () { if (!document.hidden) load(); }, 20000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
