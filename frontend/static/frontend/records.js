/* The records pages (records_gradebook.html, records_class.html, records_rules.html).
 *
 * Gradebook: POST /api/records/classes/<class>/subjects/<subject>/entries/ enters an assessment
 * ({student, term, entry_type, score | comment}); PATCH /api/records/entries/<id>/ corrects one
 * ({score | comment, reason}); POST .../remove/ removes one ({reason}); PUT
 * /api/records/classes/<class>/comments/ keeps a comment. Class record: POST .../close/ {term},
 * .../reopen/ {term, reason}. Rules: PUT /api/records/rules/. The page reloads after a change:
 * the averages and levels are the server's. The server checks everything; its messages show here.
 */
(function () {
  "use strict";

  function start() {
    var B = window.Bank;
    if (!B) return;
    var t = B.t;
    var config = B.config || {};
    var notice = document.getElementById("records-notice");
    var scored = !!config.scored; // the gradebook's subject: a score, or a comment result

    function failed(answer) { B.refusal(notice, answer); }

    function done(message) {
      B.notice(notice, message, "ok");
      window.setTimeout(function () { window.location.reload(); }, 600);
    }

    function value(box) {
      var input = box.querySelector("[data-value]");
      return input ? input.value.trim() : "";
    }

    function body(text) {
      return scored ? { score: text } : { comment: text };
    }

    // --- the gradebook ---------------------------------------------------------------------
    var base = config["class"] ? "/api/records/classes/" + config["class"] + "/" : null;
    B.each(document.querySelectorAll("[data-enter]"), function (box) {
      box.querySelector("button").addEventListener("click", function () {
        var text = value(box);
        if (!text) return;
        var data = body(text);
        data.student = Number(box.getAttribute("data-student"));
        data.term = config.term;
        data.entry_type = box.getAttribute("data-enter");
        var subject = box.getAttribute("data-subject") || config.subject; // a primary class: per cell
        B.api("POST", base + "subjects/" + subject + "/entries/", data).then(function (answer) {
          if (answer.ok) done(t("entered")); else failed(answer);
        });
      });
    });
    // Primary school (Circular 27): a subject's or a quality's level, saved as it is chosen.
    B.each(document.querySelectorAll("select[data-level]"), function (select) {
      select.addEventListener("change", function () {
        var data = { student: Number(select.getAttribute("data-student")), term: config.term, level: select.value };
        if (select.getAttribute("data-subject")) data.subject = Number(select.getAttribute("data-subject"));
        else data.aspect = select.getAttribute("data-aspect");
        B.api("PUT", base + "levels/", data).then(function (answer) {
          if (answer.ok) B.notice(notice, t("saved"), "ok"); else failed(answer);
        });
      });
    });
    B.each(document.querySelectorAll("[data-correct]"), function (button) {
      button.addEventListener("click", function () {
        var id = button.getAttribute("data-correct");
        var shown = document.querySelector("[data-entry='" + id + "']");
        var text = window.prompt(t("correct"), shown ? shown.textContent.trim() : "");
        if (text === null || !text.trim()) return;
        var reason = window.prompt(t("askReason"), "");
        if (reason === null) return;
        var data = body(text.trim());
        data.reason = reason;
        B.api("PATCH", "/api/records/entries/" + id + "/", data).then(function (answer) {
          if (answer.ok) done(t("corrected")); else failed(answer);
        });
      });
    });
    B.each(document.querySelectorAll("[data-remove]"), function (button) {
      button.addEventListener("click", function () {
        var reason = window.prompt(t("askRemoveReason"), "");
        if (reason === null) return;
        B.api("POST", "/api/records/entries/" + button.getAttribute("data-remove") + "/remove/", { reason: reason }).then(function (answer) {
          if (answer.ok) done(t("removed")); else failed(answer);
        });
      });
    });
    B.each(document.querySelectorAll("[data-comment]"), function (box) {
      box.querySelector("button").addEventListener("click", function () {
        var data = { student: Number(box.getAttribute("data-comment")), term: config.term, subject: config.subject, text: value(box) };
        B.api("PUT", base + "comments/", data).then(function (answer) {
          if (answer.ok) B.notice(notice, t("saved"), "ok"); else failed(answer);
        });
      });
    });

    // --- the class's record: closing and reopening ---------------------------------------------
    B.each(document.querySelectorAll("[data-close]"), function (button) {
      button.addEventListener("click", function () {
        if (!window.confirm(t("confirmClose"))) return;
        B.api("POST", base + "close/", { term: Number(button.getAttribute("data-close")) }).then(function (answer) {
          if (answer.ok) done(t("closed")); else failed(answer);
        });
      });
    });
    B.each(document.querySelectorAll("[data-reopen]"), function (button) {
      button.addEventListener("click", function () {
        var reason = window.prompt(t("askReopenReason"), "");
        if (reason === null) return;
        B.api("POST", base + "reopen/", { term: Number(button.getAttribute("data-reopen")), reason: reason }).then(function (answer) {
          if (answer.ok) done(t("reopened")); else failed(answer);
        });
      });
    });

    // --- transcripts: issuing a signed copy, checking one ---------------------------------------
    var issue = document.querySelector("[data-issue]");
    if (issue) {
      issue.addEventListener("click", function () {
        if (!window.confirm(t("confirmIssue"))) return;
        issue.disabled = true;
        B.api("POST", "/api/records/students/" + config.student + "/transcript/issue/", {}).then(function (answer) {
          issue.disabled = false;
          if (answer.ok) done(B.format(t("issued"), { serial: answer.data.serial })); else failed(answer);
        });
      });
    }
    var verify = document.getElementById("verify-form");
    if (verify) {
      verify.addEventListener("submit", function (event) {
        event.preventDefault();
        var file = verify.file.files[0];
        if (!file) { B.notice(notice, t("chooseFile"), "error"); return; }
        var data = new FormData();
        data.append("file", file);
        B.api("POST", "/api/records/transcripts/verify/", data).then(function (answer) {
          if (!answer.ok) { failed(answer); return; }
          var r = answer.data;
          if (r.valid) {
            B.notice(notice, B.format(t("valid"), { serial: r.serial, student: r.student, learner_id: r.learner_id || "–", school: r.school, date: B.formatDate(r.issued_at) }), "ok");
          } else {
            B.notice(notice, B.format(t("invalid"), { problem: r.problem }), "error");
          }
          notice.focus();
        });
      });
    }

    // --- statistics and the education database's export (jobs) --------------------------------
    var reports = document.getElementById("report-form");
    if (reports) {
      var output = document.getElementById("report-output");
      var which = "statistics";
      B.each(reports.querySelectorAll("[data-report]"), function (button) {
        button.addEventListener("click", function () { which = button.getAttribute("data-report"); });
      });
      reports.addEventListener("submit", function (event) {
        event.preventDefault();
        B.errors.clear(reports);
        var data = { organisation: Number(reports.organisation.value), school_year: reports.school_year.value.trim() };
        B.api("POST", "/api/records/" + which + "/", data).then(function (answer) {
          if (!answer.ok) {
            if (answer.status === 400) B.errors.show(reports, answer.data);
            failed(answer);
            return;
          }
          B.followJob(answer.data.job, function (job) {
            B.notice(notice, B.format(t("working"), { percent: job.percent || 0 }), "");
          }).then(function (job) {
            if (job.status !== "succeeded") { B.notice(notice, (job.error && job.error.message) || t("error"), "error"); return; }
            B.notice(notice, B.format(t("exportReady"), { name: job.result.filename }), "ok");
            showReport(job.result);
          });
        });
      });

      var showReport = function (result) {
        B.clear(output);
        var link = B.make("a", "button secondary", t("download") + " · " + result.filename);
        link.href = result.download;
        link.setAttribute("download", "");
        link.setAttribute("data-testid", "report-download");
        output.appendChild(B.make("p")).appendChild(link);
        var figures = result.statistics;
        if (!figures) return;
        var rows = figures.schools.concat([Object.assign({ name: t("all") }, figures.total)]);
        output.appendChild(table(
          [t("school"), t("classes"), t("students"), t("female"), t("male")],
          rows.map(function (row) { return [row.name, row.classes, row.students, row.by_gender.female || 0, row.by_gender.male || 0]; }),
          "statistics-start"
        ));
        ["1", "2", "year"].forEach(function (period) {
          output.appendChild(B.make("h2", "", t("period_" + period)));
          output.appendChild(table(
            [t("school"), t("students")].concat(config.levels.map(function (level) { return level[1]; }), period === "year" ? [t("retakes")] : []),
            rows.map(function (row) {
              var levels = row.periods[period].levels;
              return [row.name, row.students].concat(
                config.levels.map(function (level) { return levels[level[0]] || 0; }),
                period === "year" ? [row.retakes] : []
              );
            }),
            "statistics-" + period
          ));
          output.appendChild(table(
            [t("subject"), t("withAverage"), t("mean")],
            figures.total.periods[period].subjects.map(function (s) { return [s.name, s.students, s.mean === null ? "–" : Number(s.mean).toLocaleString(document.documentElement.lang, { minimumFractionDigits: 2 })]; }),
            "statistics-subjects-" + period
          ));
        });
      };

      var table = function (head, rows, testid) {
        var node = B.make("table", "grid stack");
        node.setAttribute("data-testid", testid);
        var tr = B.make("tr");
        head.forEach(function (label) { tr.appendChild(B.make("th", "", label)); });
        node.appendChild(B.make("thead")).appendChild(tr);
        var body = node.appendChild(B.make("tbody"));
        rows.forEach(function (row) {
          var line = B.make("tr");
          row.forEach(function (value, index) {
            var td = B.make("td", "", String(value));
            td.setAttribute("data-label", head[index]);
            line.appendChild(td);
          });
          body.appendChild(line);
        });
        return node;
      };
    }

    // --- the subjects' rules ------------------------------------------------------------------
    var rules = document.getElementById("rule-form");
    if (rules) {
      rules.addEventListener("submit", function (event) {
        event.preventDefault();
        B.errors.clear(rules);
        var data = {
          organisation: Number(rules.organisation.value),
          school_year: rules.school_year.value,
          grade: Number(rules.grade.value),
          subject: Number(rules.subject.value),
          mode: rules.mode.value,
          periods: Number(rules.periods.value)
        };
        B.api("PUT", "/api/records/rules/", data).then(function (answer) {
          if (answer.ok) done(t("ruleSaved"));
          else if (answer.status === 400) { B.errors.show(rules, answer.data); failed(answer); }
          else failed(answer);
        });
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
