/* The exam-day consoles: one room's (proctor_room.html: the seat map, check-in, moves, opening)
 * and the board's over every room of a sitting (board_console.html: a line per room, a row per
 * candidate). docs/proctoring.md, sections 3 and 4.
 *
 * Two sources, joined by attempt id:
 * - the people and the seats from the REST API, read once and again when the view goes stale
 *   (GET /api/sitting-rooms/<id>/ or GET /api/sittings/<id>/rooms/);
 * - the live state from the console's websocket: a snapshot, then events applied with
 *   Console.apply, which mirrors proctoring.console.apply rule for rule (a browser test holds
 *   the two to the same results). A seated event that brings a candidate this view does not
 *   know makes it stale: it asks for a snapshot and reads the people again.
 * Every SEEN_MS the console asks when each candidate was last heard from ({"type": "seen"}); a
 * candidate connected but silent for longer than STALE_AFTER_MS is shown as without signal
 * (a lost network gives the server no close for minutes). The console watches its own
 * connection the same way: a ping every PING_MS, and silence for DEAD_AFTER_MS means it is
 * lost: it says so, greys every state as unknown, and reconnects (with backoff) to a fresh
 * snapshot. Times left and ages are counted on the server's clock (the pong's server_time).
 * The DOM is built once and then patched: a node is written only when what it shows changed.
 * Words come translated from the server (#console-text); settings from #console-config.
 */
