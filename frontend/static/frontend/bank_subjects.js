/* Subjects and topics (/bank/subjects/): the subjects, and the chosen one's topic tree.
 *
 * Reads GET /api/subjects/ and GET /api/subjects/<id>/topics/ (a flat list: each topic names
 * its parent); writes POST /api/subjects/, PATCH /api/subjects/<id>/, POST
 * /api/subjects/<id>/topics/, PATCH and DELETE /api/topics/<id>/. The server decides who may
 * change what (each row's "editable") and refuses what would break the tree; its messages
 * are shown next to the field at fault, or next to the topic for a refused deletion.
 * The chosen subject lives in the address (?subject=<id>), so a reload shows the same tree.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var t = B.t;
  var make = B.make;
  var each = B.each;
  var el = function (id) { return document.getElementById(id); };
  var keeper = !!B.config.keeper;
  var kinds = (B.config.kinds || []).map(function (k) { return { value: k.code, label: k.label }; });

  var subjects = [];
  var current = null; // the chosen subject
  var topics = []; // its topics, flat

  function chosenFromAddress() {
    var value = new URLSearchParams(window.location.search).get("subject");
    return value ? parseInt(value, 10) : null;
  }

  function keptBy(row) {
    return B.format(t("keptBy"), { name: row.owner_name || t("platformList") });
  }

  /* --- subjects -------------------------------------------------------------------------- */

  function loadSubjects(choose) {
    return B.api("GET", "/api/subjects/").then(function (result) {
      el("subjects").removeAttribute("aria-busy");
      if (!result.ok) {
        B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      subjects = result.data.results || [];
      var wanted = choose || (current && current.id) || chosenFromAddress();
      var found = null;
      each(subjects, function (s) { if (s.id === wanted) found = s; });
      renderSubjects(found ? found.id : null);
      if (found) showSubject(found, false);
      else if (subjects.length && !current) showSubject(subjects[0], false);
    });
  }

  function renderSubjects(chosenId) {
    var list = B.clear(el("subjects"));
    if (!subjects.length) {
      list.appendChild(make("li", "muted", t("noSubjects")));
      return;
    }
    each(subjects, function (subject) {
      var li = make("li", "subject-entry");
      li.setAttribute("data-subject", subject.id);
      var pick = make("button", "subject-pick");
      pick.type = "button";
      pick.appendChild(make("span", "subject-name", subject.name));
      pick.appendChild(make("span", "muted small", subject.code + " · " + B.format(t("topicCount"), { count: subject.topic_count })));
      pick.appendChild(make("span", "muted small", keptBy(subject)));
      pick.setAttribute("aria-label", t("showTopics") + ": " + subject.name);
      if (subject.id === chosenId) pick.setAttribute("aria-current", "true");
      pick.addEventListener("click", function () {
        B.notice(el("page-notice"), "");
        showSubject(subject, true);
      });
      li.appendChild(pick);
      list.appendChild(li);
    });
  }

  function showSubject(subject, push) {
    current = subject;
    if (push) window.history.pushState(null, "", window.location.pathname + B.query({ subject: subject.id }));
    each(el("subjects").querySelectorAll(".subject-pick"), function (button) {
      var mine = button.parentNode.getAttribute("data-subject") === String(subject.id);
      if (mine) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
    el("topics-card").hidden = false;
    el("topics-heading").textContent = B.format(t("topicsOf"), { subject: subject.name });
    el("subject-facts").textContent = subject.code + " · " + keptBy(subject) + (subject.editable ? "" : " · " + t("onlyKeepers"));
    el("edit-subject").hidden = !subject.editable;
    el("subject-edit-form").hidden = true;
    loadTopics();
    if (push) el("topics-heading").focus();
  }

  function addSubject(event) {
    event.preventDefault();
    var form = el("subject-form");
    B.errors.clear(form);
    var body = { name: form.elements.name.value, code: form.elements.code.value };
    var button = el("add-subject");
    button.disabled = true;
    B.api("POST", "/api/subjects/", body).then(function (result) {
      button.disabled = false;
      if (!result.ok) {
        if (result.status === 400) B.errors.show(form, result.data, "server");
        else B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      form.reset();
      B.notice(el("page-notice"), B.format(t("subjectAdded"), { name: result.data.name }), "ok");
      current = null;
      loadSubjects(result.data.id);
    });
  }

  function editSubject() {
    var form = el("subject-edit-form");
    B.errors.clear(form);
    form.elements.name.value = current.name;
    form.elements.code.value = current.code;
    form.hidden = false;
    form.elements.name.focus();
  }

  function saveSubject(event) {
    event.preventDefault();
    var form = el("subject-edit-form");
    B.errors.clear(form);
    var body = { name: form.elements.name.value, code: form.elements.code.value };
    B.api("PATCH", "/api/subjects/" + current.id + "/", body).then(function (result) {
      if (!result.ok) {
        if (result.status === 400) B.errors.show(form, result.data, "server");
        else B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      form.hidden = true;
      B.notice(el("page-notice"), t("subjectSaved"), "ok");
      var id = current.id;
      current = null;
      loadSubjects(id);
    });
  }

  /* --- the topic tree -------------------------------------------------------------------- */

  function loadTopics() {
    var subject = current;
    var tree = el("topic-tree");
    tree.setAttribute("aria-busy", "true");
    return B.api("GET", "/api/subjects/" + subject.id + "/topics/").then(function (result) {
      if (subject !== current) return;
      tree.removeAttribute("aria-busy");
      if (!result.ok) {
        B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      topics = result.data.results || [];
      renderTree();
      if (keeper) fillParents(el("t-parent"), null, "");
    });
  }

  function childrenOf() {
    var known = {};
    var children = {};
    each(topics, function (topic) { known[topic.id] = true; });
    each(topics, function (topic) {
      var parent = topic.parent && known[topic.parent] ? topic.parent : "root";
      (children[parent] = children[parent] || []).push(topic);
    });
    return children;
  }

  // Parent choices: the tree in order, indented, without ``excluded`` and what lies below it.
  function fillParents(select, excluded, value) {
    var choices = [{ value: "", label: t("topLevel") }];
    var children = childrenOf();
    function walk(parent, depth) {
      each(children[parent] || [], function (topic) {
        if (excluded !== null && topic.id === excluded) return;
        var indent = new Array(depth + 1).join("\u00a0\u00a0\u00a0");
        choices.push({ value: topic.id, label: indent + (depth ? "› " : "") + topic.name });
        walk(topic.id, depth + 1);
      });
    }
    walk("root", 0);
    B.fillSelect(select, choices, value === null || value === undefined ? "" : value);
  }

  function renderTree() {
    var tree = B.clear(el("topic-tree"));
    el("topics-empty").hidden = topics.length > 0;
    el("topics-empty").textContent = t("noTopics");
    var children = childrenOf();
    function branch(parent, list) {
      each(children[parent] || [], function (topic) {
        list.appendChild(node(topic, children[topic.id] || [], branch));
      });
    }
    branch("root", tree);
  }

  function node(topic, kids, branch) {
    var li = make("li", "topic");
    li.setAttribute("data-topic", topic.id);
    var row = make("div", "topic-row");
    row.appendChild(make("span", "topic-name", topic.name));
    row.appendChild(make("span", "pill topic-kind", topic.kind_label));
    var facts = make("span", "muted small topic-facts",
      B.format(t("topicUsage"), { items: topic.item_count, blueprints: topic.blueprint_count }) + " · " + keptBy(topic));
    row.appendChild(facts);
    var actions = make("span", "topic-actions");
    var editor = make("div", "topic-editor");
    editor.hidden = true;
    var message = make("div", "notice");
    message.setAttribute("role", "alert");
    message.tabIndex = -1;
    message.hidden = true;
    function action(key, className, onClick) {
      var button = B.button(t(key), "secondary small " + className, onClick);
      button.setAttribute("aria-label", t(key) + ": " + topic.name);
      actions.appendChild(button);
    }
    if (topic.editable) {
      action("rename", "rename-topic", function () { openEditor(editor, topic, "rename"); });
      action("move", "move-topic", function () { openEditor(editor, topic, "move"); });
    }
    if (keeper) action("addSubtopic", "add-subtopic", function () { openEditor(editor, topic, "add"); });
    if (topic.editable) action("delete", "danger delete-topic", function () { deleteTopic(topic, message); });
    row.appendChild(actions);
    li.appendChild(row);
    li.appendChild(message);
    li.appendChild(editor);
    if (kids.length) {
      var list = make("ul");
      branch(topic.id, list);
      li.appendChild(list);
    }
    return li;
  }

  /* One small form inside the node: rename (name, kind), move (parent), or add a subtopic. */
  function openEditor(editor, topic, mode) {
    each(document.querySelectorAll(".topic-editor"), function (other) {
      if (other !== editor) { B.clear(other); other.hidden = true; }
    });
    var form = make("form", "inline-editor");
    form.noValidate = true;
    form.setAttribute("data-mode", mode);
    var errors = make("div", "notice");
    errors.setAttribute("data-errors", "");
    errors.setAttribute("role", "alert");
    errors.hidden = true;
    form.appendChild(errors);
    var first;
    if (mode === "rename" || mode === "add") {
      var name = make("input", "text-field");
      name.name = "name";
      name.maxLength = 200;
      name.autocomplete = "off";
      name.value = mode === "rename" ? topic.name : "";
      var kind = make("select");
      kind.name = "kind";
      B.fillSelect(kind, kinds, mode === "rename" ? topic.kind : "topic");
      form.appendChild(B.field(t("name"), name, "name"));
      form.appendChild(B.field(t("kind"), kind, "kind"));
      first = name;
    } else {
      var parent = make("select");
      parent.name = "parent";
      fillParents(parent, topic.id, topic.parent);
      form.appendChild(B.field(t("moveUnder"), parent, "parent"));
      first = parent;
    }
    var buttons = make("div", "form-actions");
    var save = make("button", null, t("save"));
    save.type = "submit";
    buttons.appendChild(save);
    buttons.appendChild(B.button(t("cancel"), "secondary", function () { B.clear(editor); editor.hidden = true; }));
    form.appendChild(buttons);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(form);
      var call;
      if (mode === "add") {
        call = B.api("POST", "/api/subjects/" + current.id + "/topics/", {
          name: form.elements.name.value, kind: form.elements.kind.value, parent: topic.id
        });
      } else if (mode === "rename") {
        call = B.api("PATCH", "/api/topics/" + topic.id + "/", { name: form.elements.name.value, kind: form.elements.kind.value });
      } else {
        var value = form.elements.parent.value;
        call = B.api("PATCH", "/api/topics/" + topic.id + "/", { parent: value ? parseInt(value, 10) : null });
      }
      save.disabled = true;
      call.then(function (result) {
        save.disabled = false;
        if (!result.ok) {
          if (result.status === 400) B.errors.show(form, result.data, "server");
          else B.notice(el("page-notice"), B.failure(result), "error");
          return;
        }
        var text = mode === "add" ? B.format(t("topicAdded"), { name: result.data.name }) : t("topicSaved");
        B.notice(el("page-notice"), text, "ok");
        refresh();
      });
    });
    B.clear(editor).appendChild(form);
    editor.hidden = false;
    first.focus();
  }

  function deleteTopic(topic, message) {
    if (!window.confirm(B.format(t("confirmDeleteTopic"), { name: topic.name }))) return;
    B.notice(message, "");
    B.api("DELETE", "/api/topics/" + topic.id + "/").then(function (result) {
      if (!result.ok) {
        var error = (result.data && result.data.error) || {};
        B.notice(message, error.message || B.failure(result), "error");
        message.focus();
        return;
      }
      B.notice(el("page-notice"), B.format(t("topicDeleted"), { name: topic.name }), "ok");
      refresh();
    });
  }

  function addTopic(event) {
    event.preventDefault();
    var form = el("topic-form");
    B.errors.clear(form);
    var parent = form.elements.parent.value;
    var body = { name: form.elements.name.value, kind: form.elements.kind.value, parent: parent ? parseInt(parent, 10) : null };
    var button = el("add-topic");
    button.disabled = true;
    B.api("POST", "/api/subjects/" + current.id + "/topics/", body).then(function (result) {
      button.disabled = false;
      if (!result.ok) {
        if (result.status === 400) B.errors.show(form, result.data, "server");
        else B.notice(el("page-notice"), B.failure(result), "error");
        return;
      }
      form.elements.name.value = "";
      B.notice(el("page-notice"), B.format(t("topicAdded"), { name: result.data.name }), "ok");
      refresh();
    });
  }

  // After a change: the tree again, and the subjects' topic counts.
  function refresh() {
    var id = current.id;
    loadSubjects(id);
  }

  if (el("subject-form")) el("subject-form").addEventListener("submit", addSubject);
  if (el("topic-form")) {
    el("topic-form").addEventListener("submit", addTopic);
    B.fillSelect(el("t-kind"), kinds, "topic");
  }
  el("edit-subject").addEventListener("click", editSubject);
  el("subject-edit-form").addEventListener("submit", saveSubject);
  el("cancel-subject").addEventListener("click", function () { el("subject-edit-form").hidden = true; });
  window.addEventListener("popstate", function () {
    var wanted = chosenFromAddress();
    each(subjects, function (s) { if (s.id === wanted) showSubject(s, false); });
  });
  loadSubjects(null);
})();
