/* The student's side of every item type: one renderer for the exam page and the author preview.
 *
 *   var view = ItemRenderer.render(container, item, {
 *     value: null,                      // the current response value (contract shape) or null
 *     onChange: function (value) {},    // called with the new response value, null when cleared
 *     text: {},                         // words overriding the page's #item-text (ItemRenderer.defaultText())
 *     readOnly: false,                  // show, but take no input (the preview)
 *     name: "item-3",                   // optional: input names (default "item-" + item.item)
 *     collapseStimulus: false           // optional: show the shared stimulus folded in <details>
 *   });
 *   view.setValue(value);   // repaint from a value (reconnect, state message, clear)
 *   view.getValue();        // the value the inputs show now
 *   view.flush();           // send now a typed change still waiting for its debounce
 *   view.element;           // the item body it built inside container
 *
 * `item` is a student view (docs: item content contract): {item, type, points, stem_html, ...}.
 * It never holds a key and the renderer never needs one. Only the server's *_html fields are
 * put in as HTML (sanitised and rendered on the server); everything else goes in as text.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;
  var NUMERIC_MAX = 20;
  var TEXT_MAX = 1000;
  var ESSAY_MAX = 20000;
  var NUMERIC_CHAR = /^[0-9,.\-]$/;
  var NUMERIC_STRIP = /[^0-9,.\-]/g;
  // The server's rules, mirrored so that typing in progress is not sent to be refused:
  // a number as scoring.item_rules.parse_decimal_answer reads it, and words as
  // scoring.item_rules.count_words counts them (Python's str.split() white space).
  var NUMBER = /^\s*[+\-\u2212]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)\s*$/;
  var WORD = /[^\t\n\v\f\r \x1c-\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

  // The words around an item come translated from the server, in the page's language only:
  // every page that loads this script holds them in #item-text (frontend/bank_text.py,
  // item_text()), and options.text may override some. The script holds no words of its own:
  // a word missing from the page shows its key.
  var TEXT_KEYS = ["options", "chooseAll", "statements", "statement", "trueLabel", "falseLabel", "answer",
    "box", "boxesHint", "numericHint", "gap", "responses", "matchWith", "up", "down", "keepOrder",
    "notOrdered", "orderHint", "movedTo", "essay", "words", "overLimit", "stimulus", "unsupported"];
  var EMPTY_CHOICE = "\u2014";  // an em dash: the choice of a select that has none yet
  var pageText = null;

  // Read once, at the first render: the harness and the pages put #item-text in before.
  function defaultText() {
    if (pageText !== null) return pageText;
    var node = document.getElementById("item-text");
    var words = node ? JSON.parse(node.textContent) : null;
    var keys = { empty: EMPTY_CHOICE };
    for (var i = 0; i < TEXT_KEYS.length; i++) keys[TEXT_KEYS[i]] = TEXT_KEYS[i];
    pageText = merge(keys, words);
    return pageText;
  }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // Only for the server's *_html fields (sanitised, rendered: MathML, media URLs).
  function serverHtml(node, html) {
    node.innerHTML = html || "";
    return node;
  }

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) fn(list[i], i);
  }

  function upperLetter(i) {
    return i < 26 ? String.fromCharCode(65 + i) : String(i + 1);
  }

  function lowerLetter(i) {
    return i < 26 ? String.fromCharCode(97 + i) : String(i + 1);
  }

  function merge(base, extra) {
    var out = {};
    var k;
    for (k in base) if (Object.prototype.hasOwnProperty.call(base, k)) out[k] = base[k];
    if (extra) for (k in extra) if (Object.prototype.hasOwnProperty.call(extra, k) && extra[k] != null) out[k] = extra[k];
    return out;
  }

  // JSON with sorted keys: two values that mean the same compare equal.
  function canonical(value) {
    if (value === undefined || value === null) return "null";
    if (Object.prototype.toString.call(value) === "[object Array]") {
      var parts = [];
      each(value, function (v) { parts.push(canonical(v)); });
      return "[" + parts.join(",") + "]";
    }
    if (typeof value === "object") {
      var keys = Object.keys(value).sort();
      return "{" + keys.map(function (k) { return JSON.stringify(k) + ":" + canonical(value[k]); }).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && Object.prototype.toString.call(value) !== "[object Array]";
  }

  function emptyToNull(obj) {
    return Object.keys(obj).length ? obj : null;
  }

  // Plain text of a server HTML fragment, parsed inert; "" when it holds math or media.
  function plainText(html) {
    var doc = new DOMParser().parseFromString("<body>" + (html || "") + "</body>", "text/html");
    if (doc.body.querySelector("math, img, audio, video, table, svg")) return "";
    var text = (doc.body.textContent || "").replace(/\s+/g, " ").trim();
    return text.length > 60 ? text.slice(0, 57) + "…" : text;
  }

  function wordCount(value) {
    var words = (value || "").match(WORD);
    return words ? words.length : 0;
  }

  // Whether a short numeric value may be sent: a whole number, or nothing (clears).
  function numberReady(value) {
    return value === null || NUMBER.test(value);
  }

  function group(className, label) {
    var node = make("div", className);
    node.setAttribute("role", "group");
    if (label) node.setAttribute("aria-label", label);
    return node;
  }

  function hint(text) {
    return make("p", "hint", text);
  }

  /* Each builder adds its interaction to ctx.root and returns {read(), paint(value)}, and
   * optionally ready(): false while the value must not be sent when typing pauses.
   * It calls ctx.emit() when the value changed now, ctx.schedule() while typing. */
  var BUILDERS = {};

  // One labelled input (radio or checkbox) per option: letter, then the option's server HTML.
  // The letter is the option's place (A, B, C, ...): its id is an opaque token of the form.
  function optionInputs(ctx, box, type) {
    var inputs = [];
    each(ctx.item.options || [], function (option, i) {
      var label = make("label", "option");
      var input = make("input");
      input.type = type;
      input.name = ctx.name;
      input.value = option.id;
      input.disabled = ctx.readOnly;
      input.addEventListener("change", ctx.emit);
      label.appendChild(input);
      label.appendChild(make("span", "letter", upperLetter(i) + "."));
      label.appendChild(serverHtml(make("span", "option-body"), option.html));
      box.appendChild(label);
      inputs.push(input);
    });
    return inputs;
  }

  BUILDERS.single_choice = function (ctx) {
    var box = make("div", "options");
    box.setAttribute("role", "radiogroup");
    box.setAttribute("aria-label", ctx.text.options);
    var inputs = optionInputs(ctx, box, "radio");
    ctx.root.appendChild(box);
    return {
      read: function () {
        for (var i = 0; i < inputs.length; i++) if (inputs[i].checked) return inputs[i].value;
        return null;
      },
      paint: function (value) {
        each(inputs, function (input) { input.checked = value === input.value; });
      }
    };
  };

  BUILDERS.multiple_response = function (ctx) {
    ctx.root.appendChild(hint(ctx.text.chooseAll));
    var box = group("options multiple", ctx.text.options);
    var inputs = optionInputs(ctx, box, "checkbox");
    ctx.root.appendChild(box);
    return {
      read: function () {
        var chosen = [];
        each(inputs, function (input) { if (input.checked) chosen.push(input.value); });
        return chosen.length ? chosen : null;
      },
      paint: function (value) {
        var chosen = Object.prototype.toString.call(value) === "[object Array]" ? value : [];
        each(inputs, function (input) { input.checked = chosen.indexOf(input.value) !== -1; });
      }
    };
  };

  BUILDERS.true_false_group = function (ctx) {
    var table = make("table", "tf-table");
    table.setAttribute("aria-label", ctx.text.statements);
    var head = make("thead");
    var headRow = make("tr");
    var first = make("th", "tf-statement", ctx.text.statement);
    first.scope = "col";
    headRow.appendChild(first);
    each([ctx.text.trueLabel, ctx.text.falseLabel], function (label) {
      var th = make("th", "tf-head", label);
      th.scope = "col";
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = make("tbody");
    var rows = [];
    each(ctx.item.statements || [], function (statement, i) {
      var tr = make("tr");
      tr.dataset.statement = statement.id;
      var th = make("th", "tf-statement");
      th.scope = "row";
      th.appendChild(make("span", "letter", lowerLetter(i) + ")"));
      th.appendChild(serverHtml(make("span", "statement-body"), statement.html));
      tr.appendChild(th);
      var row = { id: statement.id, inputs: {} };
      each([[true, ctx.text.trueLabel], [false, ctx.text.falseLabel]], function (pair) {
        var td = make("td", "tf-choice");
        var label = make("label");
        var input = make("input");
        input.type = "radio";
        input.name = ctx.name + "-" + statement.id;
        input.value = pair[0] ? "true" : "false";
        input.disabled = ctx.readOnly;
        input.setAttribute("aria-label", lowerLetter(i) + ") " + pair[1]);
        input.addEventListener("change", ctx.emit);
        label.appendChild(input);
        td.appendChild(label);
        tr.appendChild(td);
        row.inputs[input.value] = input;
      });
      body.appendChild(tr);
      rows.push(row);
    });
    table.appendChild(body);
    ctx.root.appendChild(table);
    return {
      read: function () {
        var value = {};
        each(rows, function (row) {
          if (row.inputs["true"].checked) value[row.id] = true;
          else if (row.inputs["false"].checked) value[row.id] = false;
        });
        return emptyToNull(value);
      },
      paint: function (value) {
        var v = isObject(value) ? value : {};
        each(rows, function (row) {
          row.inputs["true"].checked = v[row.id] === true;
          row.inputs["false"].checked = v[row.id] === false;
        });
      }
    };
  };

  BUILDERS.short_numeric = function (ctx) {
    var count = ctx.item.boxes;
    if (typeof count === "number" && count >= 1 && count <= NUMERIC_MAX) return numericBoxes(ctx, Math.floor(count));
    ctx.root.appendChild(hint(ctx.text.numericHint));
    var input = make("input", "numeric-input");
    input.type = "text";
    input.name = ctx.name;
    input.setAttribute("inputmode", "decimal");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    input.setAttribute("aria-label", ctx.text.answer);
    input.maxLength = NUMERIC_MAX;
    input.readOnly = ctx.readOnly;
    input.addEventListener("input", function () {
      var clean = input.value.replace(NUMERIC_STRIP, "");
      if (clean !== input.value) {
        var caret = Math.max(0, (input.selectionStart || 0) - (input.value.length - clean.length));
        input.value = clean;
        input.setSelectionRange(caret, caret);
      }
      ctx.schedule();
    });
    input.addEventListener("blur", ctx.emit);
    input.addEventListener("keydown", function (event) { if (event.key === "Enter") ctx.emit(); });
    ctx.root.appendChild(input);
    function read() { return input.value.trim() || null; }
    return {
      read: read,
      ready: function () { return numberReady(read()); },
      paint: function (value) { input.value = typeof value === "string" ? value : ""; }
    };
  };

  // The national exam's answer boxes: one character per box, joined into the value.
  function numericBoxes(ctx, count) {
    ctx.root.appendChild(hint(ctx.text.boxesHint));
    var row = group("boxes", ctx.text.answer);
    var boxes = [];
    for (var i = 0; i < count; i++) {
      var box = make("input", "box");
      box.type = "text";
      box.name = ctx.name + "-" + (i + 1);
      box.setAttribute("inputmode", "decimal");
      box.setAttribute("autocomplete", "off");
      box.setAttribute("spellcheck", "false");
      box.setAttribute("aria-label", ctx.text.box + " " + (i + 1) + "/" + count);
      box.dataset.box = String(i + 1);
      box.readOnly = ctx.readOnly;
      row.appendChild(box);
      boxes.push(box);
    }

    function focusBox(i) {
      if (i < 0 || i >= count) return;
      boxes[i].focus();
      boxes[i].select();
    }

    // Puts characters into the boxes from box i on; returns the index after the last one written.
    function spread(i, chars) {
      var j = i;
      each(chars, function (ch) {
        if (j < count) boxes[j++].value = ch;
      });
      return j;
    }

    each(boxes, function (box, i) {
      box.addEventListener("keydown", function (event) {
        if (ctx.readOnly || event.ctrlKey || event.metaKey || event.altKey) return;
        var key = event.key;
        if (key === "Backspace") {
          event.preventDefault();
          if (box.value) { box.value = ""; }
          else if (i > 0) { boxes[i - 1].value = ""; focusBox(i - 1); }
          ctx.schedule();
        } else if (key === "Delete") {
          event.preventDefault();
          box.value = "";
          ctx.schedule();
        } else if (key === "ArrowLeft") {
          event.preventDefault();
          focusBox(i - 1);
        } else if (key === "ArrowRight") {
          event.preventDefault();
          focusBox(i + 1);
        } else if (key === "Home") {
          event.preventDefault();
          focusBox(0);
        } else if (key === "End") {
          event.preventDefault();
          focusBox(count - 1);
        } else if (key === "Enter") {
          ctx.emit();
        } else if (key && key.length === 1) {
          event.preventDefault();
          if (!NUMERIC_CHAR.test(key)) return;
          box.value = key;
          ctx.schedule();
          focusBox(i + 1);
        }
      });
      // Typing that did not come as a key (a phone's keyboard, an input method, autofill).
      box.addEventListener("input", function () {
        var chars = box.value.replace(NUMERIC_STRIP, "").split("");
        box.value = "";
        var next = spread(i, chars);
        focusBox(Math.min(next, count - 1));
        ctx.schedule();
      });
      box.addEventListener("paste", function (event) {
        if (ctx.readOnly) return;
        event.preventDefault();
        var pasted = (event.clipboardData || window.clipboardData).getData("text") || "";
        var next = spread(i, pasted.replace(NUMERIC_STRIP, "").split(""));
        focusBox(Math.min(next, count - 1));
        ctx.schedule();
      });
      box.addEventListener("focus", function () { box.select(); });
    });
    // Send when the focus leaves the row of boxes, not on every move between boxes.
    row.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !row.contains(event.relatedTarget)) ctx.emit();
    });
    ctx.root.appendChild(row);
    function read() {
      var joined = boxes.map(function (b) { return b.value; }).join("").trim();
      return joined || null;
    }
    return {
      read: read,
      ready: function () { return numberReady(read()); },
      paint: function (value) {
        var chars = typeof value === "string" ? value.split("") : [];
        each(boxes, function (b, i) { b.value = chars[i] || ""; });
      }
    };
  }

  BUILDERS.text_entry = function (ctx) {
    var input = make("input", "text-input");
    input.type = "text";
    input.name = ctx.name;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    input.setAttribute("aria-label", ctx.text.answer);
    input.maxLength = TEXT_MAX;
    input.readOnly = ctx.readOnly;
    input.addEventListener("input", ctx.schedule);
    input.addEventListener("blur", ctx.emit);
    input.addEventListener("keydown", function (event) { if (event.key === "Enter") ctx.emit(); });
    ctx.root.appendChild(input);
    return {
      read: function () { return input.value.trim() || null; },
      paint: function (value) { input.value = typeof value === "string" ? value : ""; }
    };
  };

  function choiceSelect(ctx, label, choices) {
    var select = make("select");
    select.setAttribute("aria-label", label);
    select.disabled = ctx.readOnly;
    select.appendChild(make("option", null, ctx.text.empty)).value = "";
    each(choices, function (choice) {
      var option = make("option", null, choice.text);
      option.value = choice.id;
      select.appendChild(option);
    });
    select.addEventListener("change", ctx.emit);
    return select;
  }

  BUILDERS.inline_choice = function (ctx) {
    var gaps = ctx.item.gaps || [];
    var selects = [];       // [{id, select}] in the order of item.gaps
    var byId = {};
    each(gaps, function (gap, i) {
      var select = choiceSelect(ctx, ctx.text.gap + " " + (i + 1), gap.options || []);
      select.name = ctx.name + "-" + gap.id;
      select.dataset.gap = gap.id;
      byId[gap.id] = select;
      selects.push({ id: gap.id, select: select });
    });
    var placed = {};
    each(ctx.stem.querySelectorAll("span.gap[data-gap]"), function (span) {
      var id = span.getAttribute("data-gap");
      if (!byId[id] || placed[id]) return;
      span.textContent = "";
      span.appendChild(byId[id]);
      placed[id] = true;
    });
    // A gap the stem does not mark is still answerable, below the stem.
    var rest = selects.filter(function (s) { return !placed[s.id]; });
    if (rest.length) {
      var list = make("div", "gaps-extra");
      each(rest, function (s) {
        var label = make("label", "gap-extra");
        label.appendChild(make("span", "letter", s.select.getAttribute("aria-label")));
        label.appendChild(s.select);
        list.appendChild(label);
      });
      ctx.root.appendChild(list);
    }
    return {
      read: function () {
        var value = {};
        each(selects, function (s) { if (s.select.value) value[s.id] = s.select.value; });
        return emptyToNull(value);
      },
      paint: function (value) {
        var v = isObject(value) ? value : {};
        each(selects, function (s) { s.select.value = typeof v[s.id] === "string" ? v[s.id] : ""; });
      }
    };
  };

  BUILDERS.matching = function (ctx) {
    var responses = ctx.item.responses || [];
    var choices = [];
    var listBox = make("div", "match-responses");
    var listId = ctx.idBase + "-responses";
    var heading = make("p", "match-heading", ctx.text.responses);
    heading.id = listId;
    listBox.appendChild(heading);
    var list = make("ol", "match-list");
    list.setAttribute("aria-labelledby", listId);
    each(responses, function (response, i) {
      var letter = upperLetter(i);
      var li = make("li");
      li.dataset.response = response.id;
      li.appendChild(make("span", "letter", letter + "."));
      li.appendChild(serverHtml(make("span", "response-body"), response.html));
      list.appendChild(li);
      var plain = plainText(response.html);
      choices.push({ id: response.id, text: plain ? letter + ". " + plain : letter });
    });
    listBox.appendChild(list);
    ctx.root.appendChild(listBox);
    var rows = [];
    var table = make("div", "match-rows");
    each(ctx.item.premises || [], function (premise, i) {
      var row = make("div", "match-row");
      row.dataset.premise = premise.id;
      var body = make("div", "premise");
      body.id = ctx.idBase + "-premise-" + i;
      body.appendChild(make("span", "letter", (i + 1) + "."));
      body.appendChild(serverHtml(make("span", "premise-body"), premise.html));
      var select = choiceSelect(ctx, ctx.text.matchWith + " " + (i + 1), choices);
      select.name = ctx.name + "-" + premise.id;
      select.dataset.premise = premise.id;
      select.setAttribute("aria-labelledby", body.id);
      select.removeAttribute("aria-label");
      row.appendChild(body);
      row.appendChild(make("span", "match-arrow", "→")).setAttribute("aria-hidden", "true");
      row.appendChild(select);
      table.appendChild(row);
      rows.push({ id: premise.id, select: select });
    });
    ctx.root.appendChild(table);
    return {
      read: function () {
        var value = {};
        each(rows, function (r) { if (r.select.value) value[r.id] = r.select.value; });
        return emptyToNull(value);
      },
      paint: function (value) {
        var v = isObject(value) ? value : {};
        each(rows, function (r) { r.select.value = typeof v[r.id] === "string" ? v[r.id] : ""; });
      }
    };
  };

  BUILDERS.ordering = function (ctx) {
    var elements = ctx.item.elements || [];
    var initial = elements.map(function (e) { return e.id; });
    var order = initial.slice();
    var ordered = false;
    var nodes = {};

    ctx.root.appendChild(hint(ctx.text.orderHint));
    var list = make("ol", "ordering-list");
    list.setAttribute("aria-label", ctx.text.orderHint);
    var live = make("span", "sr-only");
    live.setAttribute("aria-live", "polite");

    each(elements, function (element, i) {
      var li = make("li", "ordering-element");
      li.dataset.element = element.id;
      var pos = make("span", "ordering-pos");
      pos.setAttribute("aria-hidden", "true");
      var body = serverHtml(make("div", "element-body"), element.html);
      body.id = ctx.idBase + "-element-" + i;
      var moves = make("div", "ordering-moves");
      var up = make("button", "move move-up", ctx.text.up);
      var down = make("button", "move move-down", ctx.text.down);
      each([up, down], function (button) {
        button.type = "button";
        button.setAttribute("aria-describedby", body.id);
        moves.appendChild(button);
      });
      up.addEventListener("click", function () { move(element.id, -1, up, down); });
      down.addEventListener("click", function () { move(element.id, 1, down, up); });
      li.appendChild(pos);
      li.appendChild(body);
      li.appendChild(moves);
      nodes[element.id] = { li: li, pos: pos, up: up, down: down };
    });
    ctx.root.appendChild(list);

    var footer = make("div", "ordering-footer");
    var status = make("p", "ordering-status", ctx.text.notOrdered);
    var keep = make("button", "keep-order", ctx.text.keepOrder);
    keep.type = "button";
    keep.addEventListener("click", function () {
      if (ctx.readOnly) return;
      ordered = true;
      layout();
      ctx.emit();
    });
    footer.appendChild(status);
    footer.appendChild(keep);
    ctx.root.appendChild(footer);
    ctx.root.appendChild(live);

    function layout() {
      each(order, function (id, i) {
        var n = nodes[id];
        list.appendChild(n.li);
        n.pos.textContent = (i + 1) + ".";
        n.up.disabled = ctx.readOnly || i === 0;
        n.down.disabled = ctx.readOnly || i === order.length - 1;
      });
      list.classList.toggle("not-ordered", !ordered);
      status.hidden = ordered || ctx.readOnly;
      keep.hidden = ordered || ctx.readOnly;
    }

    function move(id, delta, button, other) {
      if (ctx.readOnly) return;
      var i = order.indexOf(id);
      var j = i + delta;
      if (i === -1 || j < 0 || j >= order.length) return;
      order[i] = order[j];
      order[j] = id;
      ordered = true;
      layout();
      // Moving the row takes the focus away from its button: give it back.
      (button.disabled ? other : button).focus();
      live.textContent = ctx.text.movedTo + " " + (j + 1);
      ctx.emit();
    }

    layout();
    return {
      read: function () { return ordered ? order.slice() : null; },
      paint: function (value) {
        if (Object.prototype.toString.call(value) === "[object Array]") {
          var next = [];
          each(value, function (id) { if (nodes[id] && next.indexOf(id) === -1) next.push(id); });
          each(initial, function (id) { if (next.indexOf(id) === -1) next.push(id); });
          order = next;
          ordered = true;
        } else {
          order = initial.slice();
          ordered = false;
        }
        layout();
      }
    };
  };

  BUILDERS.essay = function (ctx) {
    var max = typeof ctx.item.max_words === "number" && ctx.item.max_words > 0 ? ctx.item.max_words : null;
    var area = make("textarea", "essay-input");
    area.name = ctx.name;
    area.rows = 12;
    area.maxLength = ESSAY_MAX;
    area.readOnly = ctx.readOnly;
    area.setAttribute("aria-label", ctx.text.essay);
    var counter = make("p", "word-count");
    counter.id = ctx.idBase + "-words";
    area.setAttribute("aria-describedby", counter.id);

    function count() {
      var n = wordCount(area.value);
      counter.textContent = (max ? n + " / " + max : String(n)) + " " + ctx.text.words +
        (max && n > max ? " · " + ctx.text.overLimit : "");
      counter.classList.toggle("over", !!max && n > max);
      counter.dataset.words = String(n);
    }

    // Over the word limit nothing is sent (the server would refuse it): the counter says so,
    // and the last text within the limit stays saved until the student shortens this one.
    function withinLimit() { return !max || wordCount(area.value) <= max; }

    area.addEventListener("input", function () { count(); ctx.schedule(); });
    area.addEventListener("blur", function () { if (withinLimit()) ctx.emit(); });
    ctx.root.appendChild(area);
    ctx.root.appendChild(counter);
    return {
      read: function () { return area.value.trim() ? area.value : null; },
      ready: withinLimit,
      paint: function (value) { area.value = typeof value === "string" ? value : ""; count(); }
    };
  };

  function renderStimulus(stimulus, text, collapsed) {
    var box;
    if (collapsed) {
      box = make("details", "stimulus");
      box.appendChild(make("summary", "stimulus-title", stimulus.title || text.stimulus));
    } else {
      box = make("section", "stimulus");
      box.setAttribute("aria-label", stimulus.title || text.stimulus);
      if (stimulus.title) box.appendChild(make("h3", "stimulus-title", stimulus.title));
    }
    if (stimulus.id !== undefined && stimulus.id !== null) box.dataset.stimulus = String(stimulus.id);
    box.appendChild(serverHtml(make("div", "stimulus-body"), stimulus.html));
    return box;
  }

  var counter = 0;

  function render(container, item, options) {
    options = options || {};
    var text = merge(defaultText(), options.text);
    var name = options.name || ("item-" + item.item);
    var onChange = typeof options.onChange === "function" ? options.onChange : function () {};
    var readOnly = !!options.readOnly;

    while (container.firstChild) container.removeChild(container.firstChild);
    var root = make("div", "item-body item-type-" + String(item.type).replace(/[^a-z_]/g, ""));
    root.dataset.type = item.type;
    if (readOnly) root.classList.add("read-only");
    container.appendChild(root);
    if (item.stimulus) root.appendChild(renderStimulus(item.stimulus, text, !!options.collapseStimulus));
    var stem = serverHtml(make("div", "stem"), item.stem_html);
    root.appendChild(stem);

    var builder = Object.prototype.hasOwnProperty.call(BUILDERS, item.type) ? BUILDERS[item.type] : null;
    if (!builder) {
      var error = make("p", "item-error", text.unsupported + " (" + item.type + ")");
      error.setAttribute("role", "alert");
      root.appendChild(error);
      return {
        element: root,
        setValue: function () {},
        getValue: function () { return null; },
        flush: function () {}
      };
    }

    var last = options.value === undefined ? null : options.value;
    var timer = null;
    var control = null;

    function cancel() {
      if (timer !== null) window.clearTimeout(timer);
      timer = null;
    }

    function emit() {
      cancel();
      if (readOnly || !control) return;
      var value = control.read();
      if (canonical(value) === canonical(last)) return;
      last = value;
      onChange(value);
    }

    // Sent when typing pauses, unless the builder says the value is not ready to be sent
    // (a number half typed, an essay over its word limit).
    function emitWhenReady() {
      if (control && control.ready && !control.ready()) {
        cancel();
        return;
      }
      emit();
    }

    function schedule() {
      if (readOnly) return;
      cancel();
      timer = window.setTimeout(emitWhenReady, DEBOUNCE_MS);
    }

    counter += 1;
    control = builder({
      item: item,
      root: root,
      stem: stem,
      text: text,
      name: name,
      idBase: "ir" + counter + "-" + name.replace(/[^A-Za-z0-9_-]/g, "_"),
      readOnly: readOnly,
      emit: emit,
      schedule: schedule
    });
    control.paint(last);

    return {
      element: root,
      setValue: function (value) {
        cancel();
        last = value === undefined ? null : value;
        control.paint(last);
      },
      getValue: function () { return control.read(); },
      flush: function () { if (timer !== null) emitWhenReady(); }
    };
  }

  window.ItemRenderer = {
    render: render,
    defaultText: function () { return merge(defaultText(), null); },
    types: Object.keys(BUILDERS)
  };
})();
