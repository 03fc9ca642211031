/* The review queue: versions submitted by colleagues (GET /api/review-queue/).
 *
 * Opening one shows what the student will see (ItemRenderer, read-only), the key, the whole
 * content document, what changed since the previous version and its history; the reviewer
 * approves it or asks for changes, saying what (the comment is required then).
 */
(function () {
  "use strict";

  var B = window.Bank;
  var t = B.t;
  var make = B.make;
  var each = B.each;
  var el = function (id) { return document.getElementById(id); };

  // The key fields of each type, shown to the reviewer in full (docs: item content contract).
  var KEY_FIELDS = {
    single_choice: ["key"],
    multiple_response: ["keys", "scoring"],
    true_false_group: ["keys", "scale"],
    short_numeric: ["answer", "tolerance", "boxes"],
    text_entry: ["answers", "match", "ignore_diacritics"],
    inline_choice: ["keys", "scoring"],
    matching: ["pairs", "scoring"],
    ordering: ["order", "scoring"],
    essay: ["rubric", "max_words"]
  };

  var meta = null;
  var current = null; // {entry, item, version}

  function describe(value) {
    if (value === null || value === undefined) return "—";
    if (value === true) return t("keyTrue");
    if (value === false) return t("keyFalse");
    if (Object.prototype.toString.call(value) === "[object Array]") {
      return value.map(function (v) {
        if (v && typeof v === "object" && v.criterion !== undefined) {
          return v.criterion + ": " + (v.levels || []).map(function (l) { return l.label + " (" + l.points + ")"; }).join(", ");
        }
        return describe(v);
      }).join(" | ");
    }
    if (typeof value === "object") {
      return Object.keys(value).map(function (k) { return k + ": " + describe(value[k]); }).join(", ");
    }
    return String(value);
  }

  function loadQueue() {
    return B.api("GET", "/api/review-queue/").then(function (result) {
      var body = B.clear(el("queue"));
      if (!result.ok) {
        B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      var rows = result.data.results || [];
      el("queue-empty").hidden = rows.length > 0;
      el("queue-table").hidden = rows.length === 0;
      rows.forEach(function (entry) {
        var tr = make("tr");
        tr.setAttribute("data-version", entry.version);
        tr.setAttribute("data-item", entry.item);
        var text = make("td", "item-text");
        var excerpt = make("div", "item-excerpt");
        // The server's text_html: escaped text with its formulas as sanitised MathML (itembank.rendering).
        if (entry.text_html) excerpt.innerHTML = entry.text_html;
        else excerpt.textContent = entry.text || "#" + entry.item;
        text.appendChild(excerpt);
        text.appendChild(make("div", "muted small", "#" + entry.item + " · " + t("version") + " " + entry.number));
        tr.appendChild(text);
        tr.appendChild(make("td", null, entry.subject_name || ""));
        tr.appendChild(make("td", null, entry.item_type_label || entry.item_type));
        tr.appendChild(make("td", null, entry.author_name || ""));
        tr.appendChild(make("td", null, B.formatDate(entry.submitted_at)));
        var action = make("td");
        var open = B.button(t("open"), "open-review", function () { openEntry(entry); });
        open.setAttribute("aria-label", t("open") + ": #" + entry.item + " " + t("version") + " " + entry.number);
        action.appendChild(open);
        tr.appendChild(action);
        body.appendChild(tr);
      });
    });
  }

  function openEntry(entry) {
    var panel = el("review-panel");
    panel.hidden = false;
    var excerpt = entry.text && entry.text.length > 90 ? entry.text.slice(0, 89) + "…" : entry.text;
    el("review-heading").textContent = "#" + entry.item + " · " + t("version") + " " + entry.number + (excerpt ? " · " + excerpt : "");
    B.clear(el("review-preview"));
    B.clear(el("review-keys"));
    B.clear(el("review-diff"));
    B.clear(el("review-history"));
    el("review-content").textContent = "";
    el("review-comment").value = "";
    B.errors.clear(el("review-form"));
    B.api("GET", "/api/items/" + entry.item + "/").then(function (result) {
      if (!result.ok) {
        B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      var item = result.data;
      var version = null;
      each(item.versions || [], function (v) { if (v.id === entry.version) version = v; });
      if (!version) return;
      current = { entry: entry, item: item, version: version };
      showVersion(item, version);
      el("review-heading").focus();
    });
    B.api("GET", "/api/item-versions/" + entry.version + "/diff/").then(function (result) {
      if (result.ok) B.renderDiff(el("review-diff"), result.data);
      else el("review-diff").textContent = B.failure(result);
    });
    B.api("GET", "/api/item-versions/" + entry.version + "/history/").then(function (result) {
      if (!result.ok) return;
      each(result.data.results || [], function (event) {
        var li = make("li", null, B.labelOf(meta.statuses, event.from_status) + " → " + B.labelOf(meta.statuses, event.to_status) +
          " · " + (event.by_name || "") + " · " + B.formatDate(event.at));
        if (event.comment) li.appendChild(make("blockquote", "comment", event.comment));
        el("review-history").appendChild(li);
      });
    });
  }

  function showVersion(item, version) {
    window.ItemRenderer.render(el("review-preview"), version.preview, { readOnly: true, name: "review-item" });
    el("review-key-summary").textContent = version.key_summary || "—";
    var keys = el("review-keys");
    var facts = [
      [t("subject"), item.subject_name || item.subject],
      [t("itemType"), B.labelOf(meta.item_types, item.item_type)],
      [t("level"), B.labelOf(meta.levels, item.level)],
      [t("points"), version.points]
    ];
    each(KEY_FIELDS[item.item_type] || [], function (name) {
      var value = version.content[name];
      facts.push([B.fieldLabel(name), name === "scale" && (value === null || value === undefined) ? t("nationalScaleShort") : describe(value)]);
    });
    each(facts, function (fact) {
      keys.appendChild(make("dt", null, fact[0]));
      keys.appendChild(make("dd", null, fact[1] === undefined ? "" : String(fact[1])));
    });
    el("review-content").textContent = JSON.stringify(version.content, null, 2);
    el("review-open-editor").href = "/bank/items/" + item.id + "/";
  }

  function decide(action) {
    if (!current) return;
    var form = el("review-form");
    B.errors.clear(form);
    var comment = el("review-comment").value.trim();
    if (action === "request-changes" && !comment) {
      B.errors.show(form, { error: { fields: { comment: [t("commentRequired")] } } }, "client");
      el("review-comment").focus();
      return;
    }
    var buttons = [el("approve"), el("request-changes")];
    each(buttons, function (b) { b.disabled = true; });
    B.api("POST", "/api/item-versions/" + current.version.id + "/" + action + "/", { comment: comment }).then(function (result) {
      each(buttons, function (b) { b.disabled = false; });
      if (!result.ok) {
        if (result.status === 400) B.errors.show(form, result.data, "server");
        else B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      B.notice(el("page-notice"), action === "approve" ? t("approvedNotice") : t("changesRequestedNotice"), "ok");
      el("review-panel").hidden = true;
      current = null;
      loadQueue().then(function () { el("page-notice").focus(); });
    });
  }

  el("approve").addEventListener("click", function () { decide("approve"); });
  el("request-changes").addEventListener("click", function () { decide("request-changes"); });
  el("close-review").addEventListener("click", function () {
    el("review-panel").hidden = true;
    current = null;
  });

  B.meta().then(function (data) {
    meta = data;
    loadQueue();
  }, function (result) {
    B.notice(el("page-notice"), B.failure(result), "error");
  });
})();
