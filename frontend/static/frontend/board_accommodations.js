/* Accommodations of a sitting, on the board's sitting page (board_accommodations.html).
 *
 * GET /api/sittings/<id>/accommodations/ lists them; POST adds one, PUT .../<id>/ replaces one,
 * DELETE .../<id>/ removes it. One is for a candidate ({"student": user name}) or a class
 * ({"school_class": id}), with more time as extra minutes or a multiplier (never both), larger
 * text, a separate room and a note. The server checks everything; its messages show next to
 * the fields (Bank.errors).
 *
 * The section has its own settings (#accommodations-config: the sitting, its candidates and
 * classes) and words (#accommodations-text), so it does not depend on the page's other
 * sections; it uses only bank.js's helpers (Bank.api, Bank.errors...), loaded by this section
 * or by the rooms section.
 */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function start() {
    var B = window.Bank;
    var section = document.getElementById("sitting-accommodations");
    var config = readJson("accommodations-config");
    var text = readJson("accommodations-text") || {};
    if (!B || !section || !config) return;

    function t(key) { return Object.prototype.hasOwnProperty.call(text, key) ? text[key] : key; }
    var make = B.make;
    var url = "/api/sittings/" + config.sitting + "/accommodations/";

    var rows = document.getElementById("accommodation-rows");
    var empty = document.getElementById("accommodations-empty");
    var notice = document.getElementById("accommodations-notice");
    var form = document.getElementById("accommodation-form");
    var heading = document.getElementById("accommodation-form-heading");
    var saveButton = document.getElementById("accommodation-save");
    var cancelButton = document.getElementById("accommodation-cancel");
    var state = document.getElementById("accommodation-state");
    var studentSelect = form.elements.student;
    var classSelect = form.elements.school_class;

    var editing = null; // the accommodation being changed, or null when adding

    function failure(answer) {
      var error = answer && answer.data && answer.data.error;
      if (answer.status === 404) return t("notFound");
      if (answer.status === 403) return (error && error.message) || t("forbidden");
      if (error && error.message) return error.message;
      return t("error") + (answer.status ? " (" + answer.status + ")" : "");
    }

    function candidateLabel(c) {
      return c.name + (c.learner_id ? " · " + c.learner_id : c.name !== c.username ? " · " + c.username : "");
    }

    function whoOf(a) {
      if (a.student) return a.student.name + (a.student.learner_id ? " (" + a.student.learner_id + ")" : "");
      if (a.school_class) return B.format(t("classNamed"), { name: a.school_class.name });
      return t("none");
    }

    function timeOf(a) {
      if (a.extra_minutes) return B.format(t("extraMinutes"), { minutes: a.extra_minutes });
      if (a.time_multiplier) return B.format(t("multiplier"), { value: String(Number(a.time_multiplier)) });
      return t("none");
    }

    if (config.candidates === null) {  // too many to list (a national exam): the username is typed
      var typed = document.createElement("input");
      typed.type = "text";
      typed.id = studentSelect.id;
      typed.name = studentSelect.name;
      typed.className = "text-field";
      typed.autocomplete = "off";
      typed.setAttribute("data-testid", studentSelect.getAttribute("data-testid") || "");
      typed.placeholder = t("typeUsername");
      studentSelect.parentNode.replaceChild(typed, studentSelect);
      studentSelect = typed;
    } else {
      B.fillSelect(studentSelect, config.candidates.map(function (c) {
        return { value: c.username, label: candidateLabel(c) };
      }), "", t("chooseCandidate"));
    }
    B.fillSelect(classSelect, config.classes.map(function (c) { return { value: c.id, label: c.name }; }), "", t("chooseClass"));

    /* --- the form ------------------------------------------------------------------------ */

    function checked(name) {
      var found = form.querySelector("input[name=" + name + "]:checked");
      return found ? found.value : "";
    }

    function setRadio(name, value) {
      Array.prototype.forEach.call(form.querySelectorAll("input[name=" + name + "]"), function (input) {
        input.checked = input.value === value;
      });
    }

    // Only the controls of the chosen target and kind of time show; the others keep no value.
    function sync() {
      var target = checked("target");
      Array.prototype.forEach.call(form.querySelectorAll("[data-target]"), function (node) {
        node.hidden = node.getAttribute("data-target") !== target;
      });
      var time = checked("time");
      Array.prototype.forEach.call(form.querySelectorAll("[data-time]"), function (node) {
        node.hidden = node.getAttribute("data-time") !== time;
      });
    }

    Array.prototype.forEach.call(form.querySelectorAll("input[name=target], input[name=time]"), function (input) {
      input.addEventListener("change", function () {
        sync();
        var shown = input.name === "target"
          ? form.querySelector("[data-target]:not([hidden]) select")
          : form.querySelector("[data-time]:not([hidden]) input");
        if (shown) shown.focus();
      });
    });

    function reset() {
      editing = null;
      form.reset();
      B.errors.clear(form);
      heading.textContent = t("addHeading");
      saveButton.textContent = t("add");
      cancelButton.hidden = true;
      sync();
    }

    function fill(a) {
      reset();
      editing = a;
      setRadio("target", a.student ? "student" : "class");
      if (a.student) {
        if (studentSelect.options && !Array.prototype.some.call(studentSelect.options, function (o) { return o.value === a.student.username; })) {
          studentSelect.appendChild(B.option(a.student.username, a.student.name));
        }
        studentSelect.value = a.student.username;
      } else if (a.school_class) {
        if (!Array.prototype.some.call(classSelect.options, function (o) { return o.value === String(a.school_class.id); })) {
          classSelect.appendChild(B.option(a.school_class.id, a.school_class.name));
        }
        classSelect.value = String(a.school_class.id);
      }
      setRadio("time", a.extra_minutes ? "minutes" : a.time_multiplier ? "multiplier" : "none");
      form.elements.extra_minutes.value = a.extra_minutes || "";
      form.elements.time_multiplier.value = a.time_multiplier ? String(Number(a.time_multiplier)) : "";
      form.elements.large_text.checked = !!a.large_text;
      form.elements.separate_room.checked = !!a.separate_room;
      form.elements.note.value = a.note || "";
      heading.textContent = B.format(t("editHeading"), { who: whoOf(a) });
      saveButton.textContent = t("save");
      cancelButton.hidden = false;
      sync();
      heading.tabIndex = -1;
      heading.focus();
    }

    function number(value) {
      var trimmed = String(value).trim().replace(",", ".");
      if (trimmed === "") return null;
      return isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
    }

    function body() {
      var target = checked("target");
      var time = checked("time");
      return {
        student: target === "student" ? studentSelect.value : "",
        school_class: target === "class" && classSelect.value ? Number(classSelect.value) : null,
        extra_minutes: time === "minutes" ? number(form.elements.extra_minutes.value) : null,
        // Sent as text: the server reads a decimal in hundredths.
        time_multiplier: time === "multiplier" && form.elements.time_multiplier.value.trim() !== ""
          ? form.elements.time_multiplier.value.trim().replace(",", ".") : null,
        large_text: form.elements.large_text.checked,
        separate_room: form.elements.separate_room.checked,
        note: form.elements.note.value
      };
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(form);
      B.notice(notice, "");
      var sent = body();
      var target = checked("target");
      var time = checked("time");
      // A choice left empty is named here; everything else is the server's to judge.
      var missing = {};
      if (target === "student" && !sent.student) missing.student = [t("chooseCandidate")];
      if (target === "class" && sent.school_class === null) missing.school_class = [t("chooseClass")];
      if (time === "minutes" && sent.extra_minutes === null) missing.extra_minutes = [t("giveMinutes")];
      if (time === "multiplier" && sent.time_multiplier === null) missing.time_multiplier = [t("giveMultiplier")];
      if (Object.keys(missing).length) {
        B.errors.show(form, { error: { fields: missing } });
        focusError();
        return;
      }
      var changing = editing;
      saveButton.disabled = true;
      state.textContent = t("saving");
      B.api(changing ? "PUT" : "POST", changing ? url + changing.id + "/" : url, sent).then(function (answer) {
        saveButton.disabled = false;
        state.textContent = "";
        if (!answer.ok) {
          if (answer.status !== 400 || !B.errors.show(form, answer.data)) {
            B.errors.show(form, { error: { message: failure(answer) } });
          }
          focusError();
          return;
        }
        reset();
        load().then(function () {
          B.notice(notice, B.format(t(changing ? "saved" : "added"), { who: whoOf(answer.data) }), "ok");
          notice.focus();
        });
      });
    });

    cancelButton.addEventListener("click", function () {
      var was = editing;
      reset();
      var back = was && rows.querySelector("tr[data-accommodation='" + was.id + "'] [data-edit]");
      if (back) back.focus();
    });

    function focusError() {
      var shown = form.querySelector(".field-error, [data-errors]:not([hidden])");
      if (!shown) return;
      var owner = shown.classList.contains("field-error") ? shown.parentNode : shown;
      var control = owner.querySelector("input:not([type=hidden]), select");
      if (control && !owner.hasAttribute("data-errors")) control.focus();
      else {
        shown.tabIndex = -1;
        shown.focus();
      }
    }

    /* --- the list -------------------------------------------------------------------------- */

    function cell(row, label, content) {
      var td = row.appendChild(make("td", null, content));
      td.setAttribute("data-label", label);
      return td;
    }

    function remove(a) {
      var who = whoOf(a);
      if (!window.confirm(B.format(t("confirmDelete"), { who: who }))) return;
      B.api("DELETE", url + a.id + "/").then(function (answer) {
        if (!answer.ok) {
          B.notice(notice, failure(answer), "error");
          notice.focus();
          return;
        }
        if (editing && editing.id === a.id) reset();
        load().then(function () {
          B.notice(notice, B.format(t("deleted"), { who: who }), "ok");
          notice.focus();
        });
      });
    }

    var headings = Array.prototype.map.call(section.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });

    function render(list) {
      B.clear(rows);
      list.forEach(function (a) {
        var row = rows.appendChild(make("tr"));
        row.setAttribute("data-accommodation", String(a.id));
        row.setAttribute("data-who", a.student ? a.student.username : "class:" + (a.school_class && a.school_class.id));
        cell(row, headings[0], whoOf(a));
        cell(row, headings[1], timeOf(a)).setAttribute("data-time", a.extra_minutes ? "minutes" : a.time_multiplier ? "multiplier" : "");
        cell(row, headings[2], a.large_text ? t("yes") : t("none"));
        cell(row, headings[3], a.separate_room ? t("yes") : t("none"));
        cell(row, headings[4], a.note || "");
        var actions = cell(row, headings[5], null);
        actions.className = "actions";
        var edit = actions.appendChild(B.button(t("edit"), "secondary small", function () { fill(a); }));
        edit.setAttribute("aria-label", B.format(t("editNamed"), { who: whoOf(a) }));
        edit.setAttribute("data-edit", String(a.id));
        var drop = actions.appendChild(B.button(t("delete"), "secondary danger small", function () { remove(a); }));
        drop.setAttribute("aria-label", B.format(t("deleteNamed"), { who: whoOf(a) }));
        drop.setAttribute("data-delete", String(a.id));
      });
      empty.textContent = list.length ? "" : t("noAccommodations");
      empty.hidden = !!list.length;
    }

    function load() {
      return B.api("GET", url).then(function (answer) {
        if (!answer.ok) {
          B.notice(notice, failure(answer), "error");
          return;
        }
        render(answer.data.results);
      });
    }

    reset();
    state.textContent = t("loading");
    load().then(function () { state.textContent = ""; });
  }

  // Deferred scripts run in page order and bank.js may come after this one (with the rooms
  // section below); all have run by DOMContentLoaded.
  if (window.Bank || document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
