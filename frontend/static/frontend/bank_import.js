/* The import wizard: 1. choose a file and the defaults; 2. read the report of every item
 * (POST /api/imports/, nothing written yet); 3. import all of them or none
 * (POST /api/imports/<id>/commit/) and link the new items.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var t = B.t;
  var make = B.make;
  var each = B.each;
  var el = function (id) { return document.getElementById(id); };

  var form = el("import-form");
  var meta = null;
  var importId = null;

  function step(n) {
    each([1, 2, 3], function (i) {
      el("step-" + i).hidden = i !== n;
      var marker = document.querySelector('[data-step="' + i + '"]');
      if (marker) {
        if (i === n) marker.setAttribute("aria-current", "step");
        else marker.removeAttribute("aria-current");
      }
    });
    var heading = el("step-" + n).querySelector("h2");
    if (heading) heading.focus();
  }

  function fillTopics() {
    var subject = B.subjectOf(meta, form.elements.subject.value);
    B.fillSelect(form.elements.topic, B.topicChoices(subject), "", t("noTopic"));
    form.elements.topic.disabled = !subject;
  }

  function typeLabel(code) { return B.labelOf(meta && meta.item_types, code); }
  function levelLabel(code) { return B.labelOf(meta && meta.levels, code); }

  function messages(list, className) {
    var ul = make("ul", className);
    each(list || [], function (message) { ul.appendChild(make("li", null, message)); });
    return ul;
  }

  function renderReport(host, report) {
    B.clear(host);
    var summary = make("p", "report-summary");
    summary.textContent = B.format(t("importSummary"), {
      filename: report.filename,
      format: report.format,
      items: report.item_count,
      errors: report.error_count
    });
    host.appendChild(summary);
    if ((report.file_errors || []).length) {
      host.appendChild(make("h3", "error", t("fileErrors")));
      host.appendChild(messages(report.file_errors, "errors-list"));
    }
    if ((report.file_warnings || []).length) {
      host.appendChild(make("h3", null, t("fileWarnings")));
      host.appendChild(messages(report.file_warnings, "warnings-list"));
    }
    var table = make("table", "grid import-report");
    var head = make("tr");
    each(["#", t("sourceLocation"), t("itemType"), t("previewText"), t("classification"), t("points"), t("problems")], function (label) {
      var th = make("th", null, label);
      th.scope = "col";
      head.appendChild(th);
    });
    var thead = make("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = make("tbody");
    each(report.items || [], function (item) {
      var tr = make("tr", item.ok ? "" : "row-error");
      tr.setAttribute("data-index", item.index);
      tr.setAttribute("data-ok", item.ok ? "true" : "false");
      tr.appendChild(make("td", "num", String(item.index)));
      tr.appendChild(make("td", "small", item.source));
      tr.appendChild(make("td", null, typeLabel(item.item_type)));
      var text = make("td", "item-text");
      if (item.title) text.appendChild(make("strong", null, item.title + " "));
      text.appendChild(document.createTextNode(item.preview || ""));
      tr.appendChild(text);
      tr.appendChild(make("td", "small", [item.subject, item.topic, levelLabel(item.level)].filter(function (x) { return x; }).join(" · ")));
      tr.appendChild(make("td", "num", item.points || ""));
      var problems = make("td");
      if ((item.errors || []).length) problems.appendChild(messages(item.errors, "errors-list"));
      if ((item.warnings || []).length) problems.appendChild(messages(item.warnings, "warnings-list"));
      if (item.ok && !(item.warnings || []).length) problems.appendChild(make("span", "ok-mark", t("rowOk")));
      tr.appendChild(problems);
      body.appendChild(tr);
    });
    table.appendChild(body);
    host.appendChild(table);
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "subject") fillTopics();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    B.errors.clear(form);
    var file = form.elements.file.files[0];
    if (!file) {
      B.errors.show(form, { error: { fields: { file: [t("chooseFile")] } } }, "client");
      form.elements.file.focus();
      return;
    }
    var data = new FormData();
    data.append("file", file);
    each(["format", "subject", "level", "topic", "visibility", "grade"], function (name) {
      var value = form.elements[name].value;
      if (value) data.append(name, value);
    });
    var submit = el("check-file");
    submit.disabled = true;
    el("upload-state").textContent = t("checkingFile");
    B.api("POST", "/api/imports/", data).then(function (result) {
      submit.disabled = false;
      el("upload-state").textContent = "";
      if (!result.ok) {
        if (result.status === 400) B.errors.show(form, result.data, "server");
        else B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      importId = result.data.id;
      var report = result.data.report;
      renderReport(el("report"), report);
      el("import-all").disabled = !report.ok;
      el("import-blocked").hidden = !!report.ok;
      step(2);
    });
  });

  el("import-all").addEventListener("click", function () {
    if (!importId) return;
    var button = el("import-all");
    button.disabled = true;
    el("commit-state").textContent = t("importing");
    B.api("POST", "/api/imports/" + importId + "/commit/", {}).then(function (result) {
      if (result.status !== 202) { showOutcome(result.ok, result.data, result); return; }
      // The import runs as a job: follow its progress, then show what it wrote.
      var bar = B.progressBar();
      var host = B.clear(el("result"));
      host.appendChild(bar.element);
      B.followJob(result.data.job, bar.show).then(function (job) {
        var ok = job.status === "succeeded";
        showOutcome(ok, ok ? job.result : { error: job.error, report: job.error && job.error.report }, null);
      });
    });
  });

  // What the import wrote (the items, linked), or why it wrote nothing (with the report).
  function showOutcome(ok, data, response) {
    el("commit-state").textContent = "";
    var host = B.clear(el("result"));
    if (ok) {
      var ids = data.items || [];
      var done = make("p", "report-ok", B.format(t("importedCount"), { count: ids.length }));
      done.setAttribute("data-imported", ids.length);
      host.appendChild(done);
      var list = make("ul", "imported-items");
      each(ids, function (id) {
        var li = make("li");
        li.appendChild(B.link(t("item") + " #" + id, "/bank/items/" + id + "/"));
        list.appendChild(li);
      });
      host.appendChild(list);
    } else {
      var message = response ? B.failure(response) : ((data.error && data.error.message) || t("error"));
      host.appendChild(make("p", "error", message));
      if (data && data.report) {
        var again = make("div");
        renderReport(again, data.report);
        host.appendChild(again);
      }
    }
    step(3);
  }

  each(document.querySelectorAll("[data-restart]"), function (button) {
    button.addEventListener("click", function () {
      importId = null;
      form.reset();
      fillTopics();
      step(1);
    });
  });

  B.meta().then(function (data) {
    meta = data;
    B.fillSelect(form.elements.subject, (data.subjects || []).map(function (s) { return { value: s.code, label: s.name }; }), "", t("subjectFromFile"));
    B.fillSelect(form.elements.level, B.choices(data.levels), null);
    B.fillSelect(form.elements.visibility, B.choices(data.visibilities), "school");
    fillTopics();
  }, function (result) {
    B.notice(el("page-notice"), B.failure(result), "error");
  });
})();
