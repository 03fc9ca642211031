/* The incidents of a room's console (proctor_room.html) and of the board's (board_console.html):
 * the list, live (what console.js's view holds: proctoring.console's ``incidents``, kept by the
 * ``incident`` events); logging one for a candidate or the whole room (the room's console);
 * confirming (the minutes given back) or dismissing (with a reason) an open one; the room
 * reports. docs/proctoring.md, section 5.
 *
 * Runs after console.js: reads its view (Console.view), is told of each snapshot and event
 * (Console.changed) and opens the log dialog for a seat's "Incident…" (Console.logIncident).
 * Words come translated from the server (#console-text); paths from #console-config.
 */
(function () {
  "use strict";

  var Console = window.Console;
  var root = document.getElementById("incidents");
  if (!Console || !root) return;

  var config = Console.config;
  var t = Console.text, el = Console.el, make = Console.make;
  var fill = Console.fill, clockTime = Console.hourMinute;
  var lang = document.documentElement.lang || "vi";
  var KINDS = ["power", "network", "pc_failure", "illness", "misconduct", "other"];

  function post(url, body) {  // console.js's fetch(): {ok, status, data}, the CSRF header sent
    return Console.api("POST", url, body);
  }

  function failure(result) {
    var error = result && result.data && result.data.error;
    if (error && error.fields) {
      var first = Object.keys(error.fields)[0];
      if (first && error.fields[first] && error.fields[first][0]) return error.fields[first][0];
    }
    if (error && error.message) return error.message;
    return t("error") + (result && result.status ? " (" + result.status + ")" : "");
  }

  var notice = el("incidents-notice");
  var noticeTimer = null;
  function say(message, isError) {
    if (noticeTimer !== null) window.clearTimeout(noticeTimer);
    notice.textContent = message || "";
    notice.hidden = !message;
    notice.classList.toggle("notice-ok", !isError);
    notice.setAttribute("role", isError ? "alert" : "status");
    if (message && !isError) noticeTimer = window.setTimeout(function () { say("", false); }, 12000);
  }

  // --- the list -------------------------------------------------------------------------------------

  function who(view, incident) {
    if (incident.attempt === null || incident.attempt === undefined) {
      var room = view.rooms && view.rooms[String(incident.room)];
      return t("wholeRoom") + (config.kind === "sitting" && room ? " " + room.name : "");
    }
    var row = view.attempts[String(incident.attempt)];
    if (!row) return "#" + incident.attempt;
    var where = row.seat ? " (" + (config.kind === "sitting" && view.rooms[String(row.room)] ? view.rooms[String(row.room)].name + " " : "") + row.seat.label + ")" : "";
    return row.student.name + where;
  }

  function words(incident) {
    if (incident.kind === "integrity") {
      var detail = incident.detail || {};
      return t("threshold_" + detail.threshold, { count: detail.count, limit: detail.limit });
    }
    return incident.description || "";
  }

  function Item(id) {
    var node = make("li", "incident");
    node.setAttribute("data-incident", id);
    var head = node.appendChild(make("p", "incident-head"));
    var kind = head.appendChild(make("strong", "incident-kind"));
    var person = head.appendChild(make("span", "incident-who"));
    var status = head.appendChild(make("span", "incident-status"));
    var what = node.appendChild(make("p", "incident-what"));
    var facts = node.appendChild(make("p", "incident-facts"));
    var actions = node.appendChild(make("div", "incident-actions"));
    var confirm = actions.appendChild(make("button", "incident-confirm", t("confirm")));
    confirm.type = "button";
    confirm.setAttribute("data-action", "confirm");
    var dismiss = actions.appendChild(make("button", "secondary incident-dismiss", t("dismiss")));
    dismiss.type = "button";
    dismiss.setAttribute("data-action", "dismiss");
    confirm.addEventListener("click", function () { openDecide(id, true, confirm); });
    dismiss.addEventListener("click", function () { openDecide(id, false, dismiss); });
    return {
      node: node,
      draw: function (view, incident) {
        node.setAttribute("data-status", incident.status);
        node.setAttribute("data-kind", incident.kind);
        node.className = "incident incident-" + incident.status;
        kind.textContent = "⚑ " + t("incident_kind_" + incident.kind);
        person.textContent = who(view, incident);
        status.textContent = t("incident_status_" + incident.status);
        what.textContent = words(incident);
        what.hidden = !what.textContent;
        var parts = [incident.reported_by
          ? t("reportedBy", { name: incident.reported_by, time: clockTime(incident.reported_at) })
          : clockTime(incident.reported_at) + " · " + t("byServer")];
        if (incident.time_lost) parts.push(t("minutesLost", { n: incident.time_lost }));
        if (incident.status === "confirmed") parts.push(t("minutesGiven", { n: incident.minutes_given }));
        if (incident.decided_by) {
          parts.push(t("decidedBy", {
            status: t("incident_status_" + incident.status), name: incident.decided_by, time: clockTime(incident.decided_at)
          }) + (incident.note ? ": " + incident.note : ""));
        }
        facts.textContent = parts.join(" · ");
        actions.hidden = incident.status !== "open";
      }
    };
  }

  var items = {};
  var list = el("incident-list");

  function render(view) {
    if (!view) return;
    var incidents = view.incidents || {};
    var ids = Object.keys(incidents);
    // Open ones first, then the latest first.
    ids.sort(function (a, b) {
      var x = incidents[a];
      var y = incidents[b];
      var open = (y.status === "open") - (x.status === "open");
      if (open) return open;
      if (x.reported_at !== y.reported_at) return x.reported_at < y.reported_at ? 1 : -1;
      return Number(b) - Number(a);
    });
    ids.forEach(function (id) {
      var item = items[id] || (items[id] = Item(id));
      item.draw(view, incidents[id]);
      list.appendChild(item.node);
    });
    Object.keys(items).forEach(function (id) {
      if (!incidents[id]) {
        list.removeChild(items[id].node);
        delete items[id];
      }
    });
    var open = ids.filter(function (id) { return incidents[id].status === "open"; }).length;
    el("incidents-open").textContent = open ? "(" + open + ")" : "";
    el("incidents-none").hidden = ids.length > 0;
    reportLinks(view);
  }

  // The board's console: a report per room.
  var linked = "";
  function reportLinks(view) {
    var box = el("report-links");
    if (!box || !config.reportUrl) return;
    var rooms = Object.keys(view.rooms || {}).sort(function (a, b) {
      return view.rooms[a].name.localeCompare(view.rooms[b].name, lang, { numeric: true });
    });
    var signature = rooms.map(function (id) { return id + ":" + view.rooms[id].name; }).join(",");
    if (signature === linked) return;
    linked = signature;
    while (box.childNodes.length > 1) box.removeChild(box.lastChild);
    rooms.forEach(function (id) {
      var link = box.appendChild(make("a", "report-link", view.rooms[id].name));
      link.href = fill(config.reportUrl, { room: id });
      link.target = "_blank";
      link.rel = "noopener";
      link.setAttribute("data-room", id);
    });
  }

  var pending = null;
  Console.changed.push(function (view) {
    if (pending !== null) return;
    pending = window.setTimeout(function () { pending = null; render(Console.view()); }, 30);
  });

  // --- dialogs --------------------------------------------------------------------------------------

  function Dialog(id) {
    var node = el(id);
    if (!node) return null;
    var d = { node: node, error: node.querySelector("[data-error]"), opener: null, busy: false, key: null };
    node.addEventListener("close", function () {
      d.key = null;
      if (d.opener && document.body.contains(d.opener) && !d.opener.hidden) d.opener.focus();
    });
    node.querySelectorAll("[data-close]").forEach(function (button) {
      button.addEventListener("click", function () { node.close(); });
    });
    return d;
  }

  function fail(d, message) {
    d.error.textContent = message || "";
    d.error.hidden = !message;
  }

  function busy(d, on) {
    d.busy = on;
    d.node.querySelectorAll("button, input, select, textarea").forEach(function (control) { control.disabled = on; });
  }

  var logDialog = Dialog("incident-dialog");
  var decideDialog = Dialog("decide-dialog");

  // Logging (a room's console): for one candidate (their seat's "Incident…") or the whole room.
  function openLog(key, opener) {
    var d = logDialog;
    var view = Console.view();
    if (!d || !view) return;
    d.opener = opener || null;
    fail(d, "");
    busy(d, false);
    var select = el("incident-who");
    while (select.firstChild) select.removeChild(select.firstChild);
    var room = select.appendChild(make("option", null, t("whoRoom")));
    room.value = "";
    Object.keys(view.attempts).map(function (k) { return view.attempts[k]; }).sort(function (a, b) {
      var x = a.seat ? a.seat.row * 1000 + a.seat.column : 1e9;
      var y = b.seat ? b.seat.row * 1000 + b.seat.column : 1e9;
      return x - y || a.attempt - b.attempt;
    }).forEach(function (row) {
      var option = select.appendChild(make("option", null, (row.seat ? row.seat.label + " · " : "") + row.student.name));
      option.value = String(row.attempt);
    });
    select.value = key ? String(key) : "";
    var kinds = el("incident-kind");
    if (!kinds.firstChild) {
      KINDS.forEach(function (kind) {
        var option = kinds.appendChild(make("option", null, t("incident_kind_" + kind)));
        option.value = kind;
      });
    }
    kinds.value = key ? "pc_failure" : "power";
    el("incident-minutes").value = "0";
    el("incident-description").value = "";
    d.node.showModal();
    (key ? kinds : select).focus();
  }

  function saveLog() {
    var d = logDialog;
    if (!d || d.busy) return;
    var minutes = Number(el("incident-minutes").value);
    var body = {
      attempt: el("incident-who").value ? Number(el("incident-who").value) : null,
      kind: el("incident-kind").value,
      time_lost: isNaN(minutes) ? -1 : minutes,
      description: el("incident-description").value.trim()
    };
    busy(d, true);
    post(config.incidentsUrl, body).then(function (result) {
      busy(d, false);
      if (!result.ok) return fail(d, failure(result));
      say(t("logged"), false);
      d.node.close();
    });
  }

  function openDecide(id, confirming, opener) {
    var d = decideDialog;
    var view = Console.view();
    var incident = view && view.incidents ? view.incidents[id] : null;
    if (!d || !incident) return;
    d.key = id;
    d.confirming = confirming;
    d.opener = opener;
    fail(d, "");
    busy(d, false);
    el("decide-title").textContent = t(confirming ? "confirmTitle" : "dismissTitle");
    el("decide-what").textContent = t("incident_kind_" + incident.kind) + " · " + who(view, incident)
      + (words(incident) ? " · " + words(incident) : "");
    el("decide-minutes-field").hidden = !confirming;
    el("decide-minutes").value = String(incident.time_lost || 0);
    el("decide-note").value = "";
    el("decide-hint").textContent = confirming
      ? t(incident.attempt === null ? "confirmHintRoom" : "confirmHint") : t("dismissHint");
    el("decide-save").textContent = confirming ? t("confirm").replace("…", "") : t("dismiss").replace("…", "");
    d.node.showModal();
    (confirming ? el("decide-minutes") : el("decide-note")).focus();
  }

  function saveDecide() {
    var d = decideDialog;
    if (!d || d.busy || !d.key) return;
    var body = { note: el("decide-note").value.trim() };
    if (d.confirming) {
      var minutes = Number(el("decide-minutes").value);
      body.minutes = isNaN(minutes) ? -1 : minutes;
    }
    var url = fill(d.confirming ? config.confirmUrl : config.dismissUrl, { incident: d.key });
    busy(d, true);
    post(url, body).then(function (result) {
      busy(d, false);
      if (!result.ok) return fail(d, failure(result));
      say(result.data && result.data.message ? result.data.message : t("dismissed"), false);
      d.node.close();
    });
  }

  if (logDialog) {
    el("incident-new").addEventListener("click", function () { openLog(null, el("incident-new")); });
    el("incident-save").addEventListener("click", saveLog);
    Console.logIncident = openLog;
  }
  if (decideDialog) el("decide-save").addEventListener("click", saveDecide);

  render(Console.view());
})();
