/* Classes and students: check a roster file (POST /api/rosters/preview/, nothing written),
 * read every problem by sheet, row and column, then import every row or none
 * (POST /api/rosters/) with the same file, still in the form.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var t = B.t;
  var make = B.make;
  var each = B.each;
  var form = document.getElementById("roster-form");
  if (!form) return;
  var report = document.getElementById("roster-report");
  var importButton = document.getElementById("roster-import");
  var state = document.getElementById("roster-state");
  var errors = form.querySelector("[data-errors]");

  function formData() {
    var data = new FormData();
    data.append("file", form.elements.file.files[0]);
    data.append("organisation", form.elements.organisation.value);
    data.append("school_year", form.elements.school_year.value);
    return data;
  }

  function showError(message) {
    errors.textContent = message;
    errors.hidden = !message;
  }

  function countsTable(counts) {
    var table = make("table", "grid stack");
    table.setAttribute("data-testid", "roster-counts");
    var head = make("tr");
    head.appendChild(make("th", null, ""));
    head.appendChild(make("th", null, t("what")));
    table.appendChild(make("thead")).appendChild(head);
    var body = table.appendChild(make("tbody"));
    each(["classes", "teachers", "students", "assignments"], function (kind) {
      var parts = [];
      var values = counts[kind] || {};
      Object.keys(values).forEach(function (key) {
        if (values[key]) parts.push(values[key] + " " + t(key));
      });
      var row = make("tr");
      row.appendChild(make("th", null, t(kind)));
      var cell = make("td", null, parts.length ? parts.join(", ") : "–");
      cell.setAttribute("data-label", t("what"));
      row.appendChild(cell);
      body.appendChild(row);
    });
    return table;
  }

  function problemsTable(problems) {
    var table = make("table", "grid stack");
    table.setAttribute("data-testid", "roster-problems");
    var head = make("tr");
    each(["sheet", "row", "column", "problem"], function (key) { head.appendChild(make("th", null, t(key))); });
    table.appendChild(make("thead")).appendChild(head);
    var body = table.appendChild(make("tbody"));
    each(problems, function (p) {
      var row = make("tr", "error-row");
      each([["sheet", p.sheet], ["row", p.row], ["column", p.column], ["problem", p.message]], function (pair) {
        var cell = make("td", null, pair[1] === null || pair[1] === undefined ? "–" : String(pair[1]));
        cell.setAttribute("data-label", t(pair[0]));
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
    return table;
  }

  function render(result, done) {
    B.clear(report);
    if (done) {
      var notice = report.appendChild(make("p", "notice notice-ok", t("imported") + " "));
      var link = notice.appendChild(make("a", null, t("showClasses")));
      link.href = "?year=" + encodeURIComponent(form.elements.school_year.value);
    } else if (result.ok) {
      report.appendChild(make("p", "notice notice-ok", t("rosterOk")));
    } else {
      report.appendChild(make("p", "notice", B.format(t("rosterProblems"), { count: result.problems.length })));
    }
    report.appendChild(countsTable(result.counts));
    if (result.problems.length) report.appendChild(problemsTable(result.problems));
  }

  function send(url, busy) {
    showError("");
    if (!form.elements.file.files.length) {
      showError(t("chooseFile"));
      return null;
    }
    state.textContent = busy;
    importButton.disabled = true;
    return B.api("POST", url, formData()).then(function (result) {
      state.textContent = "";
      return result;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var sent = send("/api/rosters/preview/", t("checking"));
    if (!sent) return;
    sent.then(function (result) {
      if (!result.ok) { showError(B.failure(result)); return; }
      render(result.data, false);
      importButton.disabled = !result.data.ok;
    });
  });

  form.elements.file.addEventListener("change", function () {
    importButton.disabled = true;
    B.clear(report);
  });

  importButton.addEventListener("click", function () {
    var sent = send("/api/rosters/", t("importing"));
    if (!sent) return;
    sent.then(function (result) {
      if (!result.ok) { showError(B.failure(result)); return; }
      // The import runs as a job: follow its progress, then show its report.
      var bar = B.progressBar();
      B.clear(report);
      report.appendChild(bar.element);
      B.followJob(result.data.job, bar.show).then(function (job) {
        B.clear(report);
        if (job.status === "succeeded") render(job.result, true);
        else if (job.error && job.error.report) render(job.error.report, false);
        else showError((job.error && job.error.message) || t("error"));
      });
    });
  });
})();

/* The class page: each student's photo for check-in on exam day, shown as a thumbnail
 * (GET /api/people/<id>/photo/) and, for the school's administrator, uploaded (PUT, multipart
 * "file": the server keeps a re-encoded JPEG) or removed (DELETE). The words come translated
 * in the table's data-photo-* attributes.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var table = document.querySelector("[data-photos]");
  if (!B || !table) return;
  var words = {
    uploading: table.getAttribute("data-photo-uploading"),
    removing: table.getAttribute("data-photo-removing"),
    saved: table.getAttribute("data-photo-saved"),
    removed: table.getAttribute("data-photo-removed"),
    confirmRemove: table.getAttribute("data-photo-confirm")
  };

  function setUp(cell) {
    var url = cell.getAttribute("data-photo-url");
    var input = cell.querySelector("[data-photo-file]");
    var removeButton = cell.querySelector("[data-photo-remove]");
    var state = cell.querySelector("[data-photo-state]");
    var thumb = cell.querySelector(".photo-thumb");
    var none = cell.querySelector(".photo-none");
    if (!url || !input) return;

    function show(hasPhoto) {
      // A new address each time: the browser must not show the photo it had.
      if (hasPhoto) thumb.src = url + "?v=" + Date.now();
      else thumb.removeAttribute("src");
      thumb.hidden = !hasPhoto;
      none.hidden = hasPhoto;
      removeButton.hidden = !hasPhoto;
      cell.querySelector("[data-when=none]").hidden = hasPhoto;
      cell.querySelector("[data-when=some]").hidden = !hasPhoto;
    }

    function say(message, failed) {
      state.textContent = message;
      state.classList.toggle("error", !!failed);
    }

    function busy(on) {
      input.disabled = on;
      removeButton.disabled = on;
      cell.classList.toggle("is-busy", on);
    }

    input.addEventListener("change", function () {
      if (!input.files.length) return;
      var data = new FormData();
      data.append("file", input.files[0]);
      busy(true);
      say(words.uploading);
      B.api("PUT", url, data).then(function (result) {
        busy(false);
        input.value = "";
        if (!result.ok) { say(B.failure(result), true); return; }
        show(result.data.has_photo);
        say(words.saved);
      });
    });

    removeButton.addEventListener("click", function () {
      if (!window.confirm(words.confirmRemove)) return;
      busy(true);
      say(words.removing);
      B.api("DELETE", url).then(function (result) {
        busy(false);
        if (!result.ok) { say(B.failure(result), true); return; }
        show(false);
        say(words.removed);
      });
    });
  }

  B.each(Array.prototype.slice.call(table.querySelectorAll(".photo-cell")), setUp);
})();
