/* Blueprints (ma trận đề): the list, and the editor with the check against the bank.
 *
 * A blueprint is parts (label, item type, points per item), each a table of topic rows x
 * cognitive level columns holding item counts. Saving sends the whole blueprint
 * (POST /api/blueprints/ or PUT /api/blueprints/<id>/); the check asks
 * GET /api/blueprints/<id>/availability/ and shows, per cell, what the bank holds against
 * what is needed, the shortfalls' messages, and the totals per level with their shares.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var t = B.t;
  var make = B.make;
  var each = B.each;
  var el = function (id) { return document.getElementById(id); };

  var ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"];

  /* --- the list ------------------------------------------------------------------------ */

  function listPage(meta) {
    var subject = el("bp-subject-filter");
    B.fillSelect(subject, subjects(meta), "", t("allSubjects"));
    function load() {
      B.api("GET", "/api/blueprints/" + B.query({ subject: subject.value })).then(function (result) {
        var body = B.clear(el("blueprints"));
        if (!result.ok) {
          B.notice(el("page-notice"), B.failure(result), "error");
          return;
        }
        var rows = result.data.results || [];
        if (!rows.length) {
          var tr = make("tr");
          var td = make("td", "muted", t("noBlueprints"));
          td.colSpan = 6;
          tr.appendChild(td);
          body.appendChild(tr);
        }
        each(rows, function (bp) {
          var tr = make("tr");
          tr.setAttribute("data-blueprint", bp.id);
          var title = make("td");
          title.appendChild(B.link(bp.title, "/bank/blueprints/" + bp.id + "/"));
          tr.appendChild(title);
          var s = B.subjectOf(meta, bp.subject);
          tr.appendChild(make("td", null, s ? s.name : bp.subject));
          tr.appendChild(make("td", null, bp.grade || ""));
          tr.appendChild(make("td", "num", String(bp.total_items)));
          tr.appendChild(make("td", "num", bp.total_points));
          tr.appendChild(make("td", null, B.formatDate(bp.updated_at)));
          body.appendChild(tr);
        });
      });
    }
    subject.addEventListener("change", load);
    load();
  }

  function subjects(meta) {
    return (meta.subjects || []).map(function (s) { return { value: s.code, label: s.name }; });
  }

  /* --- the editor ------------------------------------------------------------------------ */

  function editorPage(meta) {
    var form = el("blueprint-form");
    var partsHost = el("parts");
    var levels = meta.levels || [];
    var state = { id: B.config.blueprintId || null, dirty: false, parts: [] };

    B.fillSelect(el("bp-subject"), subjects(meta), null);
    var grades = [];
    for (var g = 1; g <= 12; g++) grades.push({ value: g, label: String(g) });
    B.fillSelect(el("bp-grade"), grades, "", "—");

    function topics() { return B.topicChoices(B.subjectOf(meta, el("bp-subject").value)); }

    function topicLabel(id) {
      var found = "";
      each(topics(), function (c) { if (String(c.value) === String(id)) found = c.name; });
      return found || "#" + id;
    }

    /* One part: its fields and its topic x level table. */
    function addPart(data) {
      data = data || {};
      var part = { rows: [] };
      var box = make("fieldset", "card part");
      var legend = make("legend");
      box.appendChild(legend);
      var fields = make("div", "meta-grid");
      var label = make("input", "text-field");
      label.type = "text";
      label.maxLength = 50;
      label.value = data.label || t("partLabel") + " " + (ROMAN[state.parts.length] || state.parts.length + 1);
      var type = make("select");
      B.fillSelect(type, B.choices(meta.item_types), data.item_type || "single_choice");
      var points = make("input", "text-field short");
      points.type = "text";
      points.setAttribute("inputmode", "decimal");
      points.value = data.points_per_item || "0.25";
      var labelField = B.field(t("partLabelField"), label);
      var typeField = B.field(t("itemType"), type);
      var pointsField = B.field(t("pointsPerItem"), points);
      fields.appendChild(labelField);
      fields.appendChild(typeField);
      fields.appendChild(pointsField);
      box.appendChild(fields);

      var table = make("table", "grid matrix");
      var caption = make("caption", null, t("matrixCaption"));
      table.appendChild(caption);
      var thead = make("thead");
      var head = make("tr");
      var th = make("th", null, t("topic"));
      th.scope = "col";
      head.appendChild(th);
      each(levels, function (level) {
        var cell = make("th", "num", level.label);
        cell.scope = "col";
        head.appendChild(cell);
      });
      head.appendChild(make("th", null, ""));
      thead.appendChild(head);
      table.appendChild(thead);
      var tbody = make("tbody");
      table.appendChild(tbody);
      box.appendChild(table);

      var adder = make("div", "row-adder");
      var topicSelect = make("select");
      var adderField = B.field(t("addTopicRow"), topicSelect);
      adder.appendChild(adderField);
      var addRow = B.button(t("addRow"), "secondary", function () {
        if (!topicSelect.value) return;
        var row = addTopicRow(part, parseInt(topicSelect.value, 10), {});
        changed();
        refreshTopicSelect();
        if (row.inputs[levels[0].code]) row.inputs[levels[0].code].focus();
      });
      adder.appendChild(addRow);
      box.appendChild(adder);

      var remove = B.button(t("removePart"), "secondary danger", function () {
        state.parts.splice(state.parts.indexOf(part), 1);
        partsHost.removeChild(box);
        relabelParts();
        changed();
        el("add-part").focus();
      });
      box.appendChild(remove);

      function refreshTopicSelect() {
        var used = part.rows.map(function (r) { return String(r.topic); });
        var free = topics().filter(function (c) { return used.indexOf(String(c.value)) === -1; });
        B.fillSelect(topicSelect, free, "", "—");
        addRow.disabled = !free.length;
      }

      part.box = box;
      part.legend = legend;
      part.tbody = tbody;
      part.label = label;
      part.type = type;
      part.points = points;
      part.fields = { label: labelField, item_type: typeField, points_per_item: pointsField };
      part.remove = remove;
      part.refreshTopicSelect = refreshTopicSelect;
      state.parts.push(part);
      partsHost.appendChild(box);

      // Cells from the API: group them into rows by topic, keeping their order.
      var byTopic = {};
      var order = [];
      each(data.cells || [], function (cell) {
        if (!byTopic[cell.topic]) {
          byTopic[cell.topic] = {};
          order.push(cell.topic);
        }
        byTopic[cell.topic][cell.level] = cell.item_count;
      });
      each(order, function (topic) { addTopicRow(part, topic, byTopic[topic]); });
      refreshTopicSelect();
      relabelParts();
      return part;
    }

    function addTopicRow(part, topic, counts) {
      var tr = make("tr");
      tr.setAttribute("data-topic", topic);
      var name = topicLabel(topic);
      var th = make("th", null, name);
      th.scope = "row";
      tr.appendChild(th);
      var row = { topic: topic, tr: tr, inputs: {}, cells: {} };
      each(levels, function (level) {
        var td = make("td", "num");
        var input = make("input", "count");
        input.type = "number";
        input.min = "0";
        input.max = "200";
        input.value = counts[level.code] ? String(counts[level.code]) : "";
        input.setAttribute("aria-label", name + " · " + level.label);
        input.setAttribute("data-level", level.code);
        td.appendChild(input);
        tr.appendChild(td);
        row.inputs[level.code] = input;
        row.cells[level.code] = td;
      });
      var actions = make("td");
      var remove = B.button(t("remove"), "secondary remove-row", function () {
        part.rows.splice(part.rows.indexOf(row), 1);
        part.tbody.removeChild(tr);
        part.refreshTopicSelect();
        changed();
      });
      remove.setAttribute("aria-label", t("remove") + ": " + name);
      actions.appendChild(remove);
      tr.appendChild(actions);
      part.rows.push(row);
      part.tbody.appendChild(tr);
      return row;
    }

    function relabelParts() {
      each(state.parts, function (part, i) {
        part.legend.textContent = t("part") + " " + (i + 1);
        part.box.setAttribute("data-field", "parts." + i);
        part.fields.label.setAttribute("data-field", "parts." + i + ".label");
        part.fields.item_type.setAttribute("data-field", "parts." + i + ".item_type");
        part.fields.points_per_item.setAttribute("data-field", "parts." + i + ".points_per_item");
        part.tbody.parentNode.setAttribute("data-field", "parts." + i + ".cells");
        part.remove.disabled = state.parts.length <= 1;
      });
    }

    function changed() {
      state.dirty = true;
    }

    function read() {
      var grade = el("bp-grade").value;
      return {
        title: el("bp-title").value.trim(),
        subject: el("bp-subject").value,
        grade: grade ? parseInt(grade, 10) : null,
        parts: state.parts.map(function (part, p) {
          var cells = [];
          each(part.rows, function (row) {
            each(levels, function (level) {
              var td = row.cells[level.code];
              td.removeAttribute("data-field");
              var raw = row.inputs[level.code].value.trim();
              if (!raw || raw === "0") return;
              // The API names a cell's errors by its index in this list.
              td.setAttribute("data-field", "parts." + p + ".cells." + cells.length);
              cells.push({ topic: row.topic, level: level.code, item_count: /^\d+$/.test(raw) ? parseInt(raw, 10) : raw });
            });
          });
          return {
            label: part.label.value.trim(),
            item_type: part.type.value,
            points_per_item: part.points.value.trim().replace(",", "."),
            cells: cells
          };
        })
      };
    }

    function load(blueprint) {
      state.id = blueprint.id;
      el("bp-title").value = blueprint.title || "";
      el("bp-subject").value = blueprint.subject;
      el("bp-grade").value = blueprint.grade ? String(blueprint.grade) : "";
      el("bp-heading").textContent = t("blueprint") + ": " + blueprint.title;
      el("bp-totals").textContent = B.format(t("blueprintTotals"), { items: blueprint.total_items, points: blueprint.total_points });
      el("delete-blueprint").hidden = false;
      B.clear(partsHost);
      state.parts = [];
      each(blueprint.parts || [], function (part) { addPart(part); });
      if (!state.parts.length) addPart();
      state.dirty = false;
    }

    function save() {
      B.errors.clear(form);
      B.notice(el("page-notice"), "");
      var body = read();
      var request = state.id
        ? B.api("PUT", "/api/blueprints/" + state.id + "/", body)
        : B.api("POST", "/api/blueprints/", body);
      el("save-blueprint").disabled = true;
      return request.then(function (result) {
        el("save-blueprint").disabled = false;
        if (!result.ok) {
          if (result.status === 400) {
            B.errors.show(form, result.data, "save");
            B.notice(el("page-notice"), t("fixErrors"), "error");
          } else {
            B.notice(el("page-notice"), B.failure(result), "error");
          }
          return false;
        }
        if (!state.id) window.history.replaceState(null, "", "/bank/blueprints/" + result.data.id + "/");
        load(result.data);
        B.notice(el("page-notice"), t("saved"), "ok");
        return true;
      });
    }

    function check() {
      var ready = state.dirty || !state.id ? save() : Promise.resolve(true);
      ready.then(function (ok) {
        if (!ok) return;
        var box = el("availability");
        box.hidden = false;
        B.clear(el("availability-body")).appendChild(make("p", "muted", t("loading")));
        B.api("GET", "/api/blueprints/" + state.id + "/availability/").then(function (result) {
          var host = B.clear(el("availability-body"));
          if (!result.ok) {
            host.appendChild(make("p", "error", B.failure(result)));
            return;
          }
          renderAvailability(host, result.data);
          el("availability-heading").focus();
        });
      });
    }

    // One line in the page's language: the server translates every shortfall's message.
    function message(entry) {
      return make("li", "shortfall-message", entry.message || "");
    }

    function renderAvailability(host, report) {
      var summary = make("p", report.ok ? "report-ok" : "report-short");
      summary.setAttribute("data-ok", report.ok ? "true" : "false");
      summary.textContent = report.ok
        ? t("bankHasAll")
        : B.format(t("bankLacks"), { count: report.shortfall });
      host.appendChild(summary);
      host.appendChild(make("p", null, B.format(t("blueprintTotals"), { items: report.total_items, points: report.total_points })));

      each(report.parts || [], function (part) {
        var section = make("section", "report-part");
        section.appendChild(make("h3", null, part.label + " · " + B.labelOf(meta.item_types, part.item_type) +
          " · " + B.format(t("partTotals"), { items: part.needed, points: part.points })));
        var table = make("table", "grid matrix report");
        var head = make("tr");
        head.appendChild(make("th", null, t("topic")));
        each(levels, function (level) { head.appendChild(make("th", "num", level.label)); });
        var thead = make("thead");
        thead.appendChild(head);
        table.appendChild(thead);
        var rows = {};
        var order = [];
        each(part.cells || [], function (cell) {
          if (!rows[cell.topic]) {
            rows[cell.topic] = { name: cell.topic_name, cells: {} };
            order.push(cell.topic);
          }
          rows[cell.topic].cells[cell.level] = cell;
        });
        var tbody = make("tbody");
        each(order, function (topic) {
          var tr = make("tr");
          tr.setAttribute("data-topic", topic);
          var th = make("th", null, rows[topic].name || topicLabel(topic));
          th.scope = "row";
          tr.appendChild(th);
          each(levels, function (level) {
            var cell = rows[topic].cells[level.code];
            var td = make("td", "num");
            if (cell) {
              td.setAttribute("data-level", level.code);
              td.textContent = cell.available + " / " + cell.needed;
              if (cell.shortfall) {
                td.className = "num shortfall";
                td.setAttribute("data-shortfall", cell.shortfall);
                td.appendChild(make("span", "sr-only", " " + B.format(t("missing"), { count: cell.shortfall })));
              }
            }
            tr.appendChild(td);
          });
          tbody.appendChild(tr);
        });
        table.appendChild(tbody);
        section.appendChild(table);
        host.appendChild(section);
      });

      var messages = (report.shortfalls || []).concat(report.shared_shortfalls || []);
      if (messages.length) {
        host.appendChild(make("h3", null, t("shortfalls")));
        var list = make("ul", "shortfall-list");
        list.setAttribute("data-testid", "shortfalls");
        each(messages, function (entry) { list.appendChild(message(entry)); });
        host.appendChild(list);
      }

      host.appendChild(make("h3", null, t("levelTotals")));
      var levelTable = make("table", "grid levels-report");
      var lh = make("tr");
      each([t("level"), t("items"), t("points"), t("shareOfItems"), t("shareOfPoints"), t("shortfall")], function (label) {
        lh.appendChild(make("th", null, label));
      });
      var lhead = make("thead");
      lhead.appendChild(lh);
      levelTable.appendChild(lhead);
      var lbody = make("tbody");
      each(report.levels || [], function (level) {
        var tr = make("tr");
        tr.setAttribute("data-level", level.level);
        tr.appendChild(make("th", null, B.labelOf(meta.levels, level.level) || level.name));
        tr.appendChild(make("td", "num", String(level.needed)));
        tr.appendChild(make("td", "num", level.points));
        tr.appendChild(make("td", "num", level.share_of_items === null ? "—" : level.share_of_items + " %"));
        tr.appendChild(make("td", "num", level.share_of_points === null ? "—" : level.share_of_points + " %"));
        var short = make("td", "num" + (level.shortfall ? " shortfall" : ""), String(level.shortfall));
        tr.appendChild(short);
        lbody.appendChild(tr);
      });
      levelTable.appendChild(lbody);
      host.appendChild(levelTable);
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", function (event) {
      changed();
      if (event.target.id === "bp-subject") {
        // Another subject: its own topic tree; rows of the old one no longer apply.
        each(state.parts, function (part) {
          each(part.rows.slice(), function (row) { part.tbody.removeChild(row.tr); });
          part.rows = [];
          part.refreshTopicSelect();
        });
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save();
    });
    el("add-part").addEventListener("click", function () {
      var part = addPart();
      changed();
      part.label.focus();
    });
    el("check-blueprint").addEventListener("click", check);
    el("delete-blueprint").addEventListener("click", function () {
      if (!state.id || !window.confirm(t("confirmDeleteBlueprint"))) return;
      B.api("DELETE", "/api/blueprints/" + state.id + "/").then(function (result) {
        if (result.ok) window.location.href = "/bank/blueprints/";
        else B.notice(el("page-notice"), B.failure(result), "error");
      });
    });

    if (state.id) {
      B.api("GET", "/api/blueprints/" + state.id + "/").then(function (result) {
        if (!result.ok) {
          B.notice(el("page-notice"), B.failure(result), "error");
          form.hidden = true;
          return;
        }
        load(result.data);
      });
    } else {
      addPart();
      state.dirty = false;
    }
  }

  B.meta().then(function (meta) {
    if (el("blueprint-form")) editorPage(meta);
    else listPage(meta);
  }, function (result) {
    B.notice(el("page-notice"), B.failure(result), "error");
  });
})();