(function () {
  "use strict";

  // --- small helpers -------------------------------------------------------------------------

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function has(object, key) {
    return object !== null && object !== undefined && Object.prototype.hasOwnProperty.call(object, key);
  }

  // --- the reducer: proctoring.console.apply, in the same order and with the same rules -------

  /* A seat as the snapshot writes it (proctoring.console._seat). */
  function seatOf(label, row, column) {
    return label === null || label === undefined ? null : { label: label, row: row, column: column };
  }

  /* assess.presence.merged: an arriving connection is the candidate's from then on; one that
   * leaves counts only if it is still that one. */
  function merged(current, event) {
    if (!event.connected && (current === null || current === undefined || current.token !== event.token)) {
      return current === undefined ? null : current;
    }
    return { connected: event.connected, token: event.token, ip: event.ip, at: event.at };
  }

  /* Add or remove ``item`` in a sorted list of positions (proctoring.console._mark). */
  function mark(positions, item, present) {
    var at = 0;
    while (at < positions.length && positions[at] < item) at += 1;
    var there = at < positions.length && positions[at] === item;
    if (present && !there) positions.splice(at, 0, item);
    else if (!present && there) positions.splice(at, 1);
  }

  /* A candidate's open incidents: how many, and their kinds, the latest first (three at most):
   * proctoring.console._open_incidents. */
  function openIncidents(incidents, attempt) {
    var mine = Object.keys(incidents || {}).map(function (id) { return incidents[id]; }).filter(function (i) {
      return i.attempt === attempt && i.status === "open";
    });
    mine.sort(function (a, b) {
      if (a.reported_at !== b.reported_at) return a.reported_at < b.reported_at ? 1 : -1;
      return b.id - a.id;
    });
    var kinds = [];
    mine.forEach(function (i) { if (kinds.indexOf(i.kind) === -1) kinds.push(i.kind); });
    return { open: mine.length, kinds: kinds.slice(0, 3) };
  }

  function copied(object) {
    var copy = {};
    Object.keys(object || {}).forEach(function (key) { copy[key] = object[key]; });
    return copy;
  }

  /* Change ``view`` (a snapshot) as ``event`` (its wire form) says; events of attempts it lacks
   * are ignored. */
  function apply(view, event) {
    if (event.kind === "incident") {
      if (view.room !== null && event.room !== view.room) return;
      var incident = copied(event.incident);
      if (!view.incidents) view.incidents = {};
      view.incidents[String(incident.id)] = incident;
      var owner = has(view.attempts, String(incident.attempt)) ? view.attempts[String(incident.attempt)] : null;
      if (owner !== null) owner.incidents = openIncidents(view.incidents, incident.attempt);
      return;
    }
    if (event.kind === "room_opened") {
      var room = has(view.rooms, String(event.room)) ? view.rooms[String(event.room)] : null;
      if (room !== null) {
        room.opened_at = event.opened_at;
        room.together = event.together;
      }
      return;
    }
    if (!has(event, "attempt")) return;  // not an attempt's event: nothing else is known
    var key = String(event.attempt);
    var row = has(view.attempts, key) ? view.attempts[key] : null;
    var seated = event.kind === "seated";
    if (seated && event.room !== null && event.room !== undefined && !has(view.rooms, String(event.room))) {
      if (view.room === null) view.stale = true;  // a room new to the sitting: read the sitting again
    }
    if (seated && view.room !== null) {
      if (event.room !== view.room) {  // moved out of this room
        delete view.attempts[key];
        return;
      }
      if (row === null) {  // moved in: read the room again
        view.stale = true;
        return;
      }
    }
    if (row === null) return;
    if (event.kind === "status") {
      row.status = event.status;
      row.deadline = event.deadline;
      row.paused_remaining_ms = event.paused_remaining_ms;
      row.submit_reason = event.submit_reason;
    } else if (event.kind === "answer") {
      if (event.answered !== null && event.answered !== undefined) mark(row.answered, event.item, event.answered);
      if (event.flagged !== null && event.flagged !== undefined) mark(row.flagged, event.item, event.flagged);
      row.last_answer_at = event.at;
    } else if (seated) {
      row.room = event.room;
      row.seat = seatOf(event.seat, event.row, event.column);
    } else if (event.kind === "presence") {
      row.connection = merged(row.connection, event);
    } else if (event.kind === "integrity") {
      row.integrity = { counts: copied(event.counts), focus_ms: event.focus_ms };
    }
  }

  // ``changed``: what incidents.js (the incidents' panel) runs after each snapshot and event.
  var Console = window.Console = { apply: apply, merged: merged, changed: [] };

  // --- the page -------------------------------------------------------------------------------

  var config = readJson("console-config");
  var text = readJson("console-text");
  var root = document.getElementById("console");
  if (!root || !config.kind) return;

  var SEEN_MS = Math.max(500, Number(config.seenMs) || 5000);
  var PING_MS = Math.max(500, Number(config.pingMs) || 10000);
  var DEAD_AFTER_MS = Math.max(PING_MS + 500, SEEN_MS + 500, Number(config.deadAfterMs) || 25000);
  var STALE_AFTER_MS = Math.max(1000, Number(config.staleAfterMs) || 25000);
  var FINAL_CLOSE_CODES = [4401, 4403, 4404];
  var STATES = ["not_checked_in", "checked_in", "waiting", "answering", "disconnected", "paused", "finished", "voided"];
  // Drawn beside the words, so that no state is told by colour alone.
  var ICONS = {
    not_checked_in: "○", checked_in: "✓", waiting: "◔", answering: "✎", disconnected: "⚠",
    paused: "‖", finished: "■", voided: "✕", unknown: "?"
  };
  var lang = document.documentElement.lang || "vi";

  function t(key, values) {
    var template = has(text, key) ? text[key] : key;
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

  function el(id) { return document.getElementById(id); }

  /* Write only what changed: the console redraws every second. */
  function setText(node, value) {
    value = value === null || value === undefined ? "" : String(value);
    if (node.textContent !== value) node.textContent = value;
  }

  function setAttr(node, name, value) {
    value = value === null || value === undefined ? null : String(value);
    if (value === null) {
      if (node.hasAttribute(name)) node.removeAttribute(name);
    } else if (node.getAttribute(name) !== value) {
      node.setAttribute(name, value);
    }
  }

  function show(node, shown) {
    if (node.hidden === shown) node.hidden = !shown;
  }

  function setClassName(node, value) {
    if (node.className !== value) node.className = value;
  }

  function setClass(node, name, on) {
    if (node.classList.contains(name) !== on) node.classList.toggle(name, on);
  }

  function instant(iso) {
    if (!iso) return null;
    var ms = Date.parse(iso);
    return isNaN(ms) ? null : ms;
  }

  function clockTime(iso) {
    var ms = instant(iso);
    if (ms === null) return "";
    try {
      return new Date(ms).toLocaleTimeString(lang, {
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: config.timeZone || undefined
      });
    } catch (e) {
      return new Date(ms).toLocaleTimeString();
    }
  }

  /* 14:05, without seconds: when an action was taken or an incident logged. */
  function hourMinute(iso) {
    var ms = instant(iso);
    if (ms === null) return "";
    try {
      return new Date(ms).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: config.timeZone || undefined });
    } catch (e) {
      return new Date(ms).toLocaleTimeString();
    }
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  /* 43:07, or 1:02:09 from an hour up. */
  function duration(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    seconds %= 60;
    return (hours ? hours + ":" + pad(minutes) : pad(minutes)) + ":" + pad(seconds);
  }

  function age(ms) {
    var seconds = Math.max(0, Math.round(ms / 1000));
    if (seconds < 120) return t("secondsAgo", { n: seconds });
    return t("minutesAgo", { n: Math.floor(seconds / 60) });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* fetch() that always resolves: {ok, status, data}. */
  function api(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return window.fetch(url, options).then(function (response) {
      return response.json().then(
        function (data) { return { ok: response.ok, status: response.status, data: data }; },
        function () { return { ok: response.ok, status: response.status, data: null }; }
      );
    }, function () {
      return { ok: false, status: 0, data: { error: { code: "network", message: t("networkError") } } };
    });
  }

  function failure(result) {
    var error = result && result.data && result.data.error;
    if (error && error.message) return error.message;
    if (result && result.status === 404) return t("notFound");
    return t("error") + (result && result.status ? " (" + result.status + ")" : "");
  }

  /* ``fn`` run once, ``ms`` after the first of a burst of calls (a placement moves a whole
   * sitting at once: one redraw for all its events). */
  function coalesced(fn, ms) {
    var timer = null;
    return function () {
      if (timer === null) timer = window.setTimeout(function () { timer = null; fn(); }, ms);
    };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return encodeURIComponent(values[name]); });
  }

  // --- the live connection ----------------------------------------------------------------------

  var clockOffset = 0;      // the server's clock minus this one, ms (from the pongs)
  function now() { return Date.now() + clockOffset; }

  function Live(handlers) {
    var socket = null;
    var retryDelay = 500;
    var stopped = false;
    var lastHeard = 0;
    var lastSent = 0;
    var lastPing = 0;
    var lastSeen = 0;
    var pingSent = {};      // local send time of the pending ping
    var snapshotTimer = null;

    function connect() {
      if (stopped) return;
      handlers.state("connecting");
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var current = socket = new WebSocket(scheme + window.location.host + config.wsPath);
      lastHeard = window.performance.now();
      current.onopen = function () {
        lastHeard = window.performance.now();
        ping();
      };
      current.onmessage = function (event) {
        if (current !== socket) return;
        lastHeard = window.performance.now();
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        receive(message);
      };
      current.onclose = function (event) {
        if (current === socket) lost(event.code);
      };
    }

    function receive(message) {
      if (message.type === "snapshot") {
        retryDelay = 500;
        lastSeen = window.performance.now();
        handlers.snapshot(message);
        handlers.state("open");
      } else if (message.type === "event") {
        handlers.event(message.event);
      } else if (message.type === "events") {  // candidates' answers, gathered by a server
        (message.events || []).forEach(handlers.event);
      } else if (message.type === "seen") {
        handlers.seen(message.seen || {});
      } else if (message.type === "pong") {
        var sent = pingSent.at;
        var server = instant(message.server_time);
        var back = Date.now();
        if (sent && server !== null && back - sent < 3000) clockOffset = server - (sent + back) / 2;
        pingSent = {};
      } else if (message.type === "error") {
        if (message.code === "rate_limited") {
          if (snapshotTimer === null && handlers.wantsSnapshot()) {
            snapshotTimer = window.setTimeout(function () {
              snapshotTimer = null;
              if (handlers.wantsSnapshot()) send({ type: "snapshot" });
            }, Number(message.retry_after_ms) || 1000);
          }
        } else if (message.code !== "unknown_type") {
          handlers.refused(message.message || t("error"));
        }
      }
    }

    function send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(message));
        lastSent = window.performance.now();
      }
    }

    function ping() {
      lastPing = window.performance.now();
      pingSent = { at: Date.now() };
      send({ type: "ping" });
    }

    function lost(code) {
      socket = null;
      if (stopped || FINAL_CLOSE_CODES.indexOf(code) !== -1) {
        stopped = true;
        handlers.state("closed");
        return;
      }
      handlers.state("offline");
      var delay = retryDelay + Math.random() * 300;
      retryDelay = Math.min(retryDelay * 2, 10000);
      window.setTimeout(connect, delay);
    }

    // Silence counts only while something sent waits for its reply (every frame sent gets one)
    // or the socket is not open yet: a hidden tab's timers may run once a minute, and a quiet
    // minute there is not a lost connection (as exam.js's heartbeat).
    function tick() {
      if (!socket || stopped) return;
      var at = window.performance.now();
      var asked = socket.readyState !== WebSocket.OPEN || lastSent > lastHeard;
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        if (asked && at - lastHeard > DEAD_AFTER_MS) {
          // Silent for too long: the network is gone without a word. Its close cannot finish.
          var dead = socket;
          dead.onopen = dead.onmessage = dead.onclose = null;
          try { dead.close(); } catch (e) { /* closing already */ }
          lost(null);
          return;
        }
      }
      if (socket.readyState !== WebSocket.OPEN) return;
      if (at - lastPing >= PING_MS) ping();
      if (at - lastSeen >= SEEN_MS) {
        lastSeen = at;
        send({ type: "seen" });
      }
    }

    window.setInterval(tick, 250);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) tick(); });
    return {
      start: connect,
      snapshot: function () { send({ type: "snapshot" }); }
    };
  }

  // --- the state of a candidate, as the console shows it -----------------------------------------

  /* What the console says of one row of the live view: its state among STATES, whether the
   * candidate is connected but silent, when they were last heard from, their time left. */
  function derive(row, seenAt, at) {
    var connection = row.connection || null;
    var connected = !!(connection && connection.connected);
    var heard = null;
    [instant(seenAt), instant(row.last_answer_at), connected ? instant(connection.at) : null].forEach(function (ms) {
      if (ms !== null && (heard === null || ms > heard)) heard = ms;
    });
    var since = heard === null ? null : Math.max(0, at - heard);
    var silent = connected && (since === null || since > STALE_AFTER_MS);
    var live = connected && !silent;
    var state;
    switch (row.status) {
      case "voided": state = "voided"; break;
      case "submitted": state = "finished"; break;
      case "paused": state = "paused"; break;
      case "scheduled": state = "not_checked_in"; break;
      case "checked_in": state = live ? "waiting" : "checked_in"; break;
      case "in_progress": state = live ? "answering" : "disconnected"; break;
      default: state = "unknown";
    }
    var left = null;
    if (row.status === "in_progress" && row.deadline) left = Math.max(0, instant(row.deadline) - at);
    else if (row.status === "paused" && row.paused_remaining_ms !== null) left = row.paused_remaining_ms;
    var alert = "";
    var over = state === "finished" || state === "voided";
    if (!over && silent) alert = t("noSignal", { n: Math.round((since || 0) / 1000) });
    else if (!over && row.status === "in_progress" && !connected) {
      alert = connection && connection.at ? t("leftAt", { time: clockTime(connection.at) }) : t("notConnected");
    }
    return {
      state: state,
      connected: connected,
      silent: silent,
      since: since,
      left: left,
      alert: alert,
      ip: connection && connection.ip ? connection.ip : ""
    };
  }

  function stateLabel(state) { return t("state_" + state); }

  /* A candidate's open incidents ("⚑ 2 open incidents: illness, integrity alert") and what their
   * integrity events add up to ("Left the page 3× (45 s) · Copy 1×"), on a card or a row. */
  function flagsOf(row, flags, integrityLine, node) {
    var open = row && row.incidents ? row.incidents.open : 0;
    var kinds = open ? row.incidents.kinds.map(function (kind) { return t("incident_kind_" + kind); }).join(", ") : "";
    setText(flags, open ? "⚑ " + t("incidentsOpen", { n: open, kinds: kinds }) : "");
    show(flags, open > 0);
    setAttr(node, "data-incidents", open);
    var parts = [];
    var counts = row && row.integrity ? row.integrity.counts : {};
    ["focus_loss", "fullscreen_exit", "copy", "paste", "context_menu", "second_session", "ip_change"].forEach(function (kind) {
      if (!counts[kind]) return;
      var part = t("integrity_" + kind) + " " + counts[kind] + "×";
      if (kind === "focus_loss" && row.integrity.focus_ms) part += " (" + Math.round(row.integrity.focus_ms / 1000) + " s)";
      parts.push(part);
    });
    setText(integrityLine, parts.join(" · "));
    show(integrityLine, parts.length > 0);
  }

  /* A state's mark: its icon and its words, for a card, a row or a count. */
  function stateBadge(node) {
    var icon = node.appendChild(make("span", "state-icon"));
    icon.setAttribute("aria-hidden", "true");
    var label = node.appendChild(make("span", "state-label"));
    return function (state) {
      setText(icon, ICONS[state] || "?");
      setText(label, stateLabel(state));
    };
  }

  // --- what both consoles share: the view, the seen map, the connection banner -------------------

  var view = null;           // the live view (a snapshot with every event heard since applied)
  var seen = {};             // attempt -> when last heard from (the presence store)
  var connection = "connecting";
  var refusal = "";          // why the server closed the console for good

  function viewRoom() {
    if (!view) return null;
    var key = String(config.roomId);
    return has(view.rooms, key) ? view.rooms[key] : null;
  }

  function banner() {
    var box = el("console-status");
    if (!box) return;
    var message = connection === "open" ? ""
      : connection === "connecting" && !view ? t("connecting")
      : connection === "closed" ? (refusal || t("closed"))
      : t("offline");
    setText(box, message);
    show(box, !!message);
    setAttr(box, "data-state", connection);
    setAttr(root, "data-connection", connection);
    setClass(root, "console-offline", connection !== "open");
  }

  function counts(rows) {
    var result = {};
    STATES.forEach(function (state) { result[state] = 0; });
    rows.forEach(function (state) { result[state] = (result[state] || 0) + 1; });
    return result;
  }

  /* A line of counts per state ("✎ Answering 12"), patched in place. */
  function CountLine(node) {
    var parts = {};
    STATES.concat(["unknown"]).forEach(function (state) {
      var pill = node.appendChild(make("span", "state-count state-" + state));
      pill.setAttribute("data-state", state);
      var badge = stateBadge(pill);
      badge(state);
      var number = pill.appendChild(make("strong", "count-number"));
      parts[state] = { pill: pill, number: number };
    });
    return function (states) {
      var n = counts(states);
      Object.keys(parts).forEach(function (state) {
        var value = n[state] || 0;
        setText(parts[state].number, value);
        show(parts[state].pill, value > 0);
        setAttr(parts[state].pill, "data-count", value);
      });
    };
  }

  function openedText(room) {
    if (!room || !room.opened_at) return t("notOpen");
    return t(room.together ? "openedTogether" : "openedEach", { time: clockTime(room.opened_at) });
  }

  // --- one room: the seat map ----------------------------------------------------------------------

  function RoomConsole() {
    var rest = null;          // GET /api/sitting-rooms/<id>/
    var people = {};          // attempt -> candidate of the REST answer
    var cards = {};           // attempt -> card
    var cells = {};           // "row:column" -> seat cell
    var map = el("seat-map");
    var notice = el("room-notice");
    var restLoading = false;
    var restAgain = false;
    var dialogs = {};
    var countLine = CountLine(el("room-counts"));

    function load() {
      if (restLoading) { restAgain = true; return; }
      restLoading = true;
      api("GET", config.roomUrl).then(function (result) {
        restLoading = false;
        if (result.ok) {
          rest = result.data;
          people = {};
          rest.candidates.forEach(function (candidate) { people[String(candidate.attempt)] = candidate; });
          header();
          build();
          place();
          render();
        } else {
          say(failure(result), true);
        }
        if (restAgain) { restAgain = false; load(); }
      });
    }

    var sayTimer = null;
    // A refusal stays until the next message; a success goes after a while (the map says it too).
    function say(message, isError) {
      if (sayTimer !== null) window.clearTimeout(sayTimer);
      sayTimer = null;
      setText(notice, message);
      show(notice, !!message);
      setClass(notice, "notice-ok", !isError);
      setAttr(notice, "role", isError ? "alert" : "status");
      if (message && !isError) sayTimer = window.setTimeout(function () { say("", false); }, 10000);
    }

    function header() {
      if (!rest) return;
      setText(el("access-code"), rest.access_code || "–");
    }

    function opened() {
      var room = viewRoom();
      if (!room && rest) room = { opened_at: rest.opened_at, together: rest.together };
      var isOpen = !!(room && room.opened_at);
      setText(el("room-opened"), openedText(room));
      setAttr(el("room-opened"), "data-opened", isOpen ? (room.together ? "together" : "each") : "no");
      show(el("open-actions"), !!room && !isOpen);
    }

    // The grid: one cell per row and column, row A (the front) first; gaps where no seat is.
    function build() {
      var room = rest.room;
      var seats = {};
      room.seats.forEach(function (seat) { seats[seat.row + ":" + seat.column] = seat; });
      var signature = room.rows + "x" + room.columns + ":" + room.seats.map(function (s) {
        return s.label + (s.spare ? "*" : "");
      }).join(",");
      if (map.getAttribute("data-layout") === signature) return;
      map.setAttribute("data-layout", signature);
      Object.keys(cards).forEach(function (key) { if (cards[key].node.parentNode) cards[key].node.parentNode.removeChild(cards[key].node); });
      while (map.firstChild) map.removeChild(map.firstChild);
      cells = {};
      map.style.setProperty("--columns", String(room.columns));
      for (var r = 1; r <= room.rows; r++) {
        for (var c = 1; c <= room.columns; c++) {
          var seat = seats[r + ":" + c];
          if (!seat) {
            var gap = map.appendChild(make("div", "console-gap"));
            gap.setAttribute("aria-hidden", "true");
            continue;
          }
          var cell = map.appendChild(make("div", "console-seat" + (seat.spare ? " seat-spare" : "")));
          cell.setAttribute("data-seat", seat.label);
          cell.setAttribute("role", "listitem");
          if (seat.spare) cell.setAttribute("data-spare", "1");
          var empty = cell.appendChild(make("div", "seat-empty"));
          empty.appendChild(make("span", "seat-label", seat.label));
          empty.appendChild(make("span", "seat-empty-text", seat.spare ? t("spareFree") : t("emptySeat")));
          cells[r + ":" + c] = { node: cell, seat: seat, empty: empty };
        }
      }
    }

    function position(key) {
      var row = view && has(view.attempts, key) ? view.attempts[key] : null;
      if (row) return row.seat ? row.seat.row + ":" + row.seat.column : null;
      var person = people[key];
      return person ? person.row + ":" + person.column : null;
    }

    function keys() {
      var all = {};
      if (view) Object.keys(view.attempts).forEach(function (key) { all[key] = true; });
      else Object.keys(people).forEach(function (key) { all[key] = true; });
      return Object.keys(all);
    }

    // Each candidate's card in the cell of their seat; cards of those gone are dropped.
    function place() {
      if (!rest) return;
      var present = {};
      var unseated = el("unseated");
      keys().forEach(function (key) {
        present[key] = true;
        var card = cards[key] || (cards[key] = Card(key));
        var where = position(key);
        var cell = where && cells[where] ? cells[where] : null;
        var parent = cell ? cell.node : unseated;
        if (card.node.parentNode !== parent) parent.appendChild(card.node);
      });
      Object.keys(cards).forEach(function (key) {
        if (!present[key]) {
          var node = cards[key].node;
          if (node.parentNode) node.parentNode.removeChild(node);
          delete cards[key];
        }
      });
      Object.keys(cells).forEach(function (where) {
        var cell = cells[where];
        var taken = cell.node.querySelector(".seat-card") !== null;
        show(cell.empty, !taken);
        setAttr(cell.node, "data-taken", taken ? "1" : "0");
      });
      show(unseated, unseated.querySelector(".seat-card") !== null);
    }

    function Card(key) {
      var node = make("article", "seat-card");
      node.setAttribute("data-attempt", key);
      var top = node.appendChild(make("div", "seat-top"));
      var label = top.appendChild(make("span", "seat-label"));
      var spareTag = top.appendChild(make("span", "seat-tag", t("spare")));
      var code = top.appendChild(make("span", "seat-code"));
      var who = node.appendChild(make("div", "seat-who"));
      var frame = who.appendChild(make("span", "seat-photo"));
      var names = who.appendChild(make("div", "seat-names"));
      var name = names.appendChild(make("p", "seat-name"));
      var ids = names.appendChild(make("p", "seat-ids"));
      var learner = ids.appendChild(make("span", "seat-learner"));
      var citizen = ids.appendChild(make("span", "seat-citizen"));
      var stateLine = node.appendChild(make("p", "seat-state"));
      var badge = stateBadge(stateLine);
      var alert = node.appendChild(make("p", "seat-alert"));
      var flags = node.appendChild(make("p", "seat-flags"));
      var integrityLine = node.appendChild(make("p", "seat-integrity"));
      var facts = node.appendChild(make("dl", "seat-facts"));
      function fact(name, className) {
        var wrap = facts.appendChild(make("div", "fact " + className));
        wrap.appendChild(make("dt", null, t(name)));
        return wrap.appendChild(make("dd"));
      }
      var answered = fact("answered", "fact-answered");
      var flagged = fact("flagged", "fact-flagged");
      var left = fact("timeLeft", "fact-left");
      var heard = fact("heard", "fact-heard");
      var ip = fact("ip", "fact-ip");
      var actions = node.appendChild(make("div", "seat-actions"));
      var checkIn = actions.appendChild(make("button", "check-in", t("checkIn")));
      checkIn.type = "button";
      checkIn.setAttribute("data-action", "check-in");
      var move = actions.appendChild(make("button", "secondary move", t("move")));
      move.type = "button";
      move.setAttribute("data-action", "move");
      var incident = actions.appendChild(make("button", "secondary log-incident", t("logIncidentShort")));
      incident.type = "button";
      incident.setAttribute("data-action", "incident");
      checkIn.addEventListener("click", function () { openCheckIn(key, checkIn); });
      move.addEventListener("click", function () { openMove(key, move); });
      incident.addEventListener("click", function () { if (Console.logIncident) Console.logIncident(key, incident); });
      // What else applies to the candidate (pause, more time, void, …): actions.js's list.
      var more = actions.appendChild(make("button", "secondary more-actions", t("moreActions")));
      more.type = "button";
      more.setAttribute("data-action", "more");
      more.setAttribute("aria-haspopup", "dialog");
      more.addEventListener("click", function () { if (Console.seatActions) Console.seatActions(key, more); });
      var photoFor = null;

      function draw(at) {
        var row = view && has(view.attempts, key) ? view.attempts[key] : null;
        var person = people[key] || null;
        var seat = row && row.seat ? row.seat.label : person ? person.seat : "";
        var cell = row && row.seat ? cells[row.seat.row + ":" + row.seat.column] : null;
        var d = row ? derive(row, seen[key], at) : null;
        var state = connection !== "open" || !d ? "unknown" : d.state;
        setAttr(node, "data-seat", seat);
        setAttr(node, "data-state", state);
        setAttr(node, "data-status", row ? row.status : null);
        setClassName(node, "seat-card state-" + state + (d && d.silent ? " is-silent" : ""));
        setText(label, seat);
        show(spareTag, !!(cell && cell.seat.spare));
        setText(code, person ? t("testCode", { code: person.test_code }) : "");
        setText(name, person ? person.name : row ? row.student.name : "");
        setText(learner, person && person.learner_id ? person.learner_id : row && row.student.learner_id ? row.student.learner_id : "");
        setText(citizen, person && person.citizen_id ? t("citizenShort", { id: person.citizen_id }) : "");
        var wanted = person && person.has_photo ? fill(config.photoUrl, { student: person.student_id }) : "";
        if (wanted !== photoFor) {
          photoFor = wanted;
          while (frame.firstChild) frame.removeChild(frame.firstChild);
          if (wanted) {
            var img = frame.appendChild(make("img"));
            img.loading = "lazy";
            img.alt = "";
            img.src = wanted;
          }
          setClass(frame, "no-photo", !wanted);
        }
        badge(state);
        setText(alert, d && connection === "open" ? d.alert : "");
        show(alert, !!(d && connection === "open" && d.alert));
        flagsOf(row, flags, integrityLine, node);
        setText(answered, row ? row.answered.length + "/" + row.items : "–");
        setAttr(node, "data-answered", row ? row.answered.length : null);
        setText(flagged, row ? row.flagged.length : "–");
        setAttr(node, "data-flagged", row ? row.flagged.length : null);
        setText(left, d && d.left !== null ? duration(d.left) : "–");
        setClass(left, "low", !!(d && d.left !== null && d.left < 5 * 60000 && row.status === "in_progress"));
        setText(heard, d && d.since !== null ? age(d.since) : "–");
        setText(ip, d && d.ip ? d.ip : "–");
        var status = row ? row.status : person ? person.status : null;
        show(checkIn, status === "scheduled");
        show(move, !!status && ["submitted", "scored", "published", "voided"].indexOf(status) === -1);
        show(more, !!status && status !== "voided" && !!Console.seatActions);
        setAttr(more, "aria-label", t("moreActionsFor", {
          name: person ? person.name : row ? row.student.name : "", seat: seat || "–"
        }));
      }

      return { node: node, draw: draw };
    }

    var replace = coalesced(function () {
      place();
      render();
    }, 50);

    function tally() {
      countLine(Object.keys(cards).map(function (key) { return cards[key].node.getAttribute("data-state"); }));
    }

    function render() {
      var at = now();
      Object.keys(cards).forEach(function (key) { cards[key].draw(at); });
      tally();
      opened();
      banner();
      refreshDialogs();
    }

    // --- check-in: the proctor compares the photo and the identifiers with the identity card

    function dialog(id) {
      if (dialogs[id]) return dialogs[id];
      var node = el(id);
      var error = node.querySelector("[data-error]");
      var d = dialogs[id] = { node: node, error: error, key: null, opener: null, busy: false };
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
      setText(d.error, message);
      show(d.error, !!message);
    }

    function busy(d, on) {
      d.busy = on;
      d.node.querySelectorAll("button, input, select").forEach(function (control) { control.disabled = on; });
    }

    function openCheckIn(key, opener) {
      var d = dialog("check-in-dialog");
      d.key = key;
      d.opener = opener;
      var person = people[key];
      var row = view && view.attempts[key];
      fail(d, "");
      busy(d, false);
      setText(el("check-in-name"), person ? person.name : row ? row.student.name : "");
      setText(el("check-in-seat"), person ? person.seat : row && row.seat ? row.seat.label : "");
      setText(el("check-in-learner"), (person && person.learner_id) || "–");
      setText(el("check-in-citizen"), (person && person.citizen_id) || "–");
      setText(el("check-in-code"), person ? person.test_code : "–");
      var frame = el("check-in-photo");
      while (frame.firstChild) frame.removeChild(frame.firstChild);
      if (person && person.has_photo) {
        var img = frame.appendChild(make("img"));
        img.alt = t("photoOf", { name: person.name });
        img.src = fill(config.photoUrl, { student: person.student_id });
        setClass(frame, "no-photo", false);
      } else {
        frame.appendChild(make("span", "no-photo-text", t("noPhoto")));
        setClass(frame, "no-photo", true);
      }
      d.node.showModal();
      el("check-in-confirm").focus();
    }

    function confirmCheckIn() {
      var d = dialog("check-in-dialog");
      var key = d.key;
      if (!key || d.busy) return;
      busy(d, true);
      api("POST", fill(config.checkInUrl, { attempt: key })).then(function (result) {
        busy(d, false);
        if (!result.ok) return fail(d, failure(result));
        var person = people[key];
        var row = view && view.attempts[key];
        var seat = row && row.seat ? row.seat.label : person ? person.seat : "";
        say(t("checkedIn", { name: person ? person.name : row ? row.student.name : key, seat: seat }), false);
        d.node.close();
      });
    }

    // --- moving a candidate to a free seat (a spare one unless another is chosen)

    function freeSeats(key) {
      var taken = {};
      Object.keys(cards).forEach(function (other) {
        if (other === key) return;
        var where = position(other);
        if (where) taken[where] = true;
      });
      var free = [];
      Object.keys(cells).forEach(function (where) {
        if (!taken[where]) free.push(cells[where].seat);
      });
      free.sort(function (a, b) {
        return (b.spare - a.spare) || (a.row - b.row) || (a.column - b.column);
      });
      return free;
    }

    function openMove(key, opener) {
      var d = dialog("move-dialog");
      d.key = key;
      d.opener = opener;
      fail(d, "");
      busy(d, false);
      var person = people[key];
      var row = view && view.attempts[key];
      var seat = row && row.seat ? row.seat.label : person ? person.seat : "";
      setText(el("move-who"), t("moveWho", { name: person ? person.name : row ? row.student.name : key, seat: seat }));
      var select = el("move-seat");
      while (select.firstChild) select.removeChild(select.firstChild);
      var auto = select.appendChild(make("option", null, t("moveAuto")));
      auto.value = "";
      var current = position(key);
      freeSeats(key).forEach(function (free) {
        if (free.row + ":" + free.column === current) return;
        var option = select.appendChild(make("option", null, free.spare ? t("seatSpare", { seat: free.label }) : free.label));
        option.value = free.label;
      });
      el("move-reason").value = "";
      d.node.showModal();
      select.focus();
    }

    function confirmMove() {
      var d = dialog("move-dialog");
      var key = d.key;
      if (!key || d.busy) return;
      busy(d, true);
      var body = { seat: el("move-seat").value, reason: el("move-reason").value.trim() };
      api("POST", fill(config.seatUrl, { attempt: key }), body).then(function (result) {
        busy(d, false);
        if (!result.ok) return fail(d, failure(result));
        var person = people[key];
        say(t("moved", { name: person ? person.name : key, seat: result.data.seat }), false);
        d.node.close();
      });
    }

    // --- opening the room: together, or each when ready

    function openRoom(together, opener) {
      var d = dialog("open-dialog");
      d.key = together ? "together" : "each";
      d.opener = opener;
      fail(d, "");
      busy(d, false);
      var checked = 0;
      var waiting = 0;
      keys().forEach(function (key) {
        var row = view && view.attempts[key];
        var status = row ? row.status : people[key] ? people[key].status : null;
        if (status === "checked_in") checked += 1;
        else if (status === "scheduled") waiting += 1;
      });
      setText(el("open-title"), t(together ? "openTogetherTitle" : "openEachTitle"));
      setText(el("open-what"), t(together ? "openTogetherWhat" : "openEachWhat", { checked: checked, waiting: waiting }));
      setText(el("open-confirm"), t(together ? "openTogether" : "openEach"));
      el("open-confirm").setAttribute("data-together", together ? "1" : "0");
      d.node.showModal();
      el("open-confirm").focus();
    }

    function confirmOpen() {
      var d = dialog("open-dialog");
      if (!d.key || d.busy) return;
      var together = d.key === "together";
      busy(d, true);
      api("POST", config.openUrl, { together: together }).then(function (result) {
        busy(d, false);
        d.node.close();
        if (!result.ok) {
          say(failure(result), true);
          return;
        }
        if (rest) {
          rest.opened_at = result.data.opened_at;
          rest.together = result.data.together;
        }
        say(t(together ? "openedTogetherDone" : "openedEachDone"), false);
        render();
      });
    }

    // A dialog about a candidate who has left the room (or started meanwhile) closes.
    function refreshDialogs() {
      ["check-in-dialog", "move-dialog"].forEach(function (id) {
        var d = dialogs[id];
        if (!d || !d.node.open || d.busy || !view) return;
        var row = view.attempts[d.key];
        if (!row) d.node.close();
        else if (id === "check-in-dialog" && row.status !== "scheduled") d.node.close();
      });
    }

    el("check-in-confirm").addEventListener("click", confirmCheckIn);
    el("move-confirm").addEventListener("click", confirmMove);
    el("open-confirm").addEventListener("click", confirmOpen);
    el("open-together").addEventListener("click", function () { openRoom(true, el("open-together")); });
    el("open-each").addEventListener("click", function () { openRoom(false, el("open-each")); });

    return {
      load: load,
      // After an event: the map again when who is where changed, else the one card it is about.
      changed: function (structure, key) {
        if (structure) return replace();
        if (!key || !cards[key]) return render();
        cards[key].draw(now());
        tally();
        refreshDialogs();
      },
      render: render
    };
  }

  // --- the board: every room of a sitting ------------------------------------------------------------

  function SittingConsole() {
    var rest = null;
    var people = {};           // attempt -> {candidate, room}
    var restRooms = {};        // sitting room id -> REST room
    var rows = {};             // attempt -> table row
    var lines = {};            // sitting room id -> summary line
    var body = el("candidates-body");
    var summary = el("rooms-summary");
    var filter = el("state-filter");
    var shownCount = el("shown-count");
    var restLoading = false;
    var restAgain = false;
    var order = "";
    var collator = new Intl.Collator(lang, { numeric: true });

    STATES.forEach(function (state) {
      var option = filter.appendChild(make("option", null, (ICONS[state] || "") + " " + stateLabel(state)));
      option.value = state;
    });
    filter.addEventListener("change", function () { render(); });

    function load() {
      if (restLoading) { restAgain = true; return; }
      restLoading = true;
      api("GET", config.roomsUrl).then(function (result) {
        restLoading = false;
        if (result.ok) {
          rest = result.data;
          people = {};
          restRooms = {};
          rest.rooms.forEach(function (room) {
            restRooms[String(room.id)] = room;
            room.candidates.forEach(function (candidate) {
              people[String(candidate.attempt)] = { candidate: candidate, room: room };
            });
          });
          structure();
        } else {
          var box = el("console-status");
          setText(box, failure(result));
          show(box, true);
        }
        if (restAgain) { restAgain = false; load(); }
      });
    }

    function roomIds() {
      var ids = {};
      Object.keys(restRooms).forEach(function (id) { ids[id] = true; });
      if (view) Object.keys(view.rooms).forEach(function (id) { ids[id] = true; });
      return Object.keys(ids).sort(function (a, b) { return collator.compare(roomName(a), roomName(b)); });
    }

    function roomName(id) {
      if (view && has(view.rooms, id)) return view.rooms[id].name;
      return restRooms[id] ? restRooms[id].room.name : "";
    }

    function Line(id) {
      var node = make("li", "room-line");
      node.setAttribute("data-room", id);
      var head = node.appendChild(make("div", "room-line-head"));
      var link = head.appendChild(make("a", "room-line-name"));
      link.href = fill(config.roomPageUrl, { room: id });
      var opened = head.appendChild(make("span", "room-line-opened"));
      var total = head.appendChild(make("span", "room-line-total"));
      var countsNode = node.appendChild(make("p", "state-counts"));
      var line = CountLine(countsNode);
      return {
        node: node,
        draw: function (states) {
          setText(link, roomName(id));
          var room = view && has(view.rooms, id) ? view.rooms[id] : restRooms[id] || null;
          setText(opened, openedText(room));
          setAttr(node, "data-opened", room && room.opened_at ? "1" : "0");
          setText(total, t("candidates", { n: states.length }));
          line(states);
        }
      };
    }

    function Row(key) {
      var node = make("tr", "candidate-row");
      node.setAttribute("data-attempt", key);
      function cell(label, className) {   // label: a text of the page, translated
        var td = node.appendChild(make("td", className));
        td.setAttribute("data-label", label);
        return td;
      }
      var room = cell(text.room, "col-room");
      var seat = cell(text.seat, "col-seat");
      var nameCell = cell(text.name, "col-name");
      var name = nameCell.appendChild(make("span", "row-name"));
      var learner = nameCell.appendChild(make("span", "row-learner"));
      var stateCell = cell(text.state, "col-state");
      var stateWrap = stateCell.appendChild(make("span", "row-state"));
      var badge = stateBadge(stateWrap);
      var alert = stateCell.appendChild(make("span", "row-alert"));
      var flags = stateCell.appendChild(make("span", "row-flags"));
      var integrityLine = stateCell.appendChild(make("span", "row-integrity"));
      var answered = cell(text.answered, "col-answered num");
      var left = cell(text.timeLeft, "col-left num");
      var heard = cell(text.heard, "col-heard");
      var ip = cell(text.ip, "col-ip");

      function draw(at) {
        var row = view && has(view.attempts, key) ? view.attempts[key] : null;
        var person = people[key] || null;
        var d = row ? derive(row, seen[key], at) : null;
        var state = connection !== "open" || !d ? "unknown" : d.state;
        var roomId = row ? row.room : person ? person.room.id : null;
        setText(room, roomId !== null && roomId !== undefined ? roomName(String(roomId)) || "–" : t("notPlaced"));
        setText(seat, row && row.seat ? row.seat.label : person ? person.candidate.seat : "–");
        setText(name, person ? person.candidate.name : row ? row.student.name : "");
        setText(learner, person && person.candidate.learner_id ? person.candidate.learner_id : row && row.student.learner_id ? row.student.learner_id : "");
        setAttr(node, "data-state", state);
        setClassName(node, "candidate-row state-" + state + (d && d.silent ? " is-silent" : ""));
        badge(state);
        setText(alert, d && connection === "open" ? d.alert : "");
        show(alert, !!(d && connection === "open" && d.alert));
        flagsOf(row, flags, integrityLine, node);
        setText(answered, row ? row.answered.length + "/" + row.items : "–");
        setAttr(node, "data-answered", row ? row.answered.length : null);
        setText(left, d && d.left !== null ? duration(d.left) : "–");
        setText(heard, d && d.since !== null ? age(d.since) : "–");
        setText(ip, d && d.ip ? d.ip : "–");
        return state;
      }

      return { node: node, draw: draw };
    }

    function roomOf(key) {
      var row = view && has(view.attempts, key) ? view.attempts[key] : null;
      if (row) return row.room === null || row.room === undefined ? "" : String(row.room);
      return people[key] ? String(people[key].room.id) : "";
    }

    function sortKey(key) {
      var row = view && has(view.attempts, key) ? view.attempts[key] : null;
      var person = people[key];
      var roomId = roomOf(key);
      var seatRow = row && row.seat ? row.seat.row : person ? person.candidate.row : 9999;
      var seatColumn = row && row.seat ? row.seat.column : person ? person.candidate.column : 9999;
      return [roomId ? roomName(roomId) : "\uffff", seatRow, seatColumn, key];
    }

    // Rows and lines added, dropped and put in order (room, then seat); called when who is
    // where may have changed, not every second.
    var restructure = coalesced(function () { structure(); }, 50);

    function structure() {
      var all = {};
      if (view) Object.keys(view.attempts).forEach(function (key) { all[key] = true; });
      else Object.keys(people).forEach(function (key) { all[key] = true; });
      var list = Object.keys(all);
      list.forEach(function (key) { if (!rows[key]) rows[key] = Row(key); });
      Object.keys(rows).forEach(function (key) {
        if (!all[key]) {
          if (rows[key].node.parentNode) rows[key].node.parentNode.removeChild(rows[key].node);
          delete rows[key];
        }
      });
      var keyed = list.map(function (key) { return { key: key, sort: sortKey(key) }; });
      keyed.sort(function (a, b) {
        var x = a.sort;
        var y = b.sort;
        var byName = collator.compare(String(x[0]), String(y[0]));
        return byName || (x[1] - y[1]) || (x[2] - y[2]) || (Number(x[3]) - Number(y[3]));
      });
      var wanted = keyed.map(function (k) { return k.key; }).join(",");
      if (wanted !== order) {
        order = wanted;
        keyed.forEach(function (k) { body.appendChild(rows[k.key].node); });
      }
      var ids = roomIds();
      ids.forEach(function (id) { if (!lines[id]) lines[id] = Line(id); });
      Object.keys(lines).forEach(function (id) {
        if (ids.indexOf(id) === -1) {
          summary.removeChild(lines[id].node);
          delete lines[id];
        }
      });
      ids.forEach(function (id) { summary.appendChild(lines[id].node); });
      render();
    }

    function drawRow(key, at) {
      var state = rows[key].draw(at);
      show(rows[key].node, !filter.value || state === filter.value);
    }

    // The lines per room and the count shown, from the states the rows show.
    function tally() {
      var perRoom = {};
      var shown = 0;
      Object.keys(rows).forEach(function (key) {
        var room = roomOf(key);
        (perRoom[room] = perRoom[room] || []).push(rows[key].node.getAttribute("data-state"));
        if (!rows[key].node.hidden) shown += 1;
      });
      Object.keys(lines).forEach(function (id) { lines[id].draw(perRoom[id] || []); });
      setText(shownCount, t("shown", { shown: shown, total: Object.keys(rows).length }));
      show(el("no-candidates"), shown === 0);
    }

    function render() {
      var at = now();
      Object.keys(rows).forEach(function (key) { drawRow(key, at); });
      tally();
      banner();
    }

    return {
      load: load,
      changed: function (isStructure, key) {
        if (isStructure) restructure();
        else if (key && rows[key]) {
          drawRow(key, now());
          tally();
        } else render();
      },
      render: render
    };
  }

  // --- wiring ----------------------------------------------------------------------------------------

  var page = config.kind === "room" ? RoomConsole() : SittingConsole();
  var wantSnapshot = false;

  var live = Live({
    state: function (state) {
      connection = state;
      page.render();
    },
    snapshot: function (message) {
      var fresh = {
        sitting: message.sitting,
        room: message.room,
        rooms: message.rooms || {},
        attempts: message.attempts || {},
        incidents: message.incidents || {}
      };
      // A snapshot after the first (stale, or after a reconnect): the people may have changed
      // too (a candidate moved in), so they are read again.
      var again = view !== null || wantSnapshot;
      view = fresh;
      seen = message.seen || {};
      wantSnapshot = false;
      if (again) page.load();
      page.changed(true);
      Console.changed.forEach(function (fn) { fn(view, null); });
    },
    event: function (event) {
      if (!view) return;
      apply(view, event);
      if (view.stale && !wantSnapshot) {
        wantSnapshot = true;
        live.snapshot();
      }
      // Who sits where, and with which test code, may have changed (a placement deals the codes
      // again, and a seated event does not carry them): the people are read again.
      if (event.kind === "seated") page.load();
      var key = has(event, "attempt") ? String(event.attempt)
        : event.kind === "incident" && event.incident.attempt !== null ? String(event.incident.attempt) : null;
      page.changed(event.kind === "seated" || event.kind === "room_opened", key);
      Console.changed.forEach(function (fn) { fn(view, event); });
    },
    seen: function (map) {
      seen = map;
      page.render();
    },
    refused: function (message) {
      refusal = message;
    },
    wantsSnapshot: function () { return wantSnapshot; }
  });

  // Read by the browser tests: the live view as this console holds it.
  Console.view = function () { return view; };
  Console.text = t;
  // The helpers actions.js and incidents.js share with this file (one copy of each).
  Console.config = config;
  Console.make = make;
  Console.el = el;
  Console.setText = setText;
  Console.fill = fill;
  Console.hourMinute = hourMinute;
  Console.seen = function () { return seen; };
  // The one fetch() of the console pages (actions.js and incidents.js call it too).
  Console.api = api;

  page.load();
  live.start();
  window.setInterval(function () { page.render(); }, 1000);
})();
