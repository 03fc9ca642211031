/* The proctors' and the board's actions on the consoles (proctor_room.html, board_console.html):
 * - for the whole room (a proctor) or the whole sitting (the board): pause, resume, a message;
 * - for one candidate (a seat card's "More…", the room's console): what applies to their live
 *   status: pause or resume, more time, a message, void, ask the board to reopen a handed-in attempt;
 * - the requests to reopen: the board approves or refuses them; a proctor follows their room's.
 * Every action is asked in one dialog (#action-dialog) and posted to the REST API
 * (docs/proctoring.md, sections 3 and 6); what it changed comes back as the console's events
 * (console.js applies them: a pause shows as paused within a second), so nothing here keeps state
 * of the day but the requests to reopen, which are not pushed: read on load, after each action
 * and every reopenPollMs, and again when a candidate with a request changes status.
 *
 * Runs after console.js: reads its view (Console.view), is told of each snapshot and event
 * (Console.changed) and opens a candidate's list for a seat's "More…" (Console.seatActions).
 * Words come translated from the server (#console-text); paths from #console-config.
 */
(function () {
  "use strict";

  var Console = window.Console;
  var panel = document.getElementById("reopen-requests");
  if (!Console || !panel) return;

  var config = Console.config;
  var t = Console.text, el = Console.el, make = Console.make, setText = Console.setText;
  var fill = Console.fill, clockTime = Console.hourMinute;
  var lang = document.documentElement.lang || "vi";
  var isRoom = config.kind === "room";
  var MAX_MINUTES = Number(config.maxExtendMinutes) || 120;
  var MAX_MESSAGE = Number(config.maxMessage) || 500;
  var MAX_REASON = 300;

  // What applies to a candidate, by the live status of their attempt (proctoring.console).
  var APPLIES = {
    scheduled: ["void"],
    checked_in: ["message", "void"],
    in_progress: ["pause", "extend", "message", "void"],
    paused: ["resume", "extend", "message", "void"],
    submitted: ["reopen", "void"]
  };

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  /* 43:07, or 1:02:09 from an hour up (console.js's). */
  function duration(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    seconds %= 60;
    return (hours ? hours + ":" + pad(minutes) : pad(minutes)) + ":" + pad(seconds);
  }

  var api = Console.api;  // console.js's fetch(): {ok, status, data}, the CSRF header sent

  /* The server's words for a refusal: a field's first message (who paused first, why an
   * attempt cannot be reopened, a reason missing), else the error's. */
  function failure(result) {
    var error = result && result.data && result.data.error;
    if (error && error.fields) {
      var first = Object.keys(error.fields)[0];
      if (first && error.fields[first] && error.fields[first][0]) return error.fields[first][0];
    }
    if (error && error.message) return error.message;
    if (result && result.status === 404) return t("notFound");
    return t("error") + (result && result.status ? " (" + result.status + ")" : "");
  }

  /* A line that says what came of an action: a success goes after a while, a refusal stays. */
  function Notice(node) {
    var timer = null;
    return function (message, isError) {
      if (timer !== null) window.clearTimeout(timer);
      timer = null;
      setText(node, message);
      node.hidden = !message;
      node.classList.toggle("notice-ok", !isError);
      node.setAttribute("role", isError ? "alert" : "status");
      if (message && !isError) timer = window.setTimeout(function () { node.hidden = true; setText(node, ""); }, 15000);
    };
  }

  var say = Notice(el("actions-notice"));
  var sayReopen = Notice(el("reopen-notice"));

  /* A candidate as the live view knows them. */
  function candidate(key) {
    var view = Console.view();
    var row = view && view.attempts ? view.attempts[String(key)] : null;
    if (!row) return null;
    return {
      name: row.student.name || row.student.username,
      seat: row.seat ? row.seat.label : "–",
      status: row.status
    };
  }

  function nameOf(key) {
    var who = candidate(key);
    return who ? who.name : "#" + key;
  }

  // --- the one dialog every action asks in ------------------------------------------------------

  var dialog = el("action-dialog");
  var dialogError = dialog.querySelector("[data-error]");
  var minutesField = el("action-minutes-field");
  var minutes = el("action-minutes");
  var textField = el("action-text-field");
  var textInput = el("action-text");
  var confirmButton = el("action-confirm");
  var asked = null;     // what the dialog asks now
  var busy = false;

  minutes.max = String(MAX_MINUTES);

  dialog.addEventListener("close", function () {
    if (dialog.open) return;  // asked again meanwhile (ask closes and reopens it)
    var opener = asked && asked.opener;
    asked = null;
    if (opener && document.body.contains(opener) && !opener.hidden) opener.focus();
  });
  dialog.querySelectorAll("[data-close]").forEach(function (button) {
    button.addEventListener("click", function () { dialog.close(); });
  });

  function setBusy(on) {
    busy = on;
    dialog.querySelectorAll("button, input, textarea").forEach(function (control) { control.disabled = on; });
  }

  function fail(message, field) {
    setText(dialogError, message);
    dialogError.hidden = !message;
    textInput.removeAttribute("aria-invalid");
    minutes.removeAttribute("aria-invalid");
    if (field === "minutes") minutes.setAttribute("aria-invalid", "true");
    else if (field && field !== "attempt") textInput.setAttribute("aria-invalid", "true");
  }

  /* Ask for one action: ``spec`` = {title, warning, minutes (bool), field ("reason", "text",
   * "note"), required, hint, confirm, danger, url, body(values), done(data), opener}. */
  function ask(spec) {
    if (dialog.open) dialog.close();
    asked = spec;
    setBusy(false);
    fail("");
    setText(el("action-title"), spec.title);
    setText(el("action-warning"), spec.warning || "");
    el("action-warning").hidden = !spec.warning;
    minutesField.hidden = !spec.minutes;
    minutes.value = "5";
    var label = spec.field === "text" ? t("messageLabel")
      : spec.field === "note" ? t("noteLabel")
      : spec.required ? t("reasonRequired") : t("reasonOptional");
    setText(el("action-text-label"), label);
    textInput.value = "";
    textInput.maxLength = spec.field === "text" ? MAX_MESSAGE : MAX_REASON;
    textInput.required = !!spec.required;
    textInput.setAttribute("aria-required", spec.required ? "true" : "false");
    textField.hidden = false;
    setText(el("action-hint"), spec.hint || "");
    setText(confirmButton, spec.confirm);
    confirmButton.classList.toggle("danger", !!spec.danger);
    dialog.showModal();
    (spec.minutes ? minutes : textInput).focus();
  }

  confirmButton.addEventListener("click", function () {
    var spec = asked;
    if (!spec || busy) return;
    var values = { minutes: parseInt(minutes.value, 10), text: textInput.value.trim() };
    setBusy(true);
    api("POST", spec.url, spec.body(values)).then(function (result) {
      setBusy(false);
      if (asked !== spec) return;
      if (!result.ok) {
        var fields = result.data && result.data.error && result.data.error.fields;
        return fail(failure(result), fields ? Object.keys(fields)[0] : null);
      }
      dialog.close();
      spec.done(result.data || {}, values);
    });
  });

  // --- the whole room, or the whole sitting ------------------------------------------------------

  function outcome(data, doneKey, alreadyKey) {
    var words = t(doneKey, { n: (data.changed || []).length });
    if (data.already && data.already.length) words += " " + t(alreadyKey, { n: data.already.length });
    return words;
  }

  el("group-pause").addEventListener("click", function () {
    ask({
      title: t(isRoom ? "roomPauseTitle" : "sittingPauseTitle"),
      field: "reason",
      required: true,
      hint: t("groupPauseHint"),
      confirm: t("pauseConfirm"),
      url: config.groupPauseUrl,
      body: function (v) { return { reason: v.text }; },
      done: function (data) { say(outcome(data, "groupPaused", "alreadyPaused"), false); },
      opener: el("group-pause")
    });
  });

  el("group-resume").addEventListener("click", function () {
    ask({
      title: t(isRoom ? "roomResumeTitle" : "sittingResumeTitle"),
      field: "reason",
      required: false,
      hint: t("resumeHint"),
      confirm: t("resumeConfirm"),
      url: config.groupResumeUrl,
      body: function (v) { return { reason: v.text }; },
      done: function (data) { say(outcome(data, "groupResumed", "alreadyResumed"), false); },
      opener: el("group-resume")
    });
  });

  el("group-message").addEventListener("click", function () {
    ask({
      title: t(isRoom ? "roomMessageTitle" : "sittingMessageTitle"),
      field: "text",
      required: true,
      hint: t("messageHint"),
      confirm: t("messageConfirm"),
      url: config.groupMessageUrl,
      body: function (v) { return { text: v.text }; },
      done: function (data) { say(t("messageSent", { n: data.sent }), false); },
      opener: el("group-message")
    });
  });

  // The room's pause and resume once it is open (before, nobody answers); a message any time.
  function drawGroup(view) {
    if (!isRoom) return;
    var group = el("group-actions");
    if (!view) return;
    var room = view.rooms ? view.rooms[String(config.roomId)] : null;
    var open = !!(room && room.opened_at);
    group.hidden = false;
    el("group-pause").hidden = !open;
    el("group-resume").hidden = !open;
  }

  // --- one candidate: what applies to them (the room's console) ---------------------------------

  function attemptAction(action, key, opener) {
    var name = nameOf(key);
    var url = function (template) { return fill(template, { attempt: key }); };
    var specs = {
      pause: {
        title: t("pauseTitle", { name: name }), field: "reason", required: true, hint: t("pauseHint"),
        confirm: t("pauseConfirm"), url: url(config.attemptPauseUrl),
        body: function (v) { return { reason: v.text }; },
        done: function () { say(t("attemptPaused", { name: name }), false); }
      },
      resume: {
        title: t("resumeTitle", { name: name }), field: "reason", required: false, hint: t("resumeHint"),
        confirm: t("resumeConfirm"), url: url(config.attemptResumeUrl),
        body: function (v) { return { reason: v.text }; },
        done: function () { say(t("attemptResumed", { name: name }), false); }
      },
      extend: {
        title: t("extendTitle", { name: name }), minutes: true, field: "reason", required: true,
        hint: t("extendHint", { max: MAX_MINUTES }), confirm: t("extendConfirm"), url: url(config.attemptExtendUrl),
        body: function (v) { return { minutes: isNaN(v.minutes) ? null : v.minutes, reason: v.text }; },
        done: function (data, v) {
          var left = data.remaining_ms === null || data.remaining_ms === undefined ? "–" : duration(data.remaining_ms);
          say(t("extended", { name: name, n: v.minutes, left: left }), false);
        }
      },
      message: {
        title: t("messageTitle", { name: name }), field: "text", required: true, hint: t("messageHint"),
        confirm: t("messageConfirm"), url: url(config.attemptMessageUrl),
        body: function (v) { return { text: v.text }; },
        done: function (data) { say(t("messageSent", { n: data.sent }), false); }
      },
      reopen: {
        title: t("reopenTitle", { name: name }), field: "reason", required: true, hint: t("reopenHint"),
        confirm: t("reopenConfirm"), url: url(config.attemptReopenUrl),
        body: function (v) { return { reason: v.text }; },
        done: function () {
          say(t("reopenAsked", { name: name }), false);
          loadRequests();
        }
      },
      "void": {
        title: t("voidTitle", { name: name }), warning: t("voidWarning"), field: "reason", required: true,
        confirm: t("voidConfirm"), danger: true, url: url(config.attemptVoidUrl),
        body: function (v) { return { reason: v.text }; },
        done: function () { say(t("voided", { name: name }), false); }
      }
    };
    var spec = specs[action];
    spec.opener = opener;
    ask(spec);
  }

  var menu = el("seat-actions-dialog");
  var menuFor = null;     // {key, opener}

  function drawMenu() {
    if (!menu || !menuFor) return;
    var who = candidate(menuFor.key);
    setText(el("seat-actions-title"), who ? t("actionsTitle", { name: who.name, seat: who.seat }) : "#" + menuFor.key);
    // The state as the card shows it, icon and words.
    var state = document.querySelector('#seat-map .seat-card[data-attempt="' + menuFor.key + '"] .seat-state');
    var parts = state ? [state.querySelector(".state-icon"), state.querySelector(".state-label")] : [];
    setText(el("seat-actions-state"), parts.filter(Boolean).map(function (n) { return n.textContent; }).join(" "));
    var any = false;
    menu.querySelectorAll("#seat-actions-list button[data-action]").forEach(function (button) {
      var action = button.getAttribute("data-action");
      var applies = !!who && (APPLIES[who.status] || []).indexOf(action) !== -1;
      button.hidden = !applies;
      any = any || applies;
    });
    var none = el("seat-actions-none");
    setText(none, any ? "" : t("nothingApplies"));
    none.hidden = any;
  }

  if (menu) {
    menu.querySelectorAll("#seat-actions-list button[data-action]").forEach(function (button) {
      var action = button.getAttribute("data-action");  // "pause": the words of "actionPause"
      setText(button, t("action" + action.charAt(0).toUpperCase() + action.slice(1)));
      button.setAttribute("aria-haspopup", "dialog");
      button.addEventListener("click", function () {
        if (!menuFor) return;
        var chosen = menuFor;
        menuFor = null;  // the focus goes to the action's dialog, then back to the card's "More…"
        menu.close();
        attemptAction(action, chosen.key, chosen.opener);
      });
    });
    menu.querySelectorAll("[data-close]").forEach(function (button) {
      button.addEventListener("click", function () { menu.close(); });
    });
    menu.addEventListener("close", function () {
      var opener = menuFor && menuFor.opener;
      menuFor = null;
      if (opener && document.body.contains(opener) && !opener.hidden) opener.focus();
    });

    Console.seatActions = function (key, opener) {
      if (dialog.open) dialog.close();
      menuFor = { key: String(key), opener: opener };
      drawMenu();
      menu.showModal();
      var first = menu.querySelector("#seat-actions-list button:not([hidden])") || menu.querySelector("[data-close]");
      first.focus();
    };
  }

  // --- the requests to reopen ------------------------------------------------------------------

  var list = el("reopen-list");
  var items = {};           // request id -> item
  var watched = {};         // attempt id -> true: a request pending or approved (read again when it changes)
  var loading = false;
  var again = false;

  function Item(id) {
    var node = make("li", "reopen-request");
    node.setAttribute("data-request", id);
    var head = node.appendChild(make("p", "reopen-head"));
    var name = head.appendChild(make("strong", "reopen-name"));
    var learner = head.appendChild(make("span", "reopen-learner"));
    var room = head.appendChild(make("span", "reopen-room"));
    var status = head.appendChild(make("span", "reopen-status"));
    var reason = node.appendChild(make("p", "reopen-reason"));
    var facts = node.appendChild(make("p", "reopen-facts"));
    var next = node.appendChild(make("p", "reopen-next"));
    var actions = node.appendChild(make("div", "reopen-actions"));
    var approve = null;
    var refuse = null;
    var request = null;
    if (!isRoom) {
      approve = actions.appendChild(make("button", "reopen-approve", t("reopenApprove")));
      approve.type = "button";
      approve.setAttribute("data-action", "approve");
      approve.setAttribute("aria-haspopup", "dialog");
      refuse = actions.appendChild(make("button", "secondary reopen-refuse", t("reopenRefuse")));
      refuse.type = "button";
      refuse.setAttribute("data-action", "refuse");
      refuse.setAttribute("aria-haspopup", "dialog");
      approve.addEventListener("click", function () { decide(request, true, approve); });
      refuse.addEventListener("click", function () { decide(request, false, refuse); });
    }
    return {
      node: node,
      draw: function (data) {
        request = data;
        node.setAttribute("data-status", data.status);
        node.setAttribute("data-attempt", data.attempt);
        var className = "reopen-request reopen-" + data.status;
        if (node.className !== className) node.className = className;
        setText(name, data.name);
        setText(learner, data.learner_id || "");
        setText(room, data.room_name || "");
        setText(status, data.status_label);
        setText(reason, data.reason);
        var parts = [t("reopenAskedBy", { name: data.requested_by, time: clockTime(data.requested_at) })];
        if (data.decided_by) {
          parts.push(t("reopenDecided", { status: data.status_label, name: data.decided_by, time: clockTime(data.decided_at) })
            + (data.decision_note ? ": " + data.decision_note : ""));
        }
        setText(facts, parts.join(" · "));
        // The proctor's next step: once approved, the attempt waits paused for them.
        var who = candidate(data.attempt);
        var resumeNow = isRoom && data.status === "approved" && !!who && who.status === "paused";
        setText(next, resumeNow ? t("reopenResumeNow") : "");
        next.hidden = !resumeNow;
        actions.hidden = isRoom || data.status !== "pending";
        if (approve) {
          approve.setAttribute("aria-label", t("reopenApprove") + " " + data.name);
          refuse.setAttribute("aria-label", t("reopenRefuse") + " " + data.name);
        }
      }
    };
  }

  var last = null;          // the last answer read
  var order = "";

  function drawRequests() {
    if (!last) return;
    var results = last.results.slice();
    // Waiting ones first, then the latest first (as the server orders them).
    results.sort(function (a, b) { return (b.status === "pending") - (a.status === "pending"); });
    var ids = {};
    watched = {};
    results.forEach(function (data) {
      var id = String(data.id);
      ids[id] = true;
      if (data.status !== "refused") watched[String(data.attempt)] = true;
      (items[id] || (items[id] = Item(id))).draw(data);
    });
    var wanted = results.map(function (data) { return data.id; }).join(",");
    if (wanted !== order) {  // moved only when the order changed: a screen reader is not told again
      order = wanted;
      results.forEach(function (data) { list.appendChild(items[String(data.id)].node); });
    }
    Object.keys(items).forEach(function (id) {
      if (!ids[id]) {
        list.removeChild(items[id].node);
        delete items[id];
      }
    });
    setText(el("reopen-waiting"), last.pending ? t("reopenWaiting", { n: last.pending }) : "");
    el("reopen-none").hidden = results.length > 0;
    // A proctor sees the panel once one of their room's candidates is concerned.
    if (isRoom) panel.hidden = results.length === 0;
  }

  function loadRequests() {
    if (!config.reopenRequestsUrl) return;
    if (loading) { again = true; return; }
    loading = true;
    api("GET", config.reopenRequestsUrl).then(function (result) {
      loading = false;
      if (result.ok && result.data) {
        last = result.data;
        drawRequests();
      } else {
        sayReopen(failure(result), true);
      }
      if (again) { again = false; loadRequests(); }
    });
  }

  function decide(request, approve, opener) {
    if (!request) return;
    var name = request.name;
    ask({
      title: t(approve ? "approveTitle" : "refuseTitle", { name: name }),
      field: "note",
      required: false,
      hint: t(approve ? "approveHint" : "refuseHint"),
      confirm: t(approve ? "approveConfirm" : "refuseConfirm"),
      url: fill(approve ? config.reopenApproveUrl : config.reopenRefuseUrl, { request: request.id }),
      body: function (v) { return { note: v.text }; },
      done: function () {
        sayReopen(t(approve ? "approved" : "refused", { name: name }), false);
        loadRequests();
      },
      opener: opener
    });
  }

  // --- kept live ---------------------------------------------------------------------------------

  var readSoon = null;
  Console.changed.push(function (view, event) {
    drawGroup(view);
    if (menu && menu.open) drawMenu();
    if (event && event.kind === "status" && watched[String(event.attempt)]) {
      // A candidate with a request changed: approved (paused) or resumed; read the list again.
      if (readSoon === null) readSoon = window.setTimeout(function () { readSoon = null; loadRequests(); }, 300);
    } else if (last && isRoom && !event) {
      drawRequests();  // a fresh snapshot: whether an approved one still waits paused
    }
  });

  loadRequests();
  window.setInterval(loadRequests, Math.max(2000, Number(config.reopenPollMs) || 20000));
})();
