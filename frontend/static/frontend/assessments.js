/* The assessments pages of teachers and exam boards, every action through the REST API:
 *
 * - the wizard (POST /api/assessments/): a preset fills the fields and the parts;
 * - one assessment: each part's time limit, navigation and break after it
 *   (PUT /api/assessments/<id>/sections/; read-only once a sitting has opened); draw a form from a blueprint (POST .../forms/draw/, dry_run to preview),
 *   build one by hand from a bank search (POST .../forms/), make test codes
 *   (POST /api/forms/<id>/codes/), schedule or assign (POST /api/sittings/), release,
 *   withdraw and cancel (POST /api/sittings/<id>/...).
 *
 * Words come from #bank-text (frontend/assessment_text.py); the script holds none.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var t = B.t;
  var make = B.make;
  var each = B.each;
  var config = B.config || {};

  function reloadSoon() { window.setTimeout(function () { window.location.reload(); }, 600); }

  /* --- the wizard ------------------------------------------------------------------------ */

  function wizard(form) {
    var partsBox = document.getElementById("parts");
    var totalBox = document.getElementById("parts-total");
    var state = form.querySelector("[data-state]");
    var presetSelect = document.getElementById("a-preset");
    var types = [];

    function partRow(part) {
      var row = make("div", "part-row");
      row.setAttribute("data-part", "");
      var index = partsBox.children.length;
      row.setAttribute("data-field", "parts." + index);
      var label = make("input", "text-field");
      label.type = "text";
      label.name = "label";
      label.maxLength = 50;
      label.value = part.label || "";
      var type = make("select");
      type.name = "item_type";
      type.setAttribute("data-wanted", part.item_type || "");
      B.fillSelect(type, types, part.item_type || "", t("anyType"));
      var count = make("input");
      count.type = "number";
      count.name = "item_count";
      count.min = 1;
      count.max = 200;
      count.value = part.item_count || 1;
      var points = make("input");
      points.type = "number";
      points.name = "points_per_item";
      points.step = "0.01";
      points.min = "0.01";
      points.value = part.points_per_item || "1";
      var scoring = make("select");
      scoring.name = "scoring";
      B.fillSelect(scoring, [
        { value: "as_authored", label: t("scoring_as_authored") },
        { value: "all_or_nothing", label: t("scoring_all_or_nothing") }
      ], part.scoring || "as_authored");
      row.appendChild(B.field(t("partLabel"), label));
      row.appendChild(B.field(t("partType"), type));
      row.appendChild(B.field(t("partItems"), count));
      row.appendChild(B.field(t("partPoints"), points));
      row.appendChild(B.field(t("partScoring"), scoring));
      row.appendChild(B.button(t("removePart"), "secondary", function () {
        row.parentNode.removeChild(row);
        renumber();
      }));
      each([count, points], function (input) { input.addEventListener("input", total); });
      return row;
    }

    function renumber() {
      each(Array.prototype.slice.call(partsBox.children), function (row, index) {
        row.setAttribute("data-field", "parts." + index);
      });
      total();
    }

    function total() {
      var sum = 0;
      each(Array.prototype.slice.call(partsBox.children), function (row) {
        sum += (Number(row.querySelector("[name=item_count]").value) || 0) *
          (Number(row.querySelector("[name=points_per_item]").value) || 0);
      });
      totalBox.textContent = B.format(t("totalPoints"), { points: (Math.round(sum * 100) / 100).toString() });
    }

    function setParts(parts) {
      B.clear(partsBox);
      each(parts, function (part) { partsBox.appendChild(partRow(part)); });
      renumber();
    }

    function applyPreset(key) {
      var preset = null;
      each(config.presets || [], function (p) { if (p.key === key) preset = p; });
      if (!preset) return;
      form.elements.title.value = preset.name;
      var kind = form.elements.kind;
      if (Array.prototype.some.call(kind.options, function (o) { return o.value === preset.kind; })) kind.value = preset.kind;
      form.elements.record_entry_type.value = preset.record_entry_type;
      form.elements.score_step.value = preset.score_step;
      form.elements.duration_minutes.value = preset.duration_minutes;
      if (preset.subjects.length) {
        var subject = form.elements.subject;
        each(preset.subjects, function (code) {
          if (Array.prototype.some.call(subject.options, function (o) { return o.value === code; })) subject.value = code;
        });
      }
      setParts(preset.parts);
    }

    var addButton = B.button(t("addPart"), "secondary", function () {
      partsBox.appendChild(partRow({ label: "", item_count: 1, points_per_item: "1" }));
      renumber();
    });
    partsBox.parentNode.insertBefore(addButton, totalBox);

    B.fillSelect(presetSelect, (config.presets || []).map(function (p) { return { value: p.key, label: p.name }; }), "", t("choosePreset"));
    presetSelect.addEventListener("change", function () { applyPreset(presetSelect.value); });

    // The item types come with the bank's vocabulary; a preset chosen before they arrive keeps
    // its parts (only their type lists are filled in).
    B.meta().then(function (meta) {
      types = B.choices(meta.item_types);
      if (!partsBox.children.length) {
        setParts([{ label: "", item_type: "single_choice", item_count: 10, points_per_item: "1" }]);
        return;
      }
      each(Array.prototype.slice.call(partsBox.querySelectorAll("[name=item_type]")), function (select) {
        B.fillSelect(select, types, select.getAttribute("data-wanted") || select.value, t("anyType"));
      });
    }, function () {
      if (!partsBox.children.length) setParts([{ label: "", item_count: 10, points_per_item: "1" }]);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(form);
      var body = {
        title: form.elements.title.value,
        subject: form.elements.subject.value,
        grade: form.elements.grade.value ? Number(form.elements.grade.value) : null,
        kind: form.elements.kind.value,
        record_entry_type: form.elements.record_entry_type.value,
        score_step: form.elements.score_step.value,
        school_year: form.elements.school_year.value,
        term: Number(form.elements.term.value),
        duration_minutes: Number(form.elements.duration_minutes.value),
        parts: Array.prototype.map.call(partsBox.children, function (row) {
          return {
            label: row.querySelector("[name=label]").value,
            item_type: row.querySelector("[name=item_type]").value,
            item_count: Number(row.querySelector("[name=item_count]").value),
            points_per_item: row.querySelector("[name=points_per_item]").value,
            scoring: row.querySelector("[name=scoring]").value
          };
        })
      };
      if (form.elements.organisation) body.organisation = Number(form.elements.organisation.value);
      state.textContent = t("saving");
      B.api("POST", "/api/assessments/", body).then(function (result) {
        state.textContent = "";
        if (result.ok) {
          window.location.href = "/assessments/" + result.data.id + "/";
        } else if (!B.errors.show(form, result.data)) {
          B.errors.show(form, { error: { message: B.failure(result) } });
        }
      });
    });
  }

  /* --- one assessment --------------------------------------------------------------------- */

  function post(url, body, noticeNode, success) {
    return B.api("POST", url, body || {}).then(function (result) {
      if (result.ok) {
        B.notice(noticeNode, success(result.data), "ok");
        reloadSoon();
      } else {
        B.notice(noticeNode, B.failure(result), "error");
      }
      return result;
    });
  }

  function drawPanel(form) {
    var assessment = config.assessment;
    var report = document.getElementById("draw-report");
    var select = form.elements.blueprint;
    B.api("GET", "/api/blueprints/" + B.query({ subject: assessment.subject })).then(function (result) {
      var list = (result.ok && result.data.results) || [];
      B.fillSelect(select, list.map(function (b) { return { value: b.id, label: b.title }; }));
      if (!list.length) report.appendChild(make("p", "muted", t("noBlueprints")));
      // The draw buttons wait for the blueprints: a click before would send none.
      each(Array.prototype.slice.call(form.querySelectorAll("[data-draw]")), function (btn) { btn.disabled = !list.length; });
    });

    function showDraw(data, failed) {
      B.clear(report);
      var shortfalls = data.shortfalls || [];
      var summary = make("p", shortfalls.length ? "report-short" : "report-ok");
      summary.textContent = shortfalls.length
        ? B.format(t("drawShort"), { count: shortfalls.reduce(function (n, s) { return n + (s.needed - s.found); }, 0) })
        : B.format(t("drawn"), { seed: data.seed });
      report.appendChild(summary);
      if (shortfalls.length) {
        var list = report.appendChild(make("ul", "shortfalls"));
        each(shortfalls, function (s) { list.appendChild(make("li", "shortfall-message", s.message)); });
      }
      if (!failed && data.cells) {
        var table = make("table", "grid stack");
        var head = make("tr");
        each([t("part"), t("topic"), t("level"), t("item")], function (h) { head.appendChild(make("th", null, h)); });
        table.appendChild(make("thead")).appendChild(head);
        var body = table.appendChild(make("tbody"));
        each(data.cells, function (cell) {
          each(cell.picked, function (pick) {
            var row = make("tr");
            row.appendChild(make("td", null, String(cell.part)));
            row.appendChild(make("td", null, String(pick.topic)));
            row.appendChild(make("td", null, pick.level));
            row.appendChild(make("td", null, "#" + pick.item + " · " + B.format(t("exposure"), { count: pick.exposure })));
            body.appendChild(row);
          });
        });
        report.appendChild(table);
      }
      if (data.seed !== undefined && data.seed !== null) form.elements.seed.value = data.seed;
    }

    each(Array.prototype.slice.call(form.querySelectorAll("[data-draw]")), function (btn) {
      btn.addEventListener("click", function () {
        B.errors.clear(form);
        var dry = btn.getAttribute("data-draw") === "preview";
        var body = { blueprint: Number(select.value), code: form.elements.code.value, dry_run: dry };
        if (form.elements.seed.value !== "") body.seed = Number(form.elements.seed.value);
        B.api("POST", "/api/assessments/" + assessment.id + "/forms/draw/", body).then(function (result) {
          if (result.ok) {
            showDraw(result.data, false);
            if (!dry) reloadSoon();
          } else if (result.data && result.data.error && result.data.error.code === "shortfall") {
            showDraw(result.data, true);
          } else if (!B.errors.show(form, result.data)) {
            B.errors.show(form, { error: { message: B.failure(result) } });
          }
        });
      });
    });
  }

  function buildPanel(form) {
    var assessment = config.assessment;
    var parts = assessment.parts;
    var chosen = parts.map(function () { return []; });
    var resultsBox = document.getElementById("build-results");
    var partsBox = document.getElementById("build-parts");
    var live = document.getElementById("build-live");
    // The item being dragged ({part, position, refused}): a dataTransfer cannot be read during
    // dragover, and the part decides where it may land.
    var dragged = null;

    function announce(message) {
      if (live) live.textContent = message;
    }

    // How an item is named to a screen reader: the start of its text, on one line.
    function nameOf(item) {
      var text = (item.text || "").replace(/\s+/g, " ").trim() || "#" + item.id;
      return text.length > 60 ? text.slice(0, 59) + "…" : text;
    }

    // `chosen` is both what the lists show and what the save sends, so a move here is the
    // order the form gets.
    function move(index, from, to, focusOn) {
      var list = chosen[index];
      if (to < 0 || to >= list.length || to === from) return;
      var item = list.splice(from, 1)[0];
      list.splice(to, 0, item);
      drawParts();
      announce(B.format(t("movedInPart"), { item: nameOf(item), position: to + 1, count: list.length, part: parts[index].label }));
      if (!focusOn) return;
      // The buttons were drawn again: keep the keyboard on the item that moved.
      var li = partsBox.querySelector('[data-part="' + index + '"] > li:nth-child(' + (to + 1) + ")");
      var button = li && li.querySelector('[data-move="' + focusOn + '"]');
      if (button && button.disabled) button = li.querySelector('[data-move="' + (focusOn === "up" ? "down" : "up") + '"]');
      if (button && !button.disabled) button.focus();
    }

    function drawParts() {
      B.clear(partsBox);
      if (chosen.some(function (list) { return list.length > 1; })) partsBox.appendChild(make("p", "hint", t("reorderHint")));
      each(parts, function (part, index) {
        var box = partsBox.appendChild(make("div", "build-part"));
        box.setAttribute("data-field", "parts." + index);
        box.appendChild(make("h3", null, B.format(t("inPart"), { part: part.label, have: chosen[index].length, want: part.item_count })));
        var list = box.appendChild(make("ol", "build-items"));
        list.setAttribute("data-part", String(index));
        each(chosen[index], function (item, position) {
          var li = list.appendChild(make("li", "build-item"));
          li.draggable = true;
          li.setAttribute("data-position", String(position));
          li.setAttribute("data-item", String(item.id));
          var handle = li.appendChild(make("span", "drag-handle"));
          handle.setAttribute("aria-hidden", "true");
          handle.title = t("dragHandle");
          var text = li.appendChild(make("span", "build-item-text"));
          text.innerHTML = item.html;  // server-rendered, sanitised (text_html)
          var name = (position + 1) + ". " + nameOf(item);
          var actions = li.appendChild(make("span", "build-item-actions"));
          var up = actions.appendChild(B.button(t("up"), "secondary small", function () { move(index, position, position - 1, "up"); }));
          up.setAttribute("data-move", "up");
          up.setAttribute("aria-label", B.format(t("upItem"), { item: name }));
          up.disabled = position === 0;
          var down = actions.appendChild(B.button(t("down"), "secondary small", function () { move(index, position, position + 1, "down"); }));
          down.setAttribute("data-move", "down");
          down.setAttribute("aria-label", B.format(t("downItem"), { item: name }));
          down.disabled = position === chosen[index].length - 1;
          var remove = actions.appendChild(B.button(t("remove"), "secondary small", function () {
            chosen[index].splice(position, 1);
            drawParts();
          }));
          remove.setAttribute("aria-label", B.format(t("removeItem"), { item: name }));
        });
      });
    }

    /* Drag and drop within a part (HTML5, so mouse only: on a phone the Up and Down buttons do
     * it). The listeners sit on the box of the parts, which outlives every drawing. */
    function partOf(node) {
      var list = node && node.closest ? node.closest("ol.build-items") : null;
      return list ? { list: list, index: Number(list.getAttribute("data-part")) } : null;
    }

    function clearIndicator() {
      each(Array.prototype.slice.call(partsBox.querySelectorAll(".drop-before, .drop-after")), function (li) {
        li.classList.remove("drop-before", "drop-after");
      });
    }

    function endDrag() {
      dragged = null;
      clearIndicator();
      partsBox.classList.remove("is-dragging");
      each(Array.prototype.slice.call(partsBox.querySelectorAll(".dragging, .drop-home")), function (node) {
        node.classList.remove("dragging", "drop-home");
      });
    }

    // The items of the list other than the dragged one, and how many of them lie above y: the
    // place the dragged item takes.
    function dropPlace(list, y) {
      var others = Array.prototype.filter.call(list.children, function (li) {
        return Number(li.getAttribute("data-position")) !== dragged.position;
      });
      var to = 0;
      each(others, function (li) {
        var box = li.getBoundingClientRect();
        if (y > box.top + box.height / 2) to += 1;
      });
      return { others: others, to: to };
    }

    partsBox.addEventListener("dragstart", function (event) {
      var li = event.target.closest ? event.target.closest("li.build-item") : null;
      var part = partOf(li);
      if (!li || !part) return;
      dragged = { part: part.index, position: Number(li.getAttribute("data-position")), refused: false };
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.getAttribute("data-item"));
      li.classList.add("dragging");
      part.list.classList.add("drop-home");
      partsBox.classList.add("is-dragging");
    });

    partsBox.addEventListener("dragover", function (event) {
      if (!dragged) return;
      var part = partOf(event.target);
      clearIndicator();
      if (!part || part.index !== dragged.part) {
        // Not cancelled: the browser refuses the drop (items stay in the part of their type).
        dragged.refused = Boolean(part);
        event.dataTransfer.dropEffect = "none";
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      dragged.refused = false;
      var place = dropPlace(part.list, event.clientY);
      if (place.to < place.others.length) place.others[place.to].classList.add("drop-before");
      else if (place.others.length) place.others[place.others.length - 1].classList.add("drop-after");
    });

    partsBox.addEventListener("dragleave", function (event) {
      if (!partsBox.contains(event.relatedTarget)) clearIndicator();
    });

    partsBox.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!dragged) return;
      var part = partOf(event.target);
      var from = dragged.position;
      var home = dragged.part;
      var to = part && part.index === home ? dropPlace(part.list, event.clientY).to : null;
      endDrag();
      if (to === null) announce(t("dropRefused"));
      else move(home, from, to, null);
    });

    // After a drop the dragged node is gone; a drag that ends anywhere else ends here.
    partsBox.addEventListener("dragend", function () {
      if (dragged && dragged.refused) announce(t("dropRefused"));
      endDrag();
    });

    function search() {
      var params = { subject: assessment.subject, q: form.elements.q.value };
      B.api("GET", "/api/items/" + B.query(params)).then(function (result) {
        B.clear(resultsBox);
        var rows = (result.ok && result.data.results) || [];
        if (!rows.length) { resultsBox.appendChild(make("p", "muted", t("noResults"))); return; }
        var list = resultsBox.appendChild(make("ul", "pick-list"));
        each(rows, function (item) {
          var li = list.appendChild(make("li"));
          var text = li.appendChild(make("span"));
          text.innerHTML = (item.latest && item.latest.text_html) || "";  // server-rendered, sanitised
          li.appendChild(make("span", "muted", " · " + item.item_type_label + " · " + item.level_label));
          each(parts, function (part, index) {
            if (part.item_type && part.item_type !== item.item_type) return;
            li.appendChild(B.button(B.format(t("addToPart"), { part: part.label }), "secondary", function () {
              chosen[index].push({ id: item.id, html: text.innerHTML, text: text.textContent });
              drawParts();
            }));
          });
        });
      });
    }

    form.elements.q.addEventListener("input", B.debounce(search, 300));
    form.addEventListener("submit", function (event) { event.preventDefault(); search(); });
    form.querySelector("[data-save-form]").addEventListener("click", function () {
      B.errors.clear(form);
      var body = { code: form.elements.code.value, parts: chosen.map(function (list) { return list.map(function (i) { return i.id; }); }) };
      B.api("POST", "/api/assessments/" + assessment.id + "/forms/", body).then(function (result) {
        if (result.ok) { B.notice(document.getElementById("forms-notice"), t("formSaved"), "ok"); reloadSoon(); }
        else if (!B.errors.show(form, result.data)) B.errors.show(form, { error: { message: B.failure(result) } });
      });
    });
    drawParts();
    search();
  }

  function codeButtons() {
    var noticeNode = document.getElementById("forms-notice");
    // Trial items: delivered and calibrated, never counted (PUT /api/forms/<id>/trial/).
    each(Array.prototype.slice.call(document.querySelectorAll("[data-set-trial]")), function (btn) {
      btn.addEventListener("click", function () {
        var text = btn.parentNode.querySelector("[data-trial-positions]").value;
        var positions = text.split(/[\s,;]+/).filter(function (part) { return part !== ""; }).map(Number);
        if (positions.some(function (n) { return !(n >= 1 && Math.floor(n) === n); })) {
          B.notice(noticeNode, t("trialPositions"), "error");
          return;
        }
        B.api("PUT", "/api/forms/" + btn.getAttribute("data-set-trial") + "/trial/", { positions: positions }).then(function (result) {
          if (result.ok) {
            var trial = result.data.items.filter(function (item) { return item.trial; }).map(function (item) { return item.position; });
            B.notice(noticeNode, trial.length ? B.format(t("trialSaved"), { positions: trial.join(", ") }) : t("trialNone"), "ok");
          } else {
            B.notice(noticeNode, B.failure(result), "error");
          }
        });
      });
    });
    each(Array.prototype.slice.call(document.querySelectorAll("[data-make-codes]")), function (btn) {
      btn.addEventListener("click", function () {
        var count = Number(btn.parentNode.querySelector("[data-codes-count]").value);
        btn.disabled = true;
        B.api("POST", "/api/forms/" + btn.getAttribute("data-make-codes") + "/codes/", { count: count }).then(function (result) {
          if (!result.ok) {
            btn.disabled = false;
            B.notice(noticeNode, B.failure(result), "error");
            return;
          }
          // The codes are made by a job: follow its progress, then show the form with its codes.
          var bar = B.progressBar();
          B.notice(noticeNode, " ", "");
          B.clear(noticeNode).appendChild(bar.element);
          B.followJob(result.data.job, bar.show).then(function (job) {
            btn.disabled = false;
            if (job.status === "succeeded") {
              B.notice(noticeNode, B.format(t("codesMade"), { count: job.result.test_codes.length }), "ok");
              reloadSoon();
            } else {
              B.notice(noticeNode, (job.error && job.error.message) || t("error"), "error");
            }
          });
        });
      });
    });
  }

  function isoOf(value) { return value ? new Date(value).toISOString() : null; }

  function sittingForm(form) {
    var noticeNode = document.getElementById("sittings-notice");
    var now = new Date();
    function local(date) {
      var shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
      return shifted.toISOString().slice(0, 16);
    }
    form.elements.opens_at.value = local(new Date(now.getTime() + 60 * 60000));
    form.elements.closes_at.value = local(new Date(now.getTime() + (config.assessment.kind === "periodic" ? 3 : 7 * 24) * 60 * 60000));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(form);
      var classes = Array.prototype.filter.call(form.querySelectorAll("[name=classes]"), function (c) { return c.checked; })
        .map(function (c) { return Number(c.value); });
      var students = form.elements.students.value.split(/\s+/).filter(Boolean);
      if (!classes.length && !students.length) {
        B.errors.show(form, { error: { fields: { classes: [t("chooseClasses")] } } });
        return;
      }
      var body = {
        form: Number(form.elements.form.value),
        title: form.elements.title.value,
        opens_at: isoOf(form.elements.opens_at.value),
        closes_at: isoOf(form.elements.closes_at.value),
        feedback_detail: form.elements.feedback_detail.value,
        classes: classes,
        students: students
      };
      if (form.elements.latest_start) body.latest_start = isoOf(form.elements.latest_start.value);
      if (form.elements.new_access_code) body.new_access_code = form.elements.new_access_code.checked;
      if (form.elements.max_attempts) {
        body.max_attempts = Number(form.elements.max_attempts.value);
        body.counting = form.elements.counting.value;
        body.feedback_timing = form.elements.feedback_timing.value;
        body.practice = form.elements.practice.checked;
      }
      B.api("POST", "/api/sittings/", body).then(function (result) {
        if (result.ok) {
          B.notice(noticeNode, B.format(t("scheduled"), { count: result.data.enrolled.added }), "ok");
          reloadSoon();
        } else if (!B.errors.show(form, result.data)) {
          B.errors.show(form, { error: { message: B.failure(result) } });
        }
      });
    });
  }

  function sittingButtons() {
    var noticeNode = document.getElementById("sittings-notice");
    each(Array.prototype.slice.call(document.querySelectorAll("[data-sitting-action]")), function (btn) {
      btn.addEventListener("click", function () {
        var action = btn.getAttribute("data-sitting-action");
        var url = "/api/sittings/" + btn.getAttribute("data-id") + "/" + action + "/";
        if (action === "release") {
          if (!window.confirm(t("confirmRelease"))) return;
          post(url, {}, noticeNode, function (data) { return B.format(t("released"), { count: data.released }); });
          return;
        }
        var reason = window.prompt(t("askReason"));
        if (!reason) return;
        post(url, { reason: reason }, noticeNode, function (data) {
          return action === "withdraw" ? B.format(t("withdrawn"), { count: data.withdrawn }) : t("cancelled");
        });
      });
    });
  }

  /* Move a sitting's window, enrol more candidates (a list or a file), schedule a make-up. */
  function managePanel() {
    var select = document.getElementById("m-sitting");
    if (!select) return;
    var noticeNode = document.getElementById("sittings-notice");
    function url(action) { return "/api/sittings/" + select.value + "/" + action + "/"; }
    function done(form, result, message) {
      if (result.ok) { B.notice(noticeNode, message(result.data), "ok"); reloadSoon(); }
      else if (!B.errors.show(form, result.data)) B.errors.show(form, { error: { message: B.failure(result) } });
    }
    var move = document.getElementById("move-form");
    move.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(move);
      var body = {
        opens_at: isoOf(move.elements.opens_at.value),
        closes_at: isoOf(move.elements.closes_at.value),
        latest_start: isoOf(move.elements.latest_start.value),
        reason: move.elements.reason.value
      };
      B.api("POST", url("reschedule"), body).then(function (result) { done(move, result, function () { return t("moved"); }); });
    });
    var enrol = document.getElementById("enrol-form");
    enrol.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(enrol);
      var body;
      if (enrol.elements.file.files.length) {
        body = new FormData();
        body.append("file", enrol.elements.file.files[0]);
      } else {
        body = { students: enrol.elements.students.value.split(/\s+/).filter(Boolean) };
      }
      B.api("POST", url("enrol"), body).then(function (result) {
        done(enrol, result, function (data) { return B.format(t("scheduled"), { count: data.enrolled.added }); });
      });
    });
    var makeup = document.getElementById("makeup-form");
    makeup.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(makeup);
      var body = {
        title: makeup.elements.title.value,
        opens_at: isoOf(makeup.elements.opens_at.value),
        closes_at: isoOf(makeup.elements.closes_at.value)
      };
      B.api("POST", url("makeup"), body).then(function (result) {
        done(makeup, result, function (data) { return B.format(t("scheduled"), { count: data.enrolled.added }); });
      });
    });
  }

  /* Each part's time limit, navigation and break (the server's rules: assess.authoring). Once a
   * sitting has opened the page draws it disabled; a refusal saying so disables it too. */
  function sectionsForm(form) {
    var box = form.querySelector("[data-sections]");
    var stateNode = document.getElementById("sections-state");
    if (!stateNode) return; // read-only: nothing to send

    function minutes(input) {
      if (!input) return null;
      var value = input.value.trim();
      if (value === "") return null;
      return /^\d+$/.test(value) ? Number(value) : value; // the server names what is wrong
    }

    function show(parts) {
      each(parts, function (part, index) {
        var fieldset = form.querySelector('[data-part="' + index + '"]');
        if (!fieldset) return;
        fieldset.querySelector("[name=time_limit_minutes]").value = part.time_limit_minutes === null ? "" : part.time_limit_minutes;
        var pause = fieldset.querySelector("[name=break_minutes]");
        if (pause) pause.value = part.break_minutes === null ? "" : part.break_minutes;
        each(Array.prototype.slice.call(fieldset.querySelectorAll("input[type=radio]")), function (radio) {
          radio.checked = radio.value === part.navigation;
        });
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(form);
      var parts = Array.prototype.map.call(form.querySelectorAll("[data-part]"), function (fieldset) {
        var chosen = fieldset.querySelector("input[type=radio]:checked");
        return {
          time_limit_minutes: minutes(fieldset.querySelector("[name=time_limit_minutes]")),
          navigation: chosen ? chosen.value : "free",
          break_minutes: minutes(fieldset.querySelector("[name=break_minutes]"))
        };
      });
      var button = form.querySelector("[type=submit]");
      button.disabled = true;
      stateNode.textContent = t("saving");
      form.setAttribute("data-state", "saving");
      B.api("PUT", "/api/assessments/" + config.assessment.id + "/sections/", { parts: parts }).then(function (result) {
        button.disabled = false;
        stateNode.textContent = "";
        form.setAttribute("data-state", result.ok ? "saved" : "refused");
        if (result.ok) {
          show(result.data.parts);
          stateNode.textContent = t("sectionsSaved");
          return;
        }
        if (result.status !== 400 || !B.errors.show(form, result.data)) {
          B.errors.show(form, { error: { message: B.failure(result) } });
        }
        var fields = (result.data && result.data.error && result.data.error.fields) || {};
        if (fields.assessment) {
          box.disabled = true; // a sitting has opened meanwhile
          button.hidden = true;
        }
        var shown = form.querySelector(".field-error, [data-errors]:not([hidden])");
        var owner = shown && shown.classList.contains("field-error") ? shown.parentNode : null;
        var control = owner && owner.querySelector("input");
        if (control && !control.disabled) control.focus();
        else if (shown) { shown.tabIndex = -1; shown.focus(); }
      });
    });
  }

  var wizardForm = document.getElementById("assessment-form");
  if (wizardForm) wizard(wizardForm);
  var sectionsNode = document.getElementById("sections-form");
  if (sectionsNode) sectionsForm(sectionsNode);
  var drawForm = document.getElementById("draw-form");
  if (drawForm) drawPanel(drawForm);
  var buildForm = document.getElementById("build-form");
  if (buildForm) buildPanel(buildForm);
  var sitting = document.getElementById("sitting-form");
  if (sitting) sittingForm(sitting);
  codeButtons();
  sittingButtons();
  managePanel();
})();
