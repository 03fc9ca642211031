/* Shared helpers of the item bank's authoring pages (list, editor, review, blueprints, import).
 *
 * The pages hold no data: each script asks the JSON API (docs: the item bank API) with
 * fetch(), sending the CSRF token in the X-CSRFToken header, and builds the page from the
 * answer. The words come translated from the server (#bank-text); the page's settings from
 * #bank-config. Plain ES5 with fetch and Promise: no build step, nothing from the network.
 *
 *   Bank.api("POST", "/api/items/", body).then(function (r) { r.ok, r.status, r.data });
 *   Bank.errors.show(form, r.data, "save");   // field messages next to [data-field~=name]
 */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  var config = readJson("bank-config");
  var text = readJson("bank-text");

  function t(key) {
    return Object.prototype.hasOwnProperty.call(text, key) ? text[key] : key;
  }

  // "Page %(page)s of %(pages)s" with {page: 1, pages: 3}
  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (all, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : all;
    });
  }

  function make(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  function clear(node) {
    while (node && node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function each(list, fn) {
    for (var i = 0; i < (list ? list.length : 0); i++) fn(list[i], i);
  }

  var uid = 0;
  function newId(prefix) {
    uid += 1;
    return (prefix || "f") + "-" + uid;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* fetch() that always resolves: {ok, status, data}; data is the JSON body or null.
   * A body that is FormData goes as multipart; anything else as JSON. */
  function api(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    };
    if (body !== undefined && body !== null) {
      if (typeof FormData !== "undefined" && body instanceof FormData) {
        options.body = body;
      } else {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
    }
    return window.fetch(url, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var read = type.indexOf("json") !== -1 ? response.json() : Promise.resolve(null);
      return read.then(
        function (data) { return { ok: response.ok, status: response.status, data: data }; },
        function () { return { ok: response.ok, status: response.status, data: null }; }
      );
    }, function () {
      return { ok: false, status: 0, data: { error: { code: "network", message: t("networkError") } } };
    });
  }

  // The message of a failed call, for a notice.
  function failure(result) {
    var error = result && result.data && result.data.error;
    if (result && result.status === 404) return t("notFound");
    if (result && result.status === 403) return (error && error.message) || t("forbidden");
    if (error && error.message) return error.message;
    return t("error") + (result && result.status ? " (" + result.status + ")" : "");
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value === undefined || value === null || value === "" || value === false) return;
      parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(value === true ? "1" : value));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function debounce(fn, ms) {
    var timer = null;
    var wrapped = function () {
      var args = arguments;
      if (timer !== null) window.clearTimeout(timer);
      timer = window.setTimeout(function () { timer = null; fn.apply(null, args); }, ms);
    };
    wrapped.cancel = function () { if (timer !== null) window.clearTimeout(timer); timer = null; };
    return wrapped;
  }

  /* --- field errors -------------------------------------------------------------------
   * A field's wrapper carries data-field="name" (several names: data-field="statements keys");
   * its messages go inside it, and its first control is marked aria-invalid. Messages of
   * fields the page does not show go to the root's [data-errors] box, named. */
  function flattenFields(fields, prefix, out) {
    out = out || {};
    Object.keys(fields || {}).forEach(function (name) {
      var value = fields[name];
      var full = prefix ? prefix + "." + name : name;
      if (value && typeof value === "object" && Object.prototype.toString.call(value) !== "[object Array]") {
        // Content errors may come nested under "content": they name the content's fields.
        flattenFields(value, name === "content" && !prefix ? "" : full, out);
      } else {
        var list = Object.prototype.toString.call(value) === "[object Array]" ? value : [value];
        out[full] = (out[full] || []).concat(list.map(function (m) {
          return typeof m === "string" ? m : JSON.stringify(m);
        }));
      }
    });
    return out;
  }

  function clearErrors(root, source) {
    each(Array.prototype.slice.call(root.querySelectorAll(".field-error")), function (node) {
      if (source && node.getAttribute("data-source") !== source) return;
      var owner = node.parentNode;
      owner.removeChild(node);
      if (!owner.querySelector(".field-error")) {
        var control = owner.querySelector("[aria-invalid]");
        if (control) {
          control.removeAttribute("aria-invalid");
          var described = (control.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
            return id && id.indexOf("err-") !== 0;
          });
          if (described.length) control.setAttribute("aria-describedby", described.join(" "));
          else control.removeAttribute("aria-describedby");
        }
        owner.classList.remove("has-error");
      }
    });
    var box = root.querySelector("[data-errors]");
    if (box && (!source || box.getAttribute("data-source") === source)) {
      clear(box);
      box.hidden = true;
    }
  }

  function fieldNode(root, name) {
    var nodes = root.querySelectorAll("[data-field]");
    for (var i = 0; i < nodes.length; i++) {
      var names = nodes[i].getAttribute("data-field").split(" ");
      if (names.indexOf(name) !== -1) return nodes[i];
    }
    return null;
  }

  /* Show a 400's messages: data is the API's error body. Returns the number shown. */
  function showErrors(root, data, source) {
    var error = (data && data.error) || {};
    var fields = flattenFields(error.fields || {});
    var general = [];
    var shown = 0;
    Object.keys(fields).forEach(function (name) {
      var node = name === "non_field_errors" ? null : fieldNode(root, name);
      if (!node) {
        // "parts.0.cells.2.topic": try the longest prefix the page shows.
        var parts = name.split(".");
        while (!node && parts.length > 1) {
          parts.pop();
          node = fieldNode(root, parts.join("."));
        }
      }
      if (!node) {
        fields[name].forEach(function (message) {
          general.push(name === "non_field_errors" ? message : name + ": " + message);
        });
        return;
      }
      node.classList.add("has-error");
      var control = node.querySelector("input:not([type=hidden]), select, textarea");
      fields[name].forEach(function (message) {
        var p = make("p", "field-error", message);
        p.id = newId("err");
        p.setAttribute("data-source", source || "");
        node.appendChild(p);
        if (control) {
          control.setAttribute("aria-invalid", "true");
          var described = control.getAttribute("aria-describedby");
          control.setAttribute("aria-describedby", (described ? described + " " : "") + p.id);
        }
        shown += 1;
      });
    });
    if (!Object.keys(fields).length && error.message) general.push(error.message);
    var box = root.querySelector("[data-errors]");
    if (box && general.length) {
      clear(box);
      box.setAttribute("data-source", source || "");
      var list = make("ul");
      general.forEach(function (message) { list.appendChild(make("li", null, message)); });
      box.appendChild(list);
      box.hidden = false;
      shown += general.length;
    }
    return shown;
  }

  /* --- small widgets ------------------------------------------------------------------ */

  // A refused call in a page's notice: every field's message the server gave, else its one
  // message; the notice takes the focus so that a screen reader says it.
  function refusal(node, result) {
    var error = result && result.data && result.data.error;
    var fields = flattenFields(error && error.fields);
    var messages = [];
    Object.keys(fields).forEach(function (name) { messages = messages.concat(fields[name]); });
    notice(node, messages.length ? messages.join(" ") : failure(result), "error");
    if (node) node.focus();
  }

  function notice(node, message, kind) {
    if (!node) return;
    node.textContent = message || "";
    node.hidden = !message;
    node.className = "notice" + (kind ? " notice-" + kind : "");
    node.setAttribute("data-kind", kind || "");
  }

  // <select> options from [{value, label}], keeping the value when it is still offered.
  function fillSelect(select, choices, value, emptyLabel) {
    var keep = value === undefined ? select.value : value;
    clear(select);
    if (emptyLabel !== undefined && emptyLabel !== null) select.appendChild(option("", emptyLabel));
    each(choices, function (choice) { select.appendChild(option(choice.value, choice.label)); });
    var wanted = keep === null || keep === undefined ? "" : String(keep);
    select.value = wanted;
    if (select.value !== wanted || select.selectedIndex === -1) {
      select.value = emptyLabel === undefined || emptyLabel === null ? (choices.length ? String(choices[0].value) : "") : "";
    }
    return select;
  }

  function option(value, label) {
    var node = make("option", null, label);
    node.value = String(value);
    return node;
  }

  // A labelled control: <div class="field" data-field=name><label for>…</label>control</div>
  function field(label, control, name, hint) {
    var wrap = make("div", "field");
    if (name) wrap.setAttribute("data-field", name);
    if (!control.id) control.id = newId("f");
    var labelNode = make("label", null, label);
    labelNode.htmlFor = control.id;
    wrap.appendChild(labelNode);
    wrap.appendChild(control);
    if (hint) {
      var hintNode = make("p", "hint", hint);
      hintNode.id = newId("hint");
      control.setAttribute("aria-describedby", hintNode.id);
      wrap.appendChild(hintNode);
    }
    return wrap;
  }

  function button(label, className, onClick) {
    var node = make("button", className, label);
    node.type = "button";
    if (onClick) node.addEventListener("click", onClick);
    return node;
  }

  function link(label, href, className) {
    var node = make("a", className, label);
    node.href = href;
    return node;
  }

  function formatDate(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(date.getDate()) + "/" + two(date.getMonth() + 1) + "/" + date.getFullYear() + " " +
      two(date.getHours()) + ":" + two(date.getMinutes());
  }

  function statusPill(code, label) {
    var pill = make("span", "pill status-pill status-" + String(code || "").replace(/[^a-z_]/g, ""), label || code);
    pill.setAttribute("data-status", code || "");
    return pill;
  }

  /* --- long work: a job started by a POST, followed until it ends (GET /api/jobs/<id>/) --- */

  // A <progress> bar with its words, for a job's progress.
  function progressBar() {
    var box = make("div", "job-progress");
    box.setAttribute("data-testid", "job-progress");
    var bar = box.appendChild(make("progress"));
    bar.max = 100;
    bar.value = 0;
    var words = box.appendChild(make("span", "muted"));
    words.setAttribute("aria-live", "polite");
    return {
      element: box,
      show: function (job) {
        bar.value = job.percent || 0;
        bar.setAttribute("aria-valuenow", String(job.percent || 0));
        words.textContent = (job.percent || 0) + "%" + (job.message ? " · " + job.message : "");
      }
    };
  }

  // Resolves with the job once it succeeded or failed; onProgress(job) hears each poll.
  function followJob(job, onProgress) {
    return new Promise(function (resolve) {
      function step(current) {
        if (onProgress) onProgress(current);
        if (current.status === "succeeded" || current.status === "failed") { resolve(current); return; }
        window.setTimeout(function () {
          api("GET", "/api/jobs/" + current.id + "/").then(function (result) {
            if (result.ok) step(result.data);
            else resolve({ status: "failed", error: { message: failure(result) } });
          });
        }, 700);
      }
      step(job);
    });
  }

  /* --- the bank's vocabulary (GET /api/bank/meta/) ------------------------------------ */

  var metaPromise = null;
  function meta() {
    if (!metaPromise) {
      metaPromise = api("GET", "/api/bank/meta/").then(function (result) {
        if (!result.ok) {
          metaPromise = null;
          throw result;
        }
        return result.data;
      });
    }
    return metaPromise;
  }

  function choices(list) {
    return (list || []).map(function (entry) { return { value: entry.code, label: entry.label }; });
  }

  function labelOf(list, code) {
    for (var i = 0; i < (list || []).length; i++) if (list[i].code === code) return list[i].label;
    return code || "";
  }

  function subjectOf(metaData, code) {
    var subjects = (metaData && metaData.subjects) || [];
    for (var i = 0; i < subjects.length; i++) if (subjects[i].code === code) return subjects[i];
    return null;
  }

  /* A subject's topic tree as indented choices, parents before children. */
  function topicChoices(subject) {
    var topics = (subject && subject.topics) || [];
    var children = {};
    var known = {};
    each(topics, function (topic) { known[topic.id] = true; });
    each(topics, function (topic) {
      var parent = topic.parent && known[topic.parent] ? topic.parent : "root";
      (children[parent] = children[parent] || []).push(topic);
    });
    var out = [];
    function walk(parent, depth) {
      each(children[parent] || [], function (topic) {
        var indent = new Array(depth + 1).join("\u00a0\u00a0\u00a0");
        out.push({ value: topic.id, label: indent + (depth ? "› " : "") + topic.name, name: topic.name, depth: depth });
        walk(topic.id, depth + 1);
      });
    }
    walk("root", 0);
    return out;
  }

  function topicName(metaData, subjectCode, topicId) {
    var subject = subjectOf(metaData, subjectCode);
    var topics = (subject && subject.topics) || [];
    for (var i = 0; i < topics.length; i++) if (String(topics[i].id) === String(topicId)) return topics[i].name;
    return "";
  }

  /* What changed between two versions (GET /api/item-versions/<id>/diff/). The server's
   * "html" is escaped text with <del>/<ins> marks; anything else goes in as text. */
  function fieldLabel(name) {
    var key = "field_" + name;
    return Object.prototype.hasOwnProperty.call(text, key) ? text[key] : name;
  }

  function renderDiff(box, diff) {
    clear(box);
    if (!diff || diff.base === null || diff.base === undefined) {
      box.appendChild(make("p", "muted", t("noEarlierVersion")));
      return;
    }
    box.appendChild(make("p", "diff-title", format(t("changesSince"), { number: diff.base_number })));
    var changes = diff.changes || [];
    if (!changes.length) {
      box.appendChild(make("p", "muted", t("noChanges")));
      return;
    }
    var table = make("table", "grid diff-table");
    var head = make("tr");
    head.appendChild(make("th", null, t("field")));
    head.appendChild(make("th", null, t("change")));
    var thead = make("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = make("tbody");
    each(changes, function (change) {
      var tr = make("tr");
      tr.setAttribute("data-field", change.field);
      var th = make("th", null, fieldLabel(change.field));
      th.scope = "row";
      tr.appendChild(th);
      var td = make("td", "diff-cell");
      if (change.html) {
        td.innerHTML = change.html;
      } else {
        var before = make("del", null, change.before === null || change.before === undefined ? "" : String(change.before));
        var after = make("ins", null, change.after === null || change.after === undefined ? "" : String(change.after));
        td.appendChild(before);
        td.appendChild(document.createTextNode(" → "));
        td.appendChild(after);
      }
      tr.appendChild(td);
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
  }

  window.Bank = {
    renderDiff: renderDiff,
    fieldLabel: fieldLabel,
    config: config,
    text: text,
    t: t,
    format: format,
    make: make,
    clear: clear,
    each: each,
    newId: newId,
    api: api,
    failure: failure,
    query: query,
    debounce: debounce,
    errors: { show: showErrors, clear: clearErrors, flatten: flattenFields },
    notice: notice,
    refusal: refusal,
    fillSelect: fillSelect,
    option: option,
    field: field,
    button: button,
    link: link,
    formatDate: formatDate,
    statusPill: statusPill,
    meta: meta,
    progressBar: progressBar,
    followJob: followJob,
    choices: choices,
    labelOf: labelOf,
    subjectOf: subjectOf,
    topicChoices: topicChoices,
    topicName: topicName
  };
})();
