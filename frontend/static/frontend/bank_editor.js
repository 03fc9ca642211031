/* The item editor: per-type form, live preview as the student sees it, save and review moves.
 *
 * The form is read into the API's shapes (item metadata and the version's content document,
 * docs: item content contract). On every change (debounced) the content goes to
 * POST /api/items/preview/ and the answer's "preview" is drawn by ItemRenderer, the code the
 * exam page uses; a 400 puts its messages next to the fields. Nothing here knows a key rule:
 * the server checks everything.
 *
 * A version may show a shared stimulus (a passage, table, image or audio clip) above the item:
 * the author chooses one of the subject's stimuli (GET /api/stimuli/) or creates one
 * (POST /api/stimuli/), and the preview shows it as the exam page does.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var t = B.t;
  var make = B.make;
  var each = B.each;

  var PREVIEW_MS = 400;
  var DUPLICATES_MS = 800;
  var EDITABLE = ["draft", "changes_requested"];
  var FROZEN = ["approved", "published", "retired"];
  var META_FIELDS = ["topic", "level", "visibility", "title", "grade", "learning_outcome", "expected_seconds", "source", "language"];

  var el = function (id) { return document.getElementById(id); };
  var form = el("item-form");
  var editable = el("editable");
  var typeSelect = el("f-item_type");
  var stem = el("f-stem");
  var explanation = el("f-explanation");
  var typeHost = el("type-editor");
  var previewHost = el("preview");
  var stimulusSelect = el("f-stimulus");
  var stimulusForm = el("stimulus-form");

  var state = {
    meta: null,
    itemId: B.config.itemId || null,
    item: null,        // the full item from the API
    latest: null,      // its latest version
    newVersion: false, // the author asked to start a new version from a frozen one
    dirty: false,
    editor: null,      // the current type editor: {read()}
    previewSeq: 0,
    duplicateSeq: 0,
    stimulusId: null,  // the chosen shared stimulus's id, or null
    stimuli: {},       // id -> a stimulus of the subject the author may see (GET /api/stimuli/)
    stimulusOrder: [], // their ids, newest first
    stimulusSeq: 0
  };

  function upper(i) { return i < 26 ? String.fromCharCode(65 + i) : String(i + 1); }
  function lower(i) { return i < 26 ? String.fromCharCode(97 + i) : String(i + 1); }
  function isArray(value) { return Object.prototype.toString.call(value) === "[object Array]"; }

  function textInput(value, label, className) {
    var input = make("input", className || "text-field");
    input.type = "text";
    input.value = value || "";
    if (label) input.setAttribute("aria-label", label);
    return input;
  }

  function smallSelect(choices, value, label) {
    var select = make("select");
    B.fillSelect(select, choices, value);
    if (label) select.setAttribute("aria-label", label);
    return select;
  }

  function uniqueId(prefix, used) {
    for (var n = 1; ; n++) if (used.indexOf(prefix + n) === -1) return prefix + n;
  }

  /* --- a list of rows with add / remove (and up / down) --------------------------------
   * opts: legend, field (data-field names), items (initial data), min, max, addLabel,
   *       build(data) -> {nodes: [..], first, read(i), relabel(i), name(i)}, blank(rows) -> data,
   *       movable, onChange(), hint */
  function rowsEditor(opts) {
    var box = make("fieldset", "rows " + (opts.className || ""));
    if (opts.field) box.setAttribute("data-field", opts.field);
    box.appendChild(make("legend", null, opts.legend));
    if (opts.hint) box.appendChild(make("p", "hint", opts.hint));
    var list = make("ol", "row-list");
    box.appendChild(list);
    var rows = [];
    var add = B.button(opts.addLabel, "secondary add-row", function () {
      var row = addRow(opts.blank(rows));
      changed();
      if (row.ctl.first) row.ctl.first.focus();
    });
    box.appendChild(add);

    function changed() {
      relabel();
      if (opts.onChange) opts.onChange();
      markChanged();
    }

    function relabel() {
      each(rows, function (row, i) {
        if (row.ctl.relabel) row.ctl.relabel(i);
        var name = row.ctl.name ? row.ctl.name(i) : String(i + 1);
        row.remove.setAttribute("aria-label", t("remove") + ": " + name);
        row.remove.disabled = rows.length <= opts.min;
        if (row.up) {
          row.up.disabled = i === 0;
          row.down.disabled = i === rows.length - 1;
          row.up.setAttribute("aria-label", t("moveUp") + ": " + name);
          row.down.setAttribute("aria-label", t("moveDown") + ": " + name);
        }
      });
      add.disabled = rows.length >= opts.max;
    }

    function addRow(data) {
      var li = make("li", "row");
      var row = { li: li, data: data || {} };
      row.ctl = opts.build(row.data, row);
      each(row.ctl.nodes, function (node) { li.appendChild(node); });
      var actions = make("span", "row-actions");
      if (opts.movable) {
        row.up = B.button(t("up"), "secondary move-row", function () { move(row, -1, row.up); });
        row.down = B.button(t("down"), "secondary move-row", function () { move(row, 1, row.down); });
        actions.appendChild(row.up);
        actions.appendChild(row.down);
      }
      row.remove = B.button(t("remove"), "secondary remove-row", function () {
        var i = rows.indexOf(row);
        rows.splice(i, 1);
        list.removeChild(li);
        changed();
        var next = rows[Math.min(i, rows.length - 1)];
        if (next && next.ctl.first) next.ctl.first.focus();
        else add.focus();
      });
      actions.appendChild(row.remove);
      li.appendChild(actions);
      rows.push(row);
      list.appendChild(li);
      relabel();
      return row;
    }

    function move(row, delta, button) {
      var i = rows.indexOf(row);
      var j = i + delta;
      if (j < 0 || j >= rows.length) return;
      rows[i] = rows[j];
      rows[j] = row;
      each(rows, function (r) { list.appendChild(r.li); });
      changed();
      (button.disabled ? (delta < 0 ? row.down : row.up) : button).focus();
    }

    each(opts.items || [], function (data) { addRow(data); });
    return {
      element: box,
      rows: rows,
      read: function () { return rows.map(function (row, i) { return row.ctl.read(i); }); },
      ids: function () { return rows.map(function (row) { return row.data.id; }); }
    };
  }

  function modeSelect(field, label, modes, value) {
    var select = smallSelect(modes.map(function (code) { return { value: code, label: t("mode_" + code) }; }), value || modes[0]);
    return { element: B.field(label, select, field), select: select };
  }

  /* A row of an option-like list: [correct mark] letter [text] [pinned: keeps its place in
   * test codes, for options of choice items]. */
  function choiceRow(kind, groupName, data, letterOf, nameKey, pinnable) {
    var mark = make("input");
    mark.type = kind;
    mark.name = groupName;
    mark.checked = !!data.correct;
    var markLabel = make("label", "correct-mark");
    markLabel.appendChild(mark);
    markLabel.appendChild(make("span", null, t("correct")));
    var letter = make("span", "letter");
    var input = textInput(data.text, "");
    var nodes = [markLabel, letter, input];
    var pin = null;
    if (pinnable) {
      pin = make("input");
      pin.type = "checkbox";
      pin.checked = !!data.pinned;
      var pinLabel = make("label", "pin-mark");
      pinLabel.title = t("pinnedHint");
      pinLabel.appendChild(pin);
      pinLabel.appendChild(make("span", null, t("pinned")));
      nodes.push(pinLabel);
    }
    return {
      nodes: nodes,
      first: input,
      mark: mark,
      input: input,
      relabel: function (i) {
        letter.textContent = letterOf(i) + ".";
        input.setAttribute("aria-label", t(nameKey) + " " + letterOf(i));
        mark.setAttribute("aria-label", t("correct") + ": " + letterOf(i));
        mark.value = letterOf(i);
      },
      name: function (i) { return t(nameKey) + " " + letterOf(i); },
      read: function (i) {
        return { id: letterOf(i), text: input.value, correct: mark.checked, pinned: !!(pin && pin.checked) };
      }
    };
  }

  // An option as the content keeps it: "pinned" only when it is.
  function optionOf(o) {
    return o.pinned ? { id: o.id, text: o.text, pinned: true } : { id: o.id, text: o.text };
  }

  /* --- one editor per item type: build(host, content) -> {read() -> content minus stem} -- */

  var EDITORS = {};

  function optionsEditor(host, options, isCorrect, kind) {
    var group = B.newId("correct");
    var rows = rowsEditor({
      legend: t("options"),
      field: kind === "radio" ? "options key" : "options keys",
      hint: kind === "radio" ? t("hintSingle") : t("hintMultiple"),
      items: (options && options.length ? options : [{}, {}, {}, {}]).map(function (o) {
        return { text: o.text, correct: isCorrect(o.id), pinned: !!o.pinned };
      }),
      min: 2,
      max: 10,
      addLabel: t("addOption"),
      blank: function () { return {}; },
      build: function (data) { return choiceRow(kind, group, data, upper, "option", true); }
    });
    host.appendChild(rows.element);
    return rows;
  }

  EDITORS.single_choice = function (host, content) {
    var rows = optionsEditor(host, content.options, function (id) { return id === content.key; }, "radio");
    return {
      read: function () {
        var options = rows.read();
        var key = null;
        each(options, function (o) { if (o.correct) key = o.id; });
        return { options: options.map(optionOf), key: key };
      }
    };
  };

  EDITORS.multiple_response = function (host, content) {
    var keys = content.keys || [];
    var rows = optionsEditor(host, content.options, function (id) { return keys.indexOf(id) !== -1; }, "checkbox");
    var scoring = modeSelect("scoring", t("scoring"), ["all_or_nothing", "partial"], content.scoring);
    host.appendChild(scoring.element);
    return {
      read: function () {
        var options = rows.read();
        return {
          options: options.map(optionOf),
          scoring: scoring.select.value,
          keys: options.filter(function (o) { return o.correct; }).map(function (o) { return o.id; })
        };
      }
    };
  };

  var NATIONAL_SCALE = { "1": "0.1", "2": "0.25", "3": "0.5", "4": "1" };

  EDITORS.true_false_group = function (host, content) {
    var keys = content.keys || {};
    var statements = content.statements && content.statements.length ? content.statements : [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "d" }];
    var rows = rowsEditor({
      legend: t("statements"),
      field: "statements keys",
      hint: t("hintStatements"),
      className: "tf-rows",
      items: statements.map(function (s) { return { text: s.text, key: keys[s.id] }; }),
      min: 1,
      max: 8,
      addLabel: t("addStatement"),
      blank: function () { return {}; },
      onChange: function () { scale.update(); },
      build: function (data) {
        var letter = make("span", "letter");
        var input = textInput(data.text, "");
        var group = make("span", "tf-key");
        group.setAttribute("role", "radiogroup");
        var name = B.newId("tfkey");
        var radios = {};
        each([[true, "keyTrue"], [false, "keyFalse"]], function (pair) {
          var label = make("label", "correct-mark");
          var radio = make("input");
          radio.type = "radio";
          radio.name = name;
          radio.value = pair[0] ? "true" : "false";
          radio.checked = data.key === pair[0];
          label.appendChild(radio);
          label.appendChild(make("span", null, t(pair[1])));
          group.appendChild(label);
          radios[radio.value] = radio;
        });
        return {
          nodes: [letter, input, group],
          first: input,
          relabel: function (i) {
            letter.textContent = lower(i) + ")";
            input.setAttribute("aria-label", t("statement") + " " + lower(i));
            group.setAttribute("aria-label", t("keyOf") + " " + lower(i));
          },
          name: function (i) { return t("statement") + " " + lower(i); },
          read: function (i) {
            var key = radios["true"].checked ? true : (radios["false"].checked ? false : null);
            return { id: lower(i), text: input.value, key: key };
          }
        };
      }
    });
    host.appendChild(rows.element);

    // The scale: the national one (null in the document) or a fraction per number correct.
    var scaleBox = make("fieldset", "rows scale");
    scaleBox.setAttribute("data-field", "scale");
    scaleBox.appendChild(make("legend", null, t("scale")));
    var national = make("input");
    national.type = "checkbox";
    national.checked = content.scale === null || content.scale === undefined;
    var nationalLabel = make("label", "check");
    nationalLabel.appendChild(national);
    nationalLabel.appendChild(make("span", null, t("nationalScale")));
    scaleBox.appendChild(nationalLabel);
    var custom = make("div", "scale-grid");
    scaleBox.appendChild(custom);
    host.appendChild(scaleBox);
    var values = {};
    var given = content.scale || NATIONAL_SCALE;
    Object.keys(given).forEach(function (k) { values[k] = given[k]; });
    var inputs = {};
    var scale = {
      update: function () {
        Object.keys(inputs).forEach(function (k) { values[k] = inputs[k].value; });
        B.clear(custom);
        inputs = {};
        custom.hidden = national.checked;
        if (national.checked) return;
        for (var k = 1; k <= rows.rows.length; k++) {
          var input = textInput(values[k] !== undefined ? values[k] : "", null, "text-field short");
          input.setAttribute("inputmode", "decimal");
          custom.appendChild(B.field(B.format(t("scaleCorrect"), { count: k }), input));
          inputs[k] = input;
        }
      },
      read: function () {
        if (national.checked) return null;
        var out = {};
        Object.keys(inputs).forEach(function (k) { out[k] = inputs[k].value.trim().replace(",", "."); });
        return out;
      }
    };
    national.addEventListener("change", function () { scale.update(); });
    scale.update();

    return {
      read: function () {
        var list = rows.read();
        var out = {};
        each(list, function (s) { if (s.key !== null) out[s.id] = s.key; });
        return {
          statements: list.map(function (s) { return { id: s.id, text: s.text }; }),
          scale: scale.read(),
          keys: out
        };
      }
    };
  };

  function intOrRaw(value) {
    var text = String(value || "").trim();
    if (!text) return null;
    return /^-?\d+$/.test(text) ? parseInt(text, 10) : text;
  }

  EDITORS.short_numeric = function (host, content) {
    var answer = textInput(content.answer, null);
    answer.setAttribute("inputmode", "decimal");
    var tolerance = textInput(content.tolerance === undefined || content.tolerance === null ? "0" : content.tolerance, null, "text-field short");
    tolerance.setAttribute("inputmode", "decimal");
    var boxes = make("input", "text-field short");
    boxes.type = "number";
    boxes.min = "1";
    boxes.max = "20";
    boxes.value = content.boxes === null || content.boxes === undefined ? "" : String(content.boxes);
    host.appendChild(B.field(t("answer"), answer, "answer", t("hintNumericAnswer")));
    host.appendChild(B.field(t("tolerance"), tolerance, "tolerance", t("hintTolerance")));
    host.appendChild(B.field(t("boxes"), boxes, "boxes", t("hintBoxes")));
    return {
      read: function () {
        return {
          boxes: intOrRaw(boxes.value),
          answer: answer.value.trim(),
          tolerance: tolerance.value.trim() || "0"
        };
      }
    };
  };

  EDITORS.text_entry = function (host, content) {
    var answers = make("textarea", "text-field");
    answers.rows = 4;
    answers.value = (content.answers || []).join("\n");
    host.appendChild(B.field(t("acceptedAnswers"), answers, "answers", t("hintAnswers")));
    var match = modeSelect("match", t("match"), ["exact", "normalised", "pattern"], content.match || "normalised");
    host.appendChild(match.element);
    var ignore = make("input");
    ignore.type = "checkbox";
    ignore.checked = !!content.ignore_diacritics;
    var wrap = make("div", "field");
    wrap.setAttribute("data-field", "ignore_diacritics");
    var label = make("label", "check");
    label.appendChild(ignore);
    label.appendChild(make("span", null, t("ignoreDiacritics")));
    wrap.appendChild(label);
    host.appendChild(wrap);
    return {
      read: function () {
        return {
          match: match.select.value,
          ignore_diacritics: ignore.checked,
          answers: answers.value.split("\n").map(function (a) { return a.trim(); }).filter(function (a) { return a; })
        };
      }
    };
  };

  function insertAtCursor(area, snippet) {
    var start = area.selectionStart || area.value.length;
    var end = area.selectionEnd || start;
    area.value = area.value.slice(0, start) + snippet + area.value.slice(end);
    area.focus();
    area.setSelectionRange(start + snippet.length, start + snippet.length);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  EDITORS.inline_choice = function (host, content) {
    var keys = content.keys || {};
    host.appendChild(make("p", "hint", t("hintGaps")));
    var gaps = rowsEditor({
      legend: t("gaps"),
      field: "gaps keys",
      className: "gap-rows",
      items: (content.gaps && content.gaps.length ? content.gaps : [{ id: "g1" }]).map(function (g) {
        return { id: g.id, options: g.options, key: keys[g.id] };
      }),
      min: 1,
      max: 20,
      addLabel: t("addGap"),
      blank: function (rows) {
        return { id: uniqueId("g", rows.map(function (r) { return r.ctl.gapId(); })) };
      },
      build: function (data) {
        var head = make("div", "gap-head");
        var id = textInput(data.id, null, "text-field short");
        head.appendChild(B.field(t("gapId"), id));
        var insert = B.button(t("insertMarker"), "secondary", function () {
          insertAtCursor(stem, "{{" + id.value.trim() + "}}");
        });
        head.appendChild(insert);
        var group = B.newId("gapkey");
        var options = rowsEditor({
          legend: t("gapOptions"),
          items: (data.options && data.options.length ? data.options : [{}, {}]).map(function (o) {
            return { text: o.text, correct: data.key !== undefined && o.id === data.key };
          }),
          min: 2,
          max: 10,
          addLabel: t("addOption"),
          blank: function () { return {}; },
          build: function (d) { return choiceRow("radio", group, d, lower, "option"); }
        });
        return {
          nodes: [head, options.element],
          first: id,
          gapId: function () { return id.value.trim(); },
          name: function (i) { return t("gap") + " " + (id.value.trim() || i + 1); },
          read: function () {
            var list = options.read();
            var key = null;
            each(list, function (o) { if (o.correct) key = o.id; });
            return {
              id: id.value.trim(),
              options: list.map(function (o) { return { id: o.id, text: o.text }; }),
              key: key
            };
          }
        };
      }
    });
    host.appendChild(gaps.element);
    var scoring = modeSelect("scoring", t("scoring"), ["all_or_nothing", "per_gap"], content.scoring);
    host.appendChild(scoring.element);
    return {
      read: function () {
        var list = gaps.read();
        var out = {};
        each(list, function (g) { if (g.key !== null) out[g.id] = g.key; });
        return {
          gaps: list.map(function (g) { return { id: g.id, options: g.options }; }),
          scoring: scoring.select.value,
          keys: out
        };
      }
    };
  };

  EDITORS.matching = function (host, content) {
    var pairs = content.pairs || {};
    var premiseSelects = [];

    function responseChoices() {
      return responses.rows.map(function (row, i) {
        var label = row.ctl.input.value.trim();
        return { value: row.data.id, label: upper(i) + (label ? ". " + (label.length > 40 ? label.slice(0, 39) + "…" : label) : "") };
      });
    }

    function refreshSelects() {
      var choices = responseChoices();
      each(premiseSelects, function (select) { B.fillSelect(select, choices, select.value, "—"); });
    }

    function textRow(letterOf, nameKey) {
      return function (data) {
        var letter = make("span", "letter");
        var input = textInput(data.text, "");
        return {
          nodes: [letter, input],
          first: input,
          input: input,
          relabel: function (i) {
            letter.textContent = letterOf(i) + ".";
            input.setAttribute("aria-label", t(nameKey) + " " + letterOf(i));
          },
          name: function (i) { return t(nameKey) + " " + letterOf(i); },
          read: function () { return { id: data.id, text: input.value }; }
        };
      };
    }

    var responses = rowsEditor({
      legend: t("responses"),
      field: "responses",
      hint: t("hintResponses"),
      items: (content.responses && content.responses.length ? content.responses : [{ id: "r1" }, { id: "r2" }, { id: "r3" }]),
      min: 1,
      max: 12,
      addLabel: t("addResponse"),
      blank: function (rows) { return { id: uniqueId("r", rows.map(function (r) { return r.data.id; })) }; },
      onChange: refreshSelects,
      build: textRow(upper, "response")
    });

    var premises = rowsEditor({
      legend: t("premises"),
      field: "premises pairs",
      hint: t("hintPremises"),
      items: (content.premises && content.premises.length ? content.premises : [{ id: "p1" }, { id: "p2" }]).map(function (p) {
        return { id: p.id, text: p.text, match: pairs[p.id] };
      }),
      min: 2,
      max: 12,
      addLabel: t("addPremise"),
      blank: function (rows) { return { id: uniqueId("p", rows.map(function (r) { return r.data.id; })) }; },
      onChange: function () {
        premiseSelects = premises.rows.map(function (r) { return r.ctl.select; });
        refreshSelects();
      },
      build: function (data) {
        var base = textRow(function (i) { return String(i + 1); }, "premise")(data);
        var select = make("select", "match-select");
        B.fillSelect(select, [], "", "—");
        select.setAttribute("data-initial", data.match || "");
        var label = make("span", "match-arrow", "→");
        label.setAttribute("aria-hidden", "true");
        base.nodes.push(label, select);
        base.select = select;
        var relabel = base.relabel;
        base.relabel = function (i) {
          relabel(i);
          select.setAttribute("aria-label", t("matchesWith") + " " + (i + 1));
        };
        var read = base.read;
        base.read = function (i) {
          var out = read(i);
          out.match = select.value || null;
          return out;
        };
        return base;
      }
    });
    premiseSelects = premises.rows.map(function (r) { return r.ctl.select; });
    host.appendChild(premises.element);
    host.appendChild(responses.element);
    var choices = responseChoices();
    each(premises.rows, function (row) {
      B.fillSelect(row.ctl.select, choices, row.ctl.select.getAttribute("data-initial"), "—");
    });
    // The premises' choices follow the responses' texts as they are typed.
    responses.element.addEventListener("input", refreshSelects);
    var scoring = modeSelect("scoring", t("scoring"), ["all_or_nothing", "per_pair"], content.scoring);
    host.appendChild(scoring.element);
    return {
      read: function () {
        var list = premises.read();
        var out = {};
        each(list, function (p) { if (p.match) out[p.id] = p.match; });
        return {
          premises: list.map(function (p) { return { id: p.id, text: p.text }; }),
          responses: responses.read(),
          scoring: scoring.select.value,
          pairs: out
        };
      }
    };
  };

  EDITORS.ordering = function (host, content) {
    var elements = content.elements || [];
    var byId = {};
    each(elements, function (e) { byId[e.id] = e; });
    // Listed in the key's order: that is the order the author edits.
    var ordered = (content.order || []).filter(function (id) { return byId[id]; }).map(function (id) { return byId[id]; });
    each(elements, function (e) { if (ordered.indexOf(e) === -1) ordered.push(e); });
    var rows = rowsEditor({
      legend: t("elements"),
      field: "elements order",
      hint: t("hintOrdering"),
      items: ordered.length ? ordered : [{ id: "e1" }, { id: "e2" }, { id: "e3" }],
      min: 2,
      max: 12,
      movable: true,
      addLabel: t("addElement"),
      blank: function (list) { return { id: uniqueId("e", list.map(function (r) { return r.data.id; })) }; },
      build: function (data) {
        var position = make("span", "letter");
        var input = textInput(data.text, "");
        return {
          nodes: [position, input],
          first: input,
          relabel: function (i) {
            position.textContent = (i + 1) + ".";
            input.setAttribute("aria-label", t("element") + " " + (i + 1));
          },
          name: function (i) { return t("element") + " " + (i + 1); },
          read: function () { return { id: data.id, text: input.value }; }
        };
      }
    });
    host.appendChild(rows.element);
    var scoring = modeSelect("scoring", t("scoring"), ["all_or_nothing", "partial"], content.scoring);
    host.appendChild(scoring.element);
    return {
      read: function () {
        var list = rows.read();
        return {
          elements: list,
          scoring: scoring.select.value,
          order: list.map(function (e) { return e.id; })
        };
      }
    };
  };

  EDITORS.essay = function (host, content) {
    var maxWords = make("input", "text-field short");
    maxWords.type = "number";
    maxWords.min = "1";
    maxWords.value = content.max_words === null || content.max_words === undefined ? "" : String(content.max_words);
    host.appendChild(B.field(t("maxWords"), maxWords, "max_words", t("hintMaxWords")));
    var criteria = rowsEditor({
      legend: t("rubric"),
      field: "rubric",
      hint: t("hintRubric"),
      className: "rubric-rows",
      items: content.rubric || [],
      min: 0,
      max: 20,
      addLabel: t("addCriterion"),
      blank: function () { return { levels: [{ label: "", points: "" }, { label: "", points: "0" }] }; },
      build: function (data) {
        var name = textInput(data.criterion, null);
        var head = B.field(t("criterion"), name);
        var levels = rowsEditor({
          legend: t("levels"),
          items: data.levels && data.levels.length ? data.levels : [{}],
          min: 1,
          max: 10,
          addLabel: t("addLevel"),
          blank: function () { return {}; },
          build: function (level) {
            var label = textInput(level.label, "");
            var points = textInput(level.points, "", "text-field short");
            points.setAttribute("inputmode", "decimal");
            return {
              nodes: [label, points],
              first: label,
              relabel: function (i) {
                label.setAttribute("aria-label", t("levelLabel") + " " + (i + 1));
                points.setAttribute("aria-label", t("levelPoints") + " " + (i + 1));
              },
              name: function (i) { return t("levelLabel") + " " + (i + 1); },
              read: function () { return { label: label.value.trim(), points: points.value.trim().replace(",", ".") }; }
            };
          }
        });
        return {
          nodes: [head, levels.element],
          first: name,
          name: function (i) { return t("criterion") + " " + (name.value.trim() || i + 1); },
          read: function () { return { criterion: name.value.trim(), levels: levels.read() }; }
        };
      }
    });
    host.appendChild(criteria.element);
    return {
      read: function () { return { rubric: criteria.read(), max_words: intOrRaw(maxWords.value) }; }
    };
  };

  /* --- the form ------------------------------------------------------------------------ */

  function markChanged() {
    state.dirty = true;
    schedulePreview();
  }

  function buildTypeEditor(itemType, content) {
    B.clear(typeHost);
    var build = EDITORS[itemType];
    state.editor = build ? build(typeHost, content || {}) : { read: function () { return {}; } };
  }

  function readContent() {
    var content = state.editor.read();
    var out = { stem: stem.value };
    Object.keys(content).forEach(function (k) { out[k] = content[k]; });
    if (explanation.value.trim()) out.explanation = explanation.value;
    return out;
  }

  function currentType() {
    return state.item ? state.item.item_type : typeSelect.value;
  }

  function value(id) { return el(id).value.trim(); }

  function points() { return value("f-points").replace(",", ".") || "1"; }

  function readMetadata() {
    return {
      topic: value("f-topic") ? parseInt(value("f-topic"), 10) : null,
      level: value("f-level"),
      visibility: value("f-visibility"),
      title: value("f-title"),
      grade: intOrRaw(value("f-grade")),
      learning_outcome: value("f-learning_outcome"),
      expected_seconds: intOrRaw(value("f-expected_seconds")),
      source: value("f-source"),
      language: value("f-language") || "vi"
    };
  }

  function fillTopics(subjectCode, topicId) {
    var subject = B.subjectOf(state.meta, subjectCode);
    B.fillSelect(el("f-topic"), B.topicChoices(subject), topicId, t("noTopic"));
  }

  /* --- the shared stimulus --------------------------------------------------------------- */

  var STIMULUS_KINDS = ["passage", "table", "image", "audio"];
  var STIMULUS_FILE_KINDS = ["image", "audio"];
  // The API's field names -> the new-stimulus form's data-field names (kept apart from the item's).
  var STIMULUS_FIELDS = ["title", "kind", "visibility", "body", "file", "media", "alt_text"];

  function stimulusSubject() {
    return state.item ? state.item.subject : value("f-subject");
  }

  // The chosen stimulus as the student view carries it: {id, title, html}, or null.
  function chosenStimulusView() {
    var id = state.stimulusId;
    if (!id) return null;
    var known = state.stimuli[id];
    if (known) return { id: known.id, title: known.title, html: known.html };
    var saved = state.latest && state.latest.preview && state.latest.preview.stimulus;
    return saved && saved.id === id ? saved : null;
  }

  function fillStimuli() {
    var choices = state.stimulusOrder.map(function (id) {
      var s = state.stimuli[id];
      return { value: s.id, label: s.title + " · " + t("stimulusKind_" + s.kind) };
    });
    if (state.stimulusId && !state.stimuli[state.stimulusId]) {
      // Attached earlier, but not among the ones listed for you (narrowed sharing): keep it.
      var saved = chosenStimulusView();
      choices.unshift({ value: state.stimulusId, label: (saved ? saved.title : "#" + state.stimulusId) + " · " + t("stimulusNotListed") });
    }
    B.fillSelect(stimulusSelect, choices, state.stimulusId, t("noStimulus"));
    showStimulusInfo();
  }

  function showStimulusInfo() {
    var info = el("stimulus-info");
    var s = state.stimulusId ? state.stimuli[state.stimulusId] : null;
    if (!s) {
      info.textContent = "";
      return;
    }
    var parts = [t("stimulusKind_" + s.kind), s.owner_name, B.format(t("stimulusUsedBy"), { count: s.used_by })];
    if (s.frozen) parts.push(t("stimulusFrozen"));
    info.textContent = parts.filter(function (part) { return part; }).join(" · ");
  }

  function rememberStimulus(s, first) {
    if (!state.stimuli[s.id]) {
      if (first) state.stimulusOrder.unshift(s.id);
      else state.stimulusOrder.push(s.id);
    }
    state.stimuli[s.id] = s;
  }

  /* The subject's stimuli the author may see. A chosen one of another subject is dropped
   * (a new item's subject changed): a stimulus serves items of its own subject only. */
  function loadStimuli() {
    var subject = stimulusSubject();
    var seq = ++state.stimulusSeq;
    state.stimuli = {};
    state.stimulusOrder = [];
    if (!subject) {
      fillStimuli();
      return Promise.resolve();
    }
    return B.api("GET", "/api/stimuli/" + B.query({ subject: subject })).then(function (result) {
      if (seq !== state.stimulusSeq) return;
      if (result.ok && result.data) each(result.data.results || [], function (s) { rememberStimulus(s, false); });
      var savedId = state.latest ? state.latest.stimulus : null;
      if (state.stimulusId && !state.stimuli[state.stimulusId] && state.stimulusId !== savedId) {
        state.stimulusId = null;
        markChanged();
      }
      fillStimuli();
    });
  }

  function chooseStimulus(id) {
    state.stimulusId = id ? parseInt(id, 10) : null;
    showStimulusInfo();
  }

  function showStimulusKind() {
    var kind = el("s-kind").value;
    var file = STIMULUS_FILE_KINDS.indexOf(kind) !== -1;
    el("s-body-field").hidden = file;
    el("s-file-field").hidden = !file;
    el("s-alt-field").hidden = !file;
    el("s-file").accept = kind === "audio"
      ? "audio/mpeg,audio/ogg,audio/wav,audio/mp4,.mp3,.ogg,.wav,.m4a"
      : "image/png,image/jpeg,image/gif,image/webp";
  }

  function setUpStimulusForm() {
    B.fillSelect(el("s-kind"), STIMULUS_KINDS.map(function (kind) {
      return { value: kind, label: t("stimulusKind_" + kind) };
    }), "passage");
    B.fillSelect(el("s-visibility"), B.choices(state.meta.visibilities), "school");
    showStimulusKind();
  }

  function resetStimulusForm() {
    each(["s-title", "s-body", "s-alt_text", "s-file"], function (id) { el(id).value = ""; });
    el("s-kind").value = "passage";
    el("s-visibility").value = "school";
    showStimulusKind();
  }

  // The API's error body with the field names this form shows ("s-title", …).
  function stimulusErrors(data) {
    var error = (data && data.error) || {};
    var fields = {};
    Object.keys(error.fields || {}).forEach(function (name) {
      fields[STIMULUS_FIELDS.indexOf(name) !== -1 ? "s-" + name : name] = error.fields[name];
    });
    return { error: { code: error.code, message: error.message, fields: fields } };
  }

  function createStimulus() {
    B.errors.clear(stimulusForm, "stimulus");
    var kind = el("s-kind").value;
    var fileKind = STIMULUS_FILE_KINDS.indexOf(kind) !== -1;
    var fields = {
      title: value("s-title"),
      subject: stimulusSubject(),
      kind: kind,
      visibility: el("s-visibility").value,
      body: fileKind ? "" : el("s-body").value
    };
    var body = fields;
    var file = el("s-file").files && el("s-file").files[0];
    if (fileKind) {
      fields.alt_text = value("s-alt_text");
      if (file) {
        body = new FormData();
        Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
        body.append("file", file, file.name);
      }
    }
    var button = el("create-stimulus");
    button.disabled = true;
    el("stimulus-state").textContent = t("creatingStimulus");
    return B.api("POST", "/api/stimuli/", body).then(function (result) {
      button.disabled = false;
      el("stimulus-state").textContent = "";
      if (!result.ok) {
        var data = result.status === 400 ? result.data : { error: { message: B.failure(result) } };
        B.errors.show(stimulusForm, stimulusErrors(data), "stimulus");
        var invalid = stimulusForm.querySelector("[aria-invalid=true]");
        if (invalid) invalid.focus();
        return false;
      }
      rememberStimulus(result.data, true);
      state.stimulusId = result.data.id;
      fillStimuli();
      resetStimulusForm();
      el("new-stimulus").open = false;
      el("stimulus-state").textContent = "";
      B.notice(el("page-notice"), t("stimulusCreated"), "ok");
      stimulusSelect.focus();
      markChanged();
      return true;
    });
  }

  /* --- live preview ---------------------------------------------------------------------- */

  var schedulePreview = B.debounce(refreshPreview, PREVIEW_MS);

  function showPreview(view, keySummary) {
    window.ItemRenderer.render(previewHost, view, { value: null, name: "preview-item", onChange: function () {} });
    previewHost.classList.remove("stale");
    el("key-summary").textContent = keySummary || "—";
    el("preview-state").textContent = "";
    previewHost.setAttribute("data-ready", "true");
  }

  function refreshPreview() {
    var seq = ++state.previewSeq;
    var body = { item_type: currentType(), content: readContent(), points: points() };
    el("preview-state").textContent = t("previewUpdating");
    return B.api("POST", "/api/items/preview/", body).then(function (result) {
      if (seq !== state.previewSeq) return;
      B.errors.clear(form, "preview");
      if (result.ok && result.data) {
        // The preview call knows nothing of the stimulus: put the chosen one in, as the exam page gets it.
        var view = result.data.preview;
        view.stimulus = chosenStimulusView();
        showPreview(view, result.data.key_summary);
        return;
      }
      previewHost.classList.add("stale");
      if (result.status === 400) {
        B.errors.show(form, result.data, "preview");
        el("preview-state").textContent = t("previewHasErrors");
      } else {
        el("preview-state").textContent = B.failure(result);
      }
    });
  }

  /* --- near-duplicate warning ------------------------------------------------------------ */

  var scheduleDuplicates = B.debounce(checkDuplicates, DUPLICATES_MS);

  function checkDuplicates() {
    var content = readContent();
    var box = el("duplicates");
    if (!content.stem.trim()) {
      box.hidden = true;
      return;
    }
    var seq = ++state.duplicateSeq;
    var body = {
      subject: state.item ? state.item.subject : value("f-subject"),
      item_type: currentType(),
      content: content,
      exclude_item: state.itemId
    };
    B.api("POST", "/api/items/near-duplicates/", body).then(function (result) {
      if (seq !== state.duplicateSeq) return;
      var found = result.ok && result.data ? result.data.results || [] : [];
      var list = B.clear(el("duplicate-list"));
      each(found, function (hit) {
        var li = make("li");
        li.appendChild(B.link("#" + hit.id + " " + (hit.text || ""), "/bank/items/" + hit.id + "/"));
        if (hit.similarity !== undefined && hit.similarity !== null) {
          li.appendChild(make("span", "muted", " (" + Math.round(Number(hit.similarity) * 100) + "%)"));
        }
        list.appendChild(li);
      });
      box.hidden = !found.length;
    });
  }

  /* --- loading an item ------------------------------------------------------------------- */

  function latestOf(item) {
    var latest = null;
    each(item.versions || [], function (v) { if (!latest || v.number > latest.number) latest = v; });
    return latest;
  }

  function statusLabel(code) { return B.labelOf(state.meta && state.meta.statuses, code); }

  // Enemy items (GET/PUT /api/items/<id>/enemies/): a list of item numbers, saved on its own.
  var enemiesField = el("enemies-field");
  function loadEnemies(itemId) {
    enemiesField.hidden = false;
    B.api("GET", "/api/items/" + itemId + "/enemies/").then(function (result) {
      if (result.ok) el("f-enemies").value = result.data.items.map(function (i) { return i.id; }).join(", ");
    });
  }
  el("save-enemies").addEventListener("click", function () {
    var ids = el("f-enemies").value.split(/[^0-9]+/).filter(Boolean).map(Number);
    B.errors.clear(enemiesField);
    B.api("PUT", "/api/items/" + state.itemId + "/enemies/", { items: ids }).then(function (result) {
      if (result.ok) {
        el("f-enemies").value = result.data.items.map(function (i) { return i.id; }).join(", ");
        B.notice(el("page-notice"), t("saved"), "ok");
      } else if (!B.errors.show(enemiesField, result.data)) {
        B.notice(el("page-notice"), B.failure(result), "error");
      }
    });
  });

  function loadItem(item) {
    state.item = item;
    state.itemId = item.id;
    loadEnemies(item.id);
    state.latest = latestOf(item);
    state.newVersion = false;
    state.dirty = false;
    var latest = state.latest || { content: {}, points: "1" };
    el("editor-heading").textContent = t("editItem") + " #" + item.id + (item.title ? " · " + item.title : "");
    document.title = t("editItem") + " #" + item.id;
    B.fillSelect(typeSelect, B.choices(state.meta.item_types), item.item_type);
    typeSelect.disabled = true;
    B.fillSelect(el("f-subject"), subjectChoices(), item.subject);
    el("f-subject").disabled = true;
    fillTopics(item.subject, item.topic);
    el("f-level").value = item.level || "";
    el("f-visibility").value = item.visibility || "";
    el("f-grade").value = item.grade === null || item.grade === undefined ? "" : String(item.grade);
    each(["title", "learning_outcome", "source"], function (name) { el("f-" + name).value = item[name] || ""; });
    el("f-expected_seconds").value = item.expected_seconds === null || item.expected_seconds === undefined ? "" : String(item.expected_seconds);
    el("f-language").value = item.language || "vi";
    el("f-points").value = latest.points || "1";
    stem.value = latest.content.stem || "";
    explanation.value = latest.content.explanation || "";
    state.stimulusId = latest.stimulus || null;
    fillStimuli();
    loadStimuli();
    buildTypeEditor(item.item_type, latest.content);
    if (state.latest) showPreview(state.latest.preview, state.latest.key_summary);
    B.errors.clear(form);
    applyLock();
    renderWorkflow();
    renderVersions();
    showUsage(item.id);
    state.dirty = false;
  }

  // How much the item has been used: forms, sittings, candidates who saw it.
  function showUsage(itemId) {
    var line = el("item-usage");
    if (!line) return;
    B.api("GET", "/api/items/" + itemId + "/usage/").then(function (result) {
      if (!result.ok || !result.data) { line.hidden = true; return; }
      line.textContent = B.format(t("usage"), {
        forms: result.data.forms,
        sittings: result.data.sittings,
        exposures: result.data.exposures
      });
      line.hidden = false;
    });
  }

  function canEdit() {
    return !state.item || state.item.editable !== false;
  }

  function contentEditable() {
    if (!state.item) return true;
    if (!canEdit()) return false;
    if (state.newVersion) return true;
    return !!state.latest && EDITABLE.indexOf(state.latest.status) !== -1;
  }

  function applyLock() {
    var open = contentEditable();
    editable.disabled = !open;
    el("save").hidden = !open;
    el("save").textContent = state.item && state.newVersion ? t("saveNewVersion") : t("save");
    var frozen = state.latest && FROZEN.indexOf(state.latest.status) !== -1;
    el("new-version").hidden = !(state.item && canEdit() && frozen && !state.newVersion);
    var line = el("status-line");
    B.clear(line);
    if (state.latest) {
      line.appendChild(document.createTextNode(t("version") + " " + state.latest.number + " · "));
      line.appendChild(B.statusPill(state.latest.status, statusLabel(state.latest.status)));
      if (state.newVersion) line.appendChild(make("span", "muted", " · " + t("editingNewVersion")));
      else if (!open) line.appendChild(make("span", "muted", " · " + (canEdit() ? t("lockedHint") : t("readOnlyHint"))));
    }
  }

  /* --- saving ---------------------------------------------------------------------------- */

  function subjectChoices() {
    return (state.meta.subjects || []).map(function (s) { return { value: s.code, label: s.name }; });
  }

  function save() {
    B.errors.clear(form, "save");
    B.notice(el("page-notice"), "");
    var content = readContent();
    el("save").disabled = true;
    el("save-state").textContent = t("saving");
    var done = function (result) {
      el("save").disabled = false;
      el("save-state").textContent = "";
      return result;
    };
    if (!state.item) {
      var body = readMetadata();
      body.subject = value("f-subject");
      body.item_type = typeSelect.value;
      body.content = content;
      body.points = points();
      body.stimulus = state.stimulusId;
      return B.api("POST", "/api/items/", body).then(done).then(function (result) {
        if (result.ok) {
          window.history.replaceState(null, "", "/bank/items/" + result.data.id + "/");
          loadItem(result.data);
          B.notice(el("page-notice"), t("created"), "ok");
          return true;
        }
        return failed(result);
      });
    }
    var item = state.item;
    var metaBody = readMetadata();
    return B.api("PATCH", "/api/items/" + item.id + "/", metaBody).then(function (result) {
      if (!result.ok) return done(result);
      var versionBody = { content: content, points: points() };
      // Sent when changed only: keeping a stimulus you may no longer attach is not attaching it.
      if (state.stimulusId !== ((state.latest && state.latest.stimulus) || null)) versionBody.stimulus = state.stimulusId;
      if (state.newVersion) return B.api("POST", "/api/items/" + item.id + "/versions/", versionBody).then(done);
      return B.api("PATCH", "/api/item-versions/" + state.latest.id + "/", versionBody).then(done);
    }).then(function (result) {
      if (!result.ok) return failed(result);
      return reload().then(function () {
        B.notice(el("page-notice"), t("saved"), "ok");
        return true;
      });
    });
  }

  function failed(result) {
    if (result.status === 400) {
      B.errors.show(form, result.data, "save");
      B.notice(el("page-notice"), t("fixErrors"), "error");
    } else {
      B.notice(el("page-notice"), B.failure(result), "error");
    }
    var invalid = form.querySelector("[aria-invalid=true]");
    if (invalid && !invalid.disabled) invalid.focus();
    return false;
  }

  function reload() {
    return B.api("GET", "/api/items/" + state.itemId + "/").then(function (result) {
      if (!result.ok) {
        B.notice(el("page-notice"), B.failure(result), "error");
        // Nothing to edit: do not leave an empty form that would save a new item.
        if (!state.item) document.querySelector(".editor-layout").hidden = true;
        return;
      }
      loadItem(result.data);
    });
  }

  /* --- review workflow ------------------------------------------------------------------- */

  function move(action, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return;
    var start = state.dirty && contentEditable() ? save() : Promise.resolve(true);
    start.then(function (ok) {
      if (!ok) return;
      B.api("POST", "/api/item-versions/" + state.latest.id + "/" + action + "/", {}).then(function (result) {
        if (!result.ok) {
          B.notice(el("page-notice"), B.failure(result), "error");
          return;
        }
        reload().then(function () { B.notice(el("page-notice"), t("moved_" + action), "ok"); });
      });
    });
  }

  function renderWorkflow() {
    var box = B.clear(el("workflow"));
    var latest = state.latest;
    if (!latest || !canEdit()) return;
    var status = latest.status;
    if (EDITABLE.indexOf(status) !== -1) {
      box.appendChild(B.button(t("submitForReview"), "secondary", function () { move("submit"); })).id = "submit-review";
    } else if (status === "submitted") {
      box.appendChild(make("span", "muted", t("waitingForReview") + " "));
    } else if (status === "approved") {
      box.appendChild(B.button(t("publish"), "secondary", function () { move("publish"); })).id = "publish";
    } else if (status === "published" && B.config.user.board) {
      box.appendChild(B.button(t("retire"), "secondary danger", function () { move("retire", t("confirmRetire")); })).id = "retire";
    }
  }

  function renderVersions() {
    var section = el("versions");
    var list = B.clear(el("version-list"));
    var versions = (state.item.versions || []).slice().sort(function (a, b) { return b.number - a.number; });
    section.hidden = !versions.length;
    each(versions, function (version) {
      var li = make("li", "version");
      li.setAttribute("data-version", version.number);
      var head = make("div", "version-head");
      head.appendChild(make("strong", null, t("version") + " " + version.number));
      head.appendChild(document.createTextNode(" "));
      head.appendChild(B.statusPill(version.status, statusLabel(version.status)));
      head.appendChild(make("span", "muted", " " + B.formatDate(version.created_at)));
      if (version.number > 1) {
        var compare = B.button(t("compare"), "secondary compare", function () { showDiff(version, li); });
        compare.setAttribute("aria-label", t("compare") + ": " + t("version") + " " + version.number);
        head.appendChild(compare);
      }
      li.appendChild(head);
      var events = make("ul", "events");
      li.appendChild(events);
      list.appendChild(li);
      B.api("GET", "/api/item-versions/" + version.id + "/history/").then(function (result) {
        if (!result.ok) return;
        each(result.data.results || [], function (event) {
          var row = make("li");
          row.appendChild(document.createTextNode(
            statusLabel(event.from_status) + " → " + statusLabel(event.to_status) + " · " + (event.by_name || "") + " · " + B.formatDate(event.at)
          ));
          if (event.comment) row.appendChild(make("blockquote", "comment", event.comment));
          events.appendChild(row);
        });
      });
    });
  }

  function showDiff(version, host) {
    var old = host.querySelector(".diff");
    if (old) {
      host.removeChild(old);
      return;
    }
    var box = make("div", "diff");
    box.setAttribute("aria-live", "polite");
    box.textContent = t("loading");
    host.appendChild(box);
    B.api("GET", "/api/item-versions/" + version.id + "/diff/").then(function (result) {
      B.clear(box);
      if (!result.ok) {
        box.textContent = B.failure(result);
        return;
      }
      B.renderDiff(box, result.data);
    });
  }

  /* --- start ----------------------------------------------------------------------------- */

  function setUpNew() {
    B.fillSelect(typeSelect, B.choices(state.meta.item_types), "single_choice");
    B.fillSelect(el("f-subject"), subjectChoices(), null);
    fillTopics(value("f-subject"), null);
    el("f-language").value = "vi";
    el("f-points").value = "1";
    buildTypeEditor(typeSelect.value, {});
    loadStimuli();
    applyLock();
    state.dirty = false;
  }

  form.addEventListener("input", function (event) {
    if (stimulusForm.contains(event.target)) return; // a stimulus being written is not the item
    // The duplicate check compares the student-visible text: the stem and the type's texts.
    if (event.target === stem || typeHost.contains(event.target)) scheduleDuplicates();
    markChanged();
  });
  form.addEventListener("change", function (event) {
    if (stimulusForm.contains(event.target)) {
      if (event.target.id === "s-kind") showStimulusKind();
      return;
    }
    if (event.target === typeSelect) {
      buildTypeEditor(typeSelect.value, {});
      B.errors.clear(form);
      scheduleDuplicates();
    } else if (event.target.id === "f-subject") {
      fillTopics(value("f-subject"), null);
      loadStimuli();
      scheduleDuplicates();
    } else if (event.target === stimulusSelect) {
      chooseStimulus(stimulusSelect.value);
    }
    markChanged();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (editable.disabled) return;
    // Enter in the new stimulus's fields creates the stimulus, not the item.
    if (stimulusForm.contains(document.activeElement)) createStimulus();
    else save();
  });
  el("create-stimulus").addEventListener("click", function () { createStimulus(); });
  el("new-version").addEventListener("click", function () {
    state.newVersion = true;
    applyLock();
    stem.focus();
  });

  B.meta().then(function (meta) {
    state.meta = meta;
    B.fillSelect(el("f-level"), B.choices(meta.levels), null);
    B.fillSelect(el("f-visibility"), B.choices(meta.visibilities), "school");
    setUpStimulusForm();
    if (state.itemId) {
      reload();
    } else {
      setUpNew();
      refreshPreview();
    }
  }, function (result) {
    B.notice(el("page-notice"), B.failure(result), "error");
  });
})();
