/* The board's review and publication page of a sitting (board_moderation.html).
 *
 * GET /api/sittings/<id>/moderation/ gives the items (scoring, figures, flags) and the changes;
 * POST .../moderation/preview/ previews a change ({position, kind, key, keys, reason}) and
 * answers every candidate whose score it changes; POST /api/moderation/<change>/apply/ applies
 * it (the sitting is rescored in the background) and .../discard/ drops it. The publication:
 * GET /api/sittings/<id>/publication/, POST .../review/, .../publish/, .../withdraw/ {reason}.
 * The server checks everything; its messages show here.
 */
(function () {
  "use strict";

  function start() {
    var B = window.Bank;
    var page = document.querySelector("[data-testid=publication]");
    if (!B || !page) return;
    var t = B.t;
    var make = B.make;
    var base = "/api/sittings/" + B.config.sitting + "/";
    var notice = document.getElementById("moderation-notice");
    var form = document.getElementById("change-form");
    var state = form.querySelector("[data-state]");
    var itemSelect = document.getElementById("change-item");
    var kindSelect = document.getElementById("change-kind");
    var keySelect = document.getElementById("change-key");
    var keysBox = document.getElementById("change-keys");
    var preview = document.getElementById("preview");
    var items = [];
    var pending = null; // the previewed change

    function cell(row, label, content) {
      var td = make("td");
      td.setAttribute("data-label", label);
      if (content instanceof Node) td.appendChild(content); else td.textContent = content === null || content === undefined ? "–" : String(content);
      row.appendChild(td);
      return td;
    }

    function heads(table) {
      return Array.prototype.map.call(document.querySelectorAll("[data-testid=" + table + "] thead th"), function (th) { return th.textContent; });
    }

    // A figure in the page's language (7,25 in Vietnamese), ``places`` decimals (2 by default).
    function number(value, places) {
      if (value === null || value === undefined) return "–";
      var digits = places === undefined ? 2 : places;
      return Number(value).toLocaleString(document.documentElement.lang || undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }

    function keyText(item) {
      if (!item.key) return "–";
      var text = item.key;
      if (item.own_key && item.key !== item.own_key) text += " (" + B.format(t("ownKey"), { key: item.own_key }) + ")";
      if (item.accepted.length) text += " · " + B.format(t("accepted"), { keys: item.accepted.join(", ") });
      return text;
    }

    function showItems(view) {
      items = view.items;
      var rows = document.getElementById("moderation-rows");
      var labels = heads("moderation-items");
      B.clear(rows);
      B.each(items, function (item) {
        var row = make("tr");
        row.setAttribute("data-position", item.position);
        var stats = item.statistics || {};
        cell(row, labels[0], B.format(t("itemLabel"), { n: item.position }));
        cell(row, labels[1], item.item_type_label);
        cell(row, labels[2], keyText(item)).setAttribute("data-testid", "item-key");
        cell(row, labels[3], number(stats.p_value));
        cell(row, labels[4], number(stats.corrected_item_total));
        var flags = make("span");
        if (item.dropped) flags.appendChild(make("span", "pill status-pending", t("dropped")));
        if (item.trial) flags.appendChild(make("span", "pill", t("trial")));
        B.each(item.flags, function (flag) { flags.appendChild(make("span", "pill status-pending", t("flag_" + flag))); });
        cell(row, labels[5], flags).setAttribute("data-testid", "item-flags");
        rows.appendChild(row);
      });
      if (!view.run) B.notice(notice, t("noFigures"));
      var keep = itemSelect.value;
      B.fillSelect(itemSelect, items.map(function (item) {
        return { value: item.position, label: B.format(t("itemLabel"), { n: item.position }) + " · " + item.item_type_label };
      }), keep);
      showKeyChoices();
      showChanges(view.changes);
    }

    function showKeyChoices() {
      var item = null;
      B.each(items, function (i) { if (String(i.position) === itemSelect.value) item = i; });
      var options = item ? item.options : [];
      B.fillSelect(keySelect, options.map(function (o) { return { value: o.id, label: o.id + ". " + o.text }; }));
      B.clear(keysBox);
      B.each(options, function (o) {
        var label = make("label", "check");
        var box = make("input");
        box.type = "checkbox";
        box.name = "keys";
        box.value = o.id;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + o.id + ". " + o.text));
        keysBox.appendChild(label);
      });
      var kind = kindSelect.value;
      document.getElementById("change-key-field").hidden = kind !== "rekey";
      document.getElementById("change-keys-field").hidden = kind !== "accept";
    }

    function showChanges(changes) {
      var rows = document.getElementById("change-rows");
      var labels = heads("changes");
      B.clear(rows);
      B.each(changes, function (c) {
        var row = make("tr");
        cell(row, labels[0], B.formatDate(c.applied_at || c.created_at));
        cell(row, labels[1], c.position);
        cell(row, labels[2], t("kind_" + c.kind) + (c.after.key_override && c.kind === "rekey" ? " → " + c.after.key_override.key : ""));
        cell(row, labels[3], c.reason);
        cell(row, labels[4], c.applied_by || c.created_by);
        cell(row, labels[5], t("state_" + c.status));
        rows.appendChild(row);
      });
    }

    function showPublication(data) {
      document.getElementById("publication-status").textContent = t("status_" + data.status);
      var list = document.getElementById("publication-readiness");
      B.clear(list);
      var ready = data.readiness;
      if (ready.unscored) list.appendChild(make("li", null, B.format(t("unscored"), { n: ready.unscored })));
      if (ready.awaiting_marks) list.appendChild(make("li", null, B.format(t("awaitingMarks"), { n: ready.awaiting_marks })));
      if (ready.running) list.appendChild(make("li", null, t("running")));
      if (!list.children.length) list.appendChild(make("li", null, ready.results ? B.format(t("complete"), { n: ready.results }) : t("noResults")));
      document.getElementById("publication-review").hidden = data.status !== "draft";
      document.getElementById("publication-publish").hidden = data.status !== "reviewed";
      document.getElementById("publication-withdraw").hidden = data.status !== "published";
    }

    function showAppeals(list) {
      var box = document.getElementById("appeal-list");
      B.clear(box);
      document.getElementById("appeals-empty").hidden = list.length > 0;
      B.each(list, function (appeal) {
        var card = make("article", "appeal-entry");
        card.setAttribute("data-appeal", appeal.id);
        card.setAttribute("data-status", appeal.status);
        card.appendChild(make("h3", null, appeal.name + (appeal.learner_id ? " · " + appeal.learner_id : "")));
        card.appendChild(make("p", "muted", B.formatDate(appeal.filed_at) + " · " + t("appeal_" + appeal.status) +
          " · " + B.format(t("appealScores"), appeal)));
        card.appendChild(make("p", null, B.format(t("appealReason"), { reason: appeal.reason })));
        if (appeal.status !== "open") {
          card.appendChild(make("p", null, B.format(t("appealDecision"), { decision: appeal.decision })));
          box.appendChild(card);
          return;
        }
        var form = make("form", "subform");
        form.noValidate = true;
        form.appendChild(make("div", "notice")).hidden = true;
        form.firstChild.setAttribute("data-errors", "");
        B.each(appeal.items, function (item) {
          var part = make("div", "appeal-item");
          part.appendChild(make("p", null, B.format(t("itemLabel"), { n: item.item })));
          var stem = make("div", "stem");
          stem.innerHTML = item.stem_html;
          part.appendChild(stem);
          part.appendChild(make("div", "script-response", item.response || t("emptyResponse")));
          var input = make("input", "short");
          input.type = "number";
          input.min = "0";
          input.max = item.points;
          input.step = "0.25";
          input.name = "mark-" + item.item;
          input.value = item.mark === null ? "" : Number(item.mark);
          input.setAttribute("data-item", item.item);
          part.appendChild(B.field(B.format(t("markOutOf"), { points: item.points }), input, "marks"));
          form.appendChild(part);
        });
        var decision = make("input", "text-field");
        decision.type = "text";
        decision.name = "decision";
        decision.maxLength = 1000;
        form.appendChild(B.field(t("decisionLabel"), decision, "decision"));
        var button = make("button", null, t("decide"));
        button.type = "submit";
        form.appendChild(button);
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          B.errors.clear(form);
          var marks = [];
          B.each(form.querySelectorAll("input[data-item]"), function (input) {
            if (input.value !== "") marks.push({ item: Number(input.getAttribute("data-item")), points: input.value });
          });
          B.api("POST", "/api/appeals/" + appeal.id + "/decide/", { decision: decision.value, marks: marks }).then(function (answer) {
            if (answer.ok) { B.notice(notice, t("appealDecided"), "ok"); loadAppeals(); }
            else if (answer.status === 400) B.errors.show(form, answer.data);
            else failed(answer);
          });
        });
        card.appendChild(form);
        box.appendChild(card);
      });
    }

    function loadAppeals() {
      B.api("GET", base + "appeals/").then(function (answer) {
        if (answer.ok) showAppeals(answer.data); else B.notice(notice, B.failure(answer), "error");
      });
    }

    function load() {
      loadAppeals();
      B.api("GET", base + "moderation/").then(function (answer) {
        if (answer.ok) showItems(answer.data); else B.notice(notice, B.failure(answer), "error");
      });
      B.api("GET", base + "publication/").then(function (answer) {
        if (answer.ok) showPublication(answer.data); else B.notice(notice, B.failure(answer), "error");
      });
    }

    function failed(answer) { B.refusal(notice, answer); }

    // Differential item functioning, on request (GET .../dif/?by=gender|school&focal=<school>).
    var difForm = document.getElementById("dif-form");
    difForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = "?by=" + encodeURIComponent(difForm.by.value);
      if (difForm.by.value === "school" && difForm.focal) query += "&focal=" + encodeURIComponent(difForm.focal.value);
      B.api("GET", base + "dif/" + query).then(function (answer) {
        var table = document.querySelector("[data-testid=dif-items]");
        if (!answer.ok) { table.hidden = true; failed(answer); return; }
        var data = answer.data;
        document.getElementById("dif-summary").textContent = B.format(t("difSummary"), {
          focal: data.focal, n_focal: data.n_focal, reference: data.reference, n_reference: data.n_reference
        });
        var rows = document.getElementById("dif-rows");
        var labels = heads("dif-items");
        B.clear(rows);
        B.each(data.items, function (item) {
          var row = make("tr");
          row.setAttribute("data-position", item.position);
          cell(row, labels[0], B.format(t("itemLabel"), { n: item.position }));
          cell(row, labels[1], item.delta === null ? "–" : number(item.delta) + " (" + number(item.se_delta) + ")");
          var klass = make("span", item.ets_class === "C" ? "pill status-pending" : "pill", item.ets_class || "–");
          cell(row, labels[2], klass).setAttribute("data-testid", "dif-class");
          cell(row, labels[3], number(item.p_value, 3));
          cell(row, labels[4], item.n_focal + " / " + item.n_reference);
          rows.appendChild(row);
        });
        table.hidden = false;
      });
    });

    // The results as a file: a job on the server; its file is offered once made.
    var exportState = document.getElementById("export-state");
    B.each(document.querySelectorAll("[data-export]"), function (button) {
      button.addEventListener("click", function () {
        button.disabled = true;
        B.api("POST", base + "results/export/", { output: button.getAttribute("data-export") }).then(function (answer) {
          if (!answer.ok) { button.disabled = false; failed(answer); return; }
          B.followJob(answer.data.job, function (job) { exportState.textContent = t("exporting"); }).then(function (job) {
            button.disabled = false;
            B.clear(exportState);
            if (job.status !== "succeeded") { B.notice(notice, (job.error && job.error.message) || t("error"), "error"); return; }
            var link = B.make("a", "button", job.result.filename);
            link.href = job.result.download;
            link.setAttribute("download", "");
            link.setAttribute("data-testid", "export-download");
            exportState.appendChild(link);
          });
        });
      });
    });

    function publicationCall(action, body, message) {
      B.api("POST", base + "publication/" + action + "/", body || {}).then(function (answer) {
        if (answer.ok) {
          B.notice(notice, message(answer.data), "ok");
          showPublication(answer.data);
        } else {
          failed(answer);
        }
      });
    }

    document.getElementById("publication-review").addEventListener("click", function () {
      publicationCall("review", {}, function () { return t("reviewed"); });
    });
    document.getElementById("publication-publish").addEventListener("click", function () {
      if (!window.confirm(t("confirmPublish"))) return;
      publicationCall("publish", {}, function (data) {
        var last = data.events[data.events.length - 1];
        return B.format(t("publishedCount"), { count: last && last.detail ? last.detail.released : 0 });
      });
    });
    document.getElementById("publication-withdraw").addEventListener("click", function () {
      var reason = window.prompt(t("askWithdraw"));
      if (!reason) return;
      publicationCall("withdraw", { reason: reason }, function (data) {
        var last = data.events[data.events.length - 1];
        return B.format(t("withdrawnCount"), { count: last && last.detail ? last.detail.withdrawn : 0 });
      });
    });

    itemSelect.addEventListener("change", showKeyChoices);
    kindSelect.addEventListener("change", showKeyChoices);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(form);
      preview.hidden = true;
      var keys = Array.prototype.map.call(keysBox.querySelectorAll("input:checked"), function (box) { return box.value; });
      var body = {
        position: Number(itemSelect.value),
        kind: kindSelect.value,
        reason: form.elements.reason.value,
        key: kindSelect.value === "rekey" ? keySelect.value : null,
        keys: kindSelect.value === "accept" ? keys : []
      };
      state.textContent = t("previewing");
      B.api("POST", base + "moderation/preview/", body).then(function (answer) {
        state.textContent = "";
        if (!answer.ok) {
          if (answer.status === 400 && answer.data && answer.data.error && answer.data.error.fields) B.errors.show(form, answer.data);
          else failed(answer);
          return;
        }
        pending = answer.data.change;
        var summary = pending.summary;
        document.getElementById("preview-summary").textContent = summary.changed ? B.format(t("summary"), summary) : t("noChange");
        var rows = document.getElementById("preview-rows");
        var labels = heads("preview-rows");
        B.clear(rows);
        B.each(answer.data.rows, function (r) {
          var row = make("tr");
          row.setAttribute("data-student", r.student);
          cell(row, labels[0], r.name);
          cell(row, labels[1], r.learner_id);
          cell(row, labels[2], r.score_before).setAttribute("data-testid", "score-before");
          cell(row, labels[3], r.score_after).setAttribute("data-testid", "score-after");
          cell(row, labels[4], r.delta);
          rows.appendChild(row);
        });
        preview.hidden = false;
        load();
      });
    });

    document.getElementById("change-apply").addEventListener("click", function () {
      if (!pending) return;
      B.api("POST", "/api/moderation/" + pending.id + "/apply/").then(function (answer) {
        if (answer.ok) {
          B.notice(notice, B.format(t("applied"), { run: answer.data.run }), "ok");
          preview.hidden = true;
          pending = null;
          form.reset();
          window.setTimeout(load, 1500);
        } else {
          failed(answer);
        }
      });
    });
    document.getElementById("change-discard").addEventListener("click", function () {
      if (!pending) return;
      B.api("POST", "/api/moderation/" + pending.id + "/discard/").then(function (answer) {
        if (answer.ok) { B.notice(notice, t("discarded"), "ok"); preview.hidden = true; pending = null; load(); }
        else failed(answer);
      });
    });

    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
