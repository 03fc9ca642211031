/* The bank's list: search box and filters -> GET /api/items/?...&page=N, one row per item.
 *
 * The filters live in the page's address (?q=&subject=...), so a reload or the Back button
 * shows the same list; the export links follow the subject and status chosen. Each row's
 * text is the server's text_html (formulas drawn as MathML on the server).
 *
 * Rows may be selected (the selection stays while paging, at most config.maxBulk items) and
 * one action applied to all of them: POST /api/items/bulk/ submits, approves, shares or
 * publishes each on its own, and the report says which were refused and why.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var t = B.t;
  var make = B.make;
  var el = function (id) { return document.getElementById(id); };

  var form = el("filters");
  var FILTERS = ["q", "subject", "topic", "level", "item_type", "status", "visibility", "grade", "mine"];
  var STATIC = ["q", "grade", "mine"];
  var meta = null;
  var page = 1;
  var seq = 0;
  var MAX_BULK = B.config.maxBulk || 200;
  var selected = {}; // item id -> true: the selection for a bulk action, kept across pages
  var shown = []; // the ids of the rows on the page

  function control(name) { return form.elements[name]; }

  function readFilters() {
    var out = {};
    FILTERS.forEach(function (name) {
      var input = control(name);
      if (!input) return;
      out[name] = input.type === "checkbox" ? input.checked : input.value.trim();
    });
    return out;
  }

  // The filters from the address: the fields the page holds at once (staticOnly), or all of
  // them once the vocabulary has filled the selects.
  function fromAddress(staticOnly) {
    var params = new URLSearchParams(window.location.search);
    FILTERS.forEach(function (name) {
      var input = control(name);
      if (!input || name === "topic") return;
      if (staticOnly !== (STATIC.indexOf(name) !== -1)) return;
      var value = params.get(name) || "";
      if (input.type === "checkbox") input.checked = value === "1";
      else input.value = value;
    });
    if (!staticOnly) fillTopics(params.get("topic") || "");
    page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  }

  function fillTopics(topic) {
    var subject = B.subjectOf(meta, control("subject").value);
    B.fillSelect(control("topic"), B.topicChoices(subject), topic, t("allTopics"));
    control("topic").disabled = !subject;
  }

  function updateExports(filters) {
    B.each(document.querySelectorAll("[data-export]"), function (link) {
      link.href = "/api/exports/" + B.query({ format: link.getAttribute("data-export"), subject: filters.subject, status: filters.status, item_type: filters.item_type });
    });
  }

  // An export runs as a job (POST /api/exports/): its progress here, then its file downloads.
  B.each(document.querySelectorAll("[data-export]"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var filters = readFilters();
      var state = B.clear(el("export-state"));
      var body = { format: link.getAttribute("data-export") };
      if (filters.subject) body.subject = filters.subject;
      if (filters.status) body.status = filters.status;
      if (filters.item_type) body.item_type = filters.item_type;
      B.api("POST", "/api/exports/", body).then(function (result) {
        if (!result.ok) { state.appendChild(B.make("span", "error", B.failure(result))); return; }
        var bar = B.progressBar();
        state.appendChild(bar.element);
        B.followJob(result.data.job, bar.show).then(function (job) {
          B.clear(state);
          if (job.status !== "succeeded") {
            state.appendChild(B.make("span", "error", (job.error && job.error.message) || t("error")));
            return;
          }
          var file = B.link(B.format(t("exportReady"), { count: job.result.items, name: job.result.filename }), job.result.download);
          file.setAttribute("download", job.result.filename);
          file.setAttribute("data-testid", "export-file");
          state.appendChild(file);
          window.location.assign(job.result.download);
        });
      });
    });
  });

  function load(push) {
    var filters = readFilters();
    var address = B.query(Object.assign({}, filters, { page: page > 1 ? page : "" }));
    if (push) window.history.pushState(null, "", window.location.pathname + address);
    updateExports(filters);
    var mine = ++seq;
    el("result-count").textContent = t("loading");
    el("results").setAttribute("aria-busy", "true");
    B.api("GET", "/api/items/" + B.query(Object.assign({}, filters, { page: page }))).then(function (result) {
      if (mine !== seq) return;
      el("results").removeAttribute("aria-busy");
      if (!result.ok) {
        el("result-count").textContent = "";
        B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      B.notice(el("page-notice"), "");
      render(result.data);
    });
  }

  function render(data) {
    var body = B.clear(el("results"));
    var rows = data.results || [];
    el("result-count").textContent = B.format(t("itemCount"), { count: data.count === undefined ? rows.length : data.count });
    shown = rows.map(function (item) { return item.id; });
    if (!rows.length) {
      var empty = make("tr");
      var cell = make("td", "muted", t("noItems"));
      cell.colSpan = 7;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    rows.forEach(function (item) {
      var latest = item.latest || {};
      var tr = make("tr");
      tr.setAttribute("data-item", item.id);
      var pickCell = make("td", "pick");
      var pick = make("input", "pick-item");
      pick.type = "checkbox";
      pick.value = String(item.id);
      pick.checked = !!selected[item.id];
      pick.setAttribute("aria-label", B.format(t("selectItem"), { id: item.id }));
      pick.addEventListener("change", function () { choose(item.id, pick.checked, pick); });
      pickCell.appendChild(pick);
      tr.appendChild(pickCell);
      var textCell = make("td", "item-text");
      var itemLink = B.link("", "/bank/items/" + item.id + "/", "item-link");
      // The server's text_html: escaped text with its formulas as sanitised MathML (itembank.rendering).
      if (latest.text_html) itemLink.innerHTML = latest.text_html;
      else itemLink.textContent = latest.text || item.title || ("#" + item.id);
      textCell.appendChild(itemLink);
      var sub = make("div", "muted small");
      sub.textContent = "#" + item.id + " · " + [item.subject_name, item.topic_name, item.grade ? t("grade") + " " + item.grade : ""]
        .filter(function (x) { return x; }).join(" · ");
      textCell.appendChild(sub);
      tr.appendChild(textCell);
      tr.appendChild(make("td", null, item.item_type_label || item.item_type));
      tr.appendChild(make("td", null, item.level_label || item.level));
      var status = make("td", "status");
      status.appendChild(B.statusPill(latest.status, latest.status_label));
      if (latest.number) status.appendChild(make("span", "muted small", " v" + latest.number));
      tr.appendChild(status);
      tr.appendChild(make("td", "key-summary", latest.key_summary || ""));
      var who = make("td");
      who.appendChild(make("div", null, item.author_name || ""));
      who.appendChild(make("div", "muted small", item.owner_name || ""));
      tr.appendChild(who);
      body.appendChild(tr);
    });
    var pages = data.pages || 1;
    var current = data.page || page;
    el("page-info").textContent = B.format(t("pageOf"), { page: current, pages: pages });
    el("prev-page").disabled = current <= 1;
    el("next-page").disabled = current >= pages;
    el("pager").hidden = pages <= 1;
    updateBulk();
  }

  /* --- bulk actions: the selection (kept across pages) -> POST /api/items/bulk/ ---------- */

  function selectedIds() {
    return Object.keys(selected).map(function (id) { return parseInt(id, 10); });
  }

  function choose(id, on, box) {
    if (on && !selected[id] && selectedIds().length >= MAX_BULK) {
      if (box) box.checked = false;
      B.notice(el("page-notice"), B.format(t("bulkTooMany"), { max: MAX_BULK }), "error");
      return false;
    }
    if (on) selected[id] = true;
    else delete selected[id];
    updateBulk();
    return true;
  }

  function updateBulk() {
    var count = selectedIds().length;
    el("bulk-count").textContent = B.format(t("selectedCount"), { count: count });
    el("bulk-clear").disabled = count === 0;
    var onPage = shown.filter(function (id) { return selected[id]; }).length;
    var all = el("select-page");
    all.checked = shown.length > 0 && onPage === shown.length;
    all.indeterminate = onPage > 0 && onPage < shown.length;
    all.disabled = shown.length === 0;
    el("bulk-visibility-field").hidden = el("bulk-action").value !== "share";
  }

  function showReport(data) {
    var box = B.clear(el("bulk-report"));
    var counts = data.counts || {};
    box.className = "notice bulk-report" + (counts.refused ? " notice-error" : " notice-ok");
    box.appendChild(make("p", null, B.format(t("bulkReport"), counts)));
    var refused = (data.results || []).filter(function (row) { return row.outcome === "refused"; });
    if (refused.length) {
      var list = make("ul");
      refused.forEach(function (row) {
        var li = make("li");
        li.setAttribute("data-item", row.item);
        li.setAttribute("data-code", row.code || "");
        li.appendChild(B.link("#" + row.item, "/bank/items/" + row.item + "/"));
        li.appendChild(document.createTextNode(": " + (row.message || t("bulkRefused"))));
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    box.hidden = false;
    box.focus();
  }

  el("bulk").addEventListener("submit", function (event) {
    event.preventDefault();
    var ids = selectedIds();
    var action = el("bulk-action").value;
    var visibility = el("bulk-visibility").value;
    if (!ids.length) return B.notice(el("page-notice"), t("chooseItems"), "error");
    if (!action) return B.notice(el("page-notice"), t("chooseAction"), "error");
    if (action === "share" && !visibility) return B.notice(el("page-notice"), t("chooseVisibility"), "error");
    B.notice(el("page-notice"), B.format(t("bulkWorking"), { count: ids.length }));
    el("bulk-apply").disabled = true;
    var body = { action: action, items: ids };
    if (action === "share") body.visibility = visibility;
    B.api("POST", "/api/items/bulk/", body).then(function (result) {
      el("bulk-apply").disabled = false;
      if (!result.ok) {
        B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      B.notice(el("page-notice"), "");
      selected = {};
      showReport(result.data);
      load(false);
    });
  });
  el("bulk-action").addEventListener("change", updateBulk);
  el("bulk-clear").addEventListener("click", function () {
    selected = {};
    B.each(document.querySelectorAll("#results .pick-item"), function (box) { box.checked = false; });
    updateBulk();
  });
  el("select-page").addEventListener("change", function () {
    var on = el("select-page").checked;
    B.each(document.querySelectorAll("#results .pick-item"), function (box) {
      if (box.checked !== on && choose(parseInt(box.value, 10), on, box)) box.checked = on;
    });
    updateBulk();
  });

  var typed = B.debounce(function () { page = 1; load(true); }, 500);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    typed.cancel();
    page = 1;
    load(true);
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "q") return;
    if (event.target.name === "subject") fillTopics("");
    page = 1;
    load(true);
  });
  control("q").addEventListener("input", typed);
  el("clear-filters").addEventListener("click", function () {
    FILTERS.forEach(function (name) {
      var input = control(name);
      if (input.type === "checkbox") input.checked = false;
      else input.value = "";
    });
    fillTopics("");
    page = 1;
    load(true);
  });
  el("prev-page").addEventListener("click", function () { page -= 1; load(true); });
  el("next-page").addEventListener("click", function () { page += 1; load(true); });
  window.addEventListener("popstate", function () {
    fromAddress(true);
    fromAddress(false);
    load(false);
  });
  fromAddress(true);
  updateBulk();

  B.meta().then(function (data) {
    meta = data;
    B.fillSelect(control("subject"), (data.subjects || []).map(function (s) { return { value: s.code, label: s.name }; }), "", t("allSubjects"));
    B.fillSelect(control("level"), B.choices(data.levels), "", t("allLevels"));
    B.fillSelect(control("item_type"), B.choices(data.item_types), "", t("allTypes"));
    B.fillSelect(control("status"), B.choices(data.statuses), "", t("allStatuses"));
    B.fillSelect(control("visibility"), B.choices(data.visibilities), "", t("allVisibilities"));
    B.fillSelect(el("bulk-visibility"), B.choices(data.visibilities), "school");
    fromAddress(false);
    load(false);
  }, function (result) {
    B.notice(el("page-notice"), B.failure(result), "error");
    load(false);
  });
})();
