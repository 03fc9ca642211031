/* The exam runner: renders what the server sends and sends what the student does.
 *
 * It follows docs/protocol.md. The server owns the state and the clock: this script keeps
 * only the changes not yet acknowledged, in the journal (journal.js: IndexedDB, else
 * localStorage, else memory). A change is written to the journal before it is sent and
 * removed when the server acknowledges it (or refuses it); on loading, the page reads the
 * journal before it connects, and after every reconnect, reload or crash it sends what the
 * journal holds again, in seq order and with the same seq numbers (the server acknowledges a
 * replayed seq without a second write). nextSeq stays above every seq the journal holds and
 * above the server's last_seq, so a number is never used for two changes.
 * A newer change of an item replaces an older one still waiting, in the same journal write,
 * under a new seq: the older may already be on its way, and whether the server stores it or
 * not, the newer seq wins on the server, so a long time offline leaves at most an answer and
 * a flag per item. If the page replayed changes the server may already have (a seq at or
 * below the state's last_seq: an ack lost with the connection, or a change made meanwhile on
 * another computer), it asks for the state again once they are all acknowledged, so what it
 * shows is what the server holds.
 * Each question shows whether it is saved: the palette marks a question with a change
 * waiting for its acknowledgement (a dashed box and a ring, and "not saved yet" in its
 * name), the question says "Not saved yet" or "Saved" beside its number, and the line at the
 * top says "Saving…" until nothing waits.
 * Changes go out in seq order, at most WINDOW of them without a reply at a time; if the
 * server refuses one for the rate limit, the script waits as told and sends what is waiting
 * one change at a time until nothing waits. It hands the exam in only once every change is
 * acknowledged.
 * A heartbeat watches the connection: a ping when nothing else went out for a while, and a
 * connection that hears nothing from the server for longer than that is taken for dead (a
 * quietly lost network gives no close event for minutes): it is dropped and opened again.
 * A lost connection is opened again after a backoff with full jitter: a random wait between
 * RETRY_BASE_MS and min(RETRY_CAP_MS, RETRY_BASE_MS * 2^n) after the n-th failure in a row,
 * so a room of PCs that lost the network together does not come back in step; a state
 * received ends the run of failures, and the browser's "online" event retries at once.
 * The clock is the server's: every countdown runs from the server's remaining_ms on the
 * monotonic performance.now(), never from Date, so a PC whose clock is wrong, or is changed
 * during the exam, shows the server's time left.
 * Submit opens a review of every question (answered, flagged) before the exam is handed in.
 * Every item's body (stimulus, stem, interaction) is drawn by ItemRenderer (items.js), the same
 * code the author preview uses.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("runner-config").textContent);
  var text = JSON.parse(document.getElementById("runner-text").textContent);
  var FINAL_CLOSE_CODES = [4401, 4403, 4404, 4409];
  var CLOSE_RATE_LIMITED = 4429;     // closed for flooding: come back after the last retry_after_ms
  var CLOSE_BUSY = 4503;  // the server too busy to open the connection: come back later

  var socket = null;
  var RETRY_BASE_MS = 500;
  var RETRY_CAP_MS = 10000;
  var failures = 0;                  // connections lost since the last state: the backoff's n
  var stopped = false;
  var nextSeq = 1;
  var journal = null;                // journal.js: where the changes wait for their ack
  var pending = {};                  // seq -> message not yet acknowledged (the journal holds each)
  var durable = {};                  // seq -> true: the journal has it, so it may be sent
  var savedItems = {};               // position -> true: a change of it was acknowledged here
  var replayBelow = null;            // last_seq of a state after which changes at or below it were replayed
  var items = [];
  var answers = {};                  // position -> response value (never null: cleared items are absent)
  var renderers = {};                // position -> ItemRenderer view
  var flags = {};                    // position -> true
  var rendered = false;
  var deadlineLocal = null;          // performance.now() at which time runs out, from the server's remaining_ms
  var status = null;
  var retryAfter = 0;                // ms the server last asked to wait (rate_limited)
  var busyRetryAfter = 0;            // ms the server asked to stay away before opening again (busy)
  var WINDOW = 50;                   // changes sent and not yet answered, at most
  var inFlight = {};                 // seq -> true: sent on this connection, no reply yet
  var paced = false;                 // after a rate_limited: one change out at a time until none waits
  var pacedTimer = null;
  var awaiting = null;               // a start or sync sent and not yet answered by a state
  var checkItems = false;            // the sitting shows feedback after each item the student checks
  var checked = {};                  // position -> feedback message of an item checked
  var checkWanted = {};              // position -> true: check once its answer is acknowledged
  var submitWanted = false;          // hand in as soon as every change is acknowledged
  var submitSent = false;
  // A ping costs one token of the server's rate limit: never more than one a second.
  var HEARTBEAT_MS = Math.max(1000, Number(config.heartbeatMs) || 10000);
  var DEAD_AFTER_MS = Math.max(HEARTBEAT_MS + 1000, Number(config.deadAfterMs) || 25000);
  var lastHeard = 0;                 // performance.now() of the last frame from the server (or of connecting)
  var lastSent = 0;                  // performance.now() of the last frame sent
  var reconnectTimer = null;
  var current = null;                // position of the question the student is at (the palette marks it)
  var pinned = null;                 // a question chosen (jumped to, focused): current while in view
  // Delivery by sections (docs/protocol.md): the server says which section is current, which
  // items it sends (only those of the sections open now), the clocks, and refuses the rest.
  var sections = [];                 // the state's sections: label, items, navigation, state
  var sectionIndex = null;           // the current section (during a break: the one just left)
  var itemReached = null;            // a linear section: the one question that takes answers
  var onBreak = false;
  var sectionLocal = null;           // performance.now() at which the section's time runs out
  var breakLocal = null;             // performance.now() at which the break ends
  var renderedKey = "";              // the positions rendered: drawn again when they change
  var reviewMode = "submit";         // the review panel before submitting, or before the next section
  var nextItemWanted = false;        // move on once every change is acknowledged
  var nextSectionWanted = false;
  var largeTextApplied = false;

  // The sealed form (docs/protocol.md, "the sealed form"): a page waiting for the start may
  // hold its questions encrypted, and the start brings only the key. Web Crypto exists on pages
  // served over HTTPS (or from localhost) only: elsewhere the page does not ask for it, and
  // the start brings the questions themselves.
  var SEAL = window.isSecureContext && window.crypto && window.crypto.subtle ? "aes-gcm" : null;
  var sealed = null;                 // the waiting state's sealed form
  var unsealing = null;              // messages that arrived while the key opens the form

  var el = function (id) { return document.getElementById(id); };

  // A change acknowledged or refused by the server: no longer waiting.
  function forget(seq) {
    delete pending[seq];
    delete durable[seq];
    journal.remove([Number(seq)]);
    updateSaved();
  }

  function forgetAll() {
    pending = {};
    durable = {};
    if (journal) journal.clear();
    updateSaved();
  }

  // Nowhere to keep a change but this page (no IndexedDB, no localStorage): say so.
  function onJournalMode(mode) {
    el("journal-warning").textContent = mode === "memory" ? text.journalLost : "";
    el("journal-warning").hidden = mode !== "memory";
  }

  function pendingCount() { return Object.keys(pending).length; }

  function updateSaved() {
    el("saved").textContent = pendingCount() ? text.saving : (status === "in_progress" ? text.saved : "");
    el("saved").dataset.pending = String(pendingCount());
    paintSaveStates();
  }

  function setConnection(state) {
    var conn = el("connection");
    // Once handed in, the closed connection is the end of the exam, not a fault.
    if (state === "closed" && status === "submitted") state = "done";
    conn.className = "conn conn-" + state;
    conn.dataset.state = state;
    conn.textContent = state === "open" ? text.connected
      : state === "connecting" ? text.connecting
      : state === "done" ? text.submittedState
      : text.offline;
  }

  // A message from the proctor or the board stays until the next one: it is not an error.
  function proctorMessage(message) {
    var at = new Date(message.at);
    var time = isNaN(at) ? "" : at.toLocaleTimeString(document.documentElement.lang || undefined,
      { hour: "2-digit", minute: "2-digit" });
    el("proctor-message-from").textContent = text.fromProctor
      .replace("%(sender)s", message.from).replace("%(time)s", time);
    el("proctor-message-text").textContent = message.text;
    el("proctor-message").hidden = false;
  }

  function notice(message) {
    var box = el("notice");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function connect() {
    reconnectTimer = null;
    if (stopped) return;
    setConnection("connecting");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + config.wsPath + (SEAL ? "?seal=" + SEAL : ""));
    lastHeard = lastSent = window.performance.now();
    socket.onopen = function () {
      lastHeard = window.performance.now();
      setConnection("open");
    };
    socket.onmessage = function (event) {
      lastHeard = window.performance.now();
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (unsealing) { unsealing.push(message); return; }   // in order, once the form is open
      handle(message);
    };
    socket.onclose = function (event) { lost(event.code); };
  }

  function lost(code) {
    socket = null;
    inFlight = {};
    submitSent = false;
    if (stopped || FINAL_CLOSE_CODES.indexOf(code) !== -1) {
      stopped = true;
      setConnection("closed");
      return;
    }
    setConnection("offline");
    var delay = backoff(failures);
    failures += 1;
    if (code === CLOSE_RATE_LIMITED) delay = Math.max(retryAfter + Math.random() * 500, delay);
    // Too busy: come back after the wait asked, spread over as long again so that a crowd
    // refused together does not return together.
    if (code === CLOSE_BUSY) delay = Math.max(busyRetryAfter * (1 + Math.random()), delay);
    reconnectTimer = window.setTimeout(connect, delay);
  }

  // Full jitter: anywhere between the base and the exponential ceiling of this failure.
  function backoff(n) {
    var ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, Math.min(n, 20)));
    return RETRY_BASE_MS + Math.random() * (ceiling - RETRY_BASE_MS);
  }

  // The heartbeat. A connection lost without a word (a network gone, a server hung) would
  // show "connected" for minutes: silence longer than DEAD_AFTER_MS ends it here. Silence
  // counts only while something sent waits for its reply (every frame gets one) or the
  // socket is not open yet: a hidden tab's timers may run once a minute, and a quiet minute
  // there is not a dead connection. Its close handshake cannot finish, so it is not waited
  // for: its handlers go, and a new one opens.
  function heartbeat() {
    if (!socket || stopped) return;
    var now = window.performance.now();
    var waiting = pacedTimer !== null;   // told to wait (rate limit): quiet is expected, pings refused
    var asked = socket.readyState !== WebSocket.OPEN || lastSent > lastHeard;
    if (asked && now - lastHeard > DEAD_AFTER_MS + (waiting ? retryAfter : 0)) {
      var dead = socket;
      dead.onopen = dead.onmessage = dead.onclose = null;
      try { dead.close(); } catch (e) { /* already closing */ }
      lost(null);
      return;
    }
    if (!waiting && now - lastSent >= HEARTBEAT_MS) send({ type: "ping" });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      lastSent = window.performance.now();
    }
  }
  window.ExamSocket = { send: send, running: function () { return status === "in_progress" && !!socket && socket.readyState === WebSocket.OPEN; } };  // integrity.js

  function request(type, fields) {   // start or sync: answered by a state
    awaiting = { type: type };
    Object.keys(fields || {}).forEach(function (name) { awaiting[name] = fields[name]; });
    send(awaiting);
  }

  // A sitting with an access code: the start carries what the student typed; only the server
  // knows the code. A refused start keeps the intro, so the student can type it again.
  var accessCode = el("access-code");
  var startRefused = false;          // the notice shows why the last start was refused

  function start() {
    request("start", accessCode ? { access_code: accessCode.value.trim() } : null);
  }

  function pendingSeqs() {
    return Object.keys(pending).map(Number).sort(function (a, b) { return a - b; });
  }

  // Send waiting changes in seq order while fewer than the window are out without a reply.
  function pump() {
    if (pacedTimer !== null || !socket || socket.readyState !== WebSocket.OPEN) return;
    var seqs = pendingSeqs();
    var out = Object.keys(inFlight).length;
    var limit = paced ? 1 : WINDOW;
    for (var i = 0; i < seqs.length && out < limit; i++) {
      if (!inFlight[seqs[i]] && durable[seqs[i]]) {   // written to the journal first
        inFlight[seqs[i]] = true;
        out += 1;
        send(pending[seqs[i]]);
      }
    }
    if (paced && !seqs.length) {
      paced = false;
      if (awaiting) send(awaiting);
    }
    maybeSubmit();
  }

  function replied(seq) {    // an ack or an error for this change arrived
    delete inFlight[seq];
    pump();
    resyncAfterReplay();
  }

  // Changes replayed at or below the state's last_seq may have met newer ones of the same
  // items on the server (another computer): once they are all answered, the server's view
  // is fetched again.
  function resyncAfterReplay() {
    if (replayBelow === null) return;
    var limit = replayBelow;
    if (pendingSeqs().some(function (seq) { return seq <= limit; })) return;
    replayBelow = null;
    if (!awaiting) request("sync");
  }

  function onRateLimited(message) {
    // Not read by the server, so not stored: wait as told, then send again what is waiting.
    retryAfter = typeof message.retry_after_ms === "number" ? message.retry_after_ms : 1000;
    paced = true;
    inFlight = {};               // which one was refused is not said: all that wait go again
    submitSent = false;
    if (pacedTimer !== null) window.clearTimeout(pacedTimer);
    pacedTimer = window.setTimeout(function () {
      pacedTimer = null;
      pump();
    }, retryAfter + Math.random() * 100);
  }

  function maybeSubmit() {
    if (submitWanted && !submitSent && !pendingCount() && !paced) {
      submitSent = true;
      send({ type: "submit" });
    }
  }

  function handle(message) {
    switch (message.type) {
      case "state": return onState(message);
      case "ack":
        if (pending[message.seq]) savedItems[pending[message.seq].item] = true;
        else if (typeof message.item === "number") savedItems[message.item] = true;
        forget(message.seq);
        setRemaining(message.remaining_ms);
        replied(message.seq);
        sendWantedChecks();
        maybeMoveOn();
        return;
      case "progress": return onProgress(message);
      case "feedback":
        checked[message.item] = message;
        delete checkWanted[message.item];
        paintChecks();
        return;
      case "time":
        // While paused, the push is a chance to learn whether the proctor resumed.
        if (status === "paused") { if (!awaiting) request("sync"); return; }
        setSectionClocks(message);
        return setRemaining(message.remaining_ms);
      case "submitted": return finish(message.reason);
      case "taken_over":
        stopped = true;
        closeReview();
        notice(text.takenOver);
        el("paper").hidden = true;
        el("intro").hidden = true;
        return;
      case "error": return onError(message);
      case "pong": return;           // heard: the heartbeat has what it needs
      case "notice": return proctorMessage(message);
    }
  }

  function fromBase64(encoded) {
    var raw = window.atob(encoded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  // The start of a page holding its sealed form: open it with the key, then take the state
  // with its questions. A form that does not open is asked for again (the server then sends
  // the questions themselves); what arrived meanwhile is handled after, in order.
  function unseal(state) {
    var seal = sealed;
    sealed = null;
    unsealing = [];
    function done(opened) {
      var held = unsealing;
      unsealing = null;
      if (opened) {
        state.items = opened;
        onState(state);
      } else {
        request("sync");
      }
      held.forEach(handle);
    }
    if (!seal) return done(null);
    window.crypto.subtle.importKey("raw", fromBase64(state.unseal), "AES-GCM", false, ["decrypt"])
      .then(function (key) {
        return window.crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(seal.iv) }, key, fromBase64(seal.data));
      })
      .then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); })
      .then(null, function () { return null; })
      .then(done);
  }

  function onState(state) {
    if (state.sealed) sealed = state.sealed;
    if (state.unseal && !state.items) return unseal(state);
    status = state.status;
    awaiting = null;
    failures = 0;                  // connected and answered: the backoff starts again
    if (state.status === "scheduled" || state.status === "checked_in") {
      el("intro").hidden = false;
      el("paper").hidden = true;
      return;
    }
    if (state.status !== "in_progress" && state.status !== "paused") {
      forgetAll();
      return finish(state.submit_reason);
    }
    el("intro").hidden = true;
    el("paper").hidden = false;
    if (startRefused) {
      startRefused = false;
      notice("");
    }
    items = state.items;
    var key = items.map(function (item) { return item.item; }).join(",");
    if (key !== renderedKey) {     // another section: its questions are drawn afresh
      rendered = false;
      renderedKey = key;
      current = pinned = null;
    }
    applySections(state);
    checkItems = !!(state.attempt && state.attempt.sitting && state.attempt.sitting.check_items);
    checked = state.checked || {};
    answers = {};
    Object.keys(state.answers).forEach(function (k) { answers[k] = state.answers[k]; });
    flags = {};
    state.flags.forEach(function (p) { flags[p] = true; });
    // Changes not yet acknowledged win over the server's copy, and are sent again.
    var seqs = pendingSeqs();
    seqs.forEach(function (seq) {
      var m = pending[seq];
      if (m.type === "answer") {
        if (m.value === null) { delete answers[m.item]; } else { answers[m.item] = m.value; }
      } else if (m.type === "flag") {
        if (m.flagged) { flags[m.item] = true; } else { delete flags[m.item]; }
      }
    });
    // Never a number used before: not the server's, not one the journal holds, not one this
    // page sent (a replaced change may still be on its way).
    nextSeq = Math.max(nextSeq, state.last_seq + 1, seqs.length ? seqs[seqs.length - 1] + 1 : 0);
    replayBelow = seqs.length && seqs[0] <= state.last_seq ? state.last_seq : null;
    render();
    paintChecks();
    if (state.status === "paused") showPaused(true, state.remaining_ms);
    else { showPaused(false); setRemaining(state.remaining_ms); }
    pump();                      // after a reconnect: everything waiting (in flight is empty)
    // Typing not yet sent is newer than anything above: it becomes a change now, then the
    // items are repainted from what the page holds.
    flushAll();
    paintValues();
    updateSaved();
    maybeSubmit();
  }

  /* --- sections: the current one, its clock, the break, moving on --- */

  function currentSection() {
    return sectionIndex !== null && sections[sectionIndex] ? sections[sectionIndex] : null;
  }

  function setSectionClocks(message) {
    var now = window.performance.now();
    sectionLocal = typeof message.section_remaining_ms === "number" ? now + message.section_remaining_ms : null;
    breakLocal = typeof message.break_remaining_ms === "number" ? now + message.break_remaining_ms : null;
  }

  function applySections(state) {
    sections = state.sections || [];
    sectionIndex = state.section === undefined ? null : state.section;
    itemReached = state.item_reached === undefined ? null : state.item_reached;
    onBreak = !!state.on_break;
    setSectionClocks(state);
    if (state.large_text && !largeTextApplied) {   // an accommodation: the page opens in large text
      largeTextApplied = true;
      if (display.size < 1) changeDisplay("size", 1);
    }
    var section = currentSection();
    var bar = el("section-bar");
    bar.hidden = !sections.length;
    if (section) {
      el("section-name").textContent = B_format(text.sectionOf,
        { number: sectionIndex + 1, count: sections.length, label: section.label });
    }
    el("section-clock-box").hidden = !(section && section.time_limit_seconds && !onBreak);
    el("break").hidden = !onBreak || status !== "in_progress";
    el("end-break").disabled = false;
    if (onBreak) el("paper").hidden = true;
    var last = !sections.length || sectionIndex >= sections.length - 1;
    el("next-section").hidden = !sections.length || last || onBreak;
    el("submit").hidden = !last;
    var hint = el("section-hint");
    hint.hidden = !section || section.navigation === "free";
    if (section) hint.textContent = section.navigation === "linear" ? text.linearHint : text.noReturnHint;
    tick();
  }

  function B_format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (all, name) { return values[name] !== undefined ? String(values[name]) : all; });
  }

  // A linear section shows its one current question; the others are out of reach.
  function paintSection() {
    var section = currentSection();
    var linear = !!(section && section.navigation === "linear" && itemReached !== null && !onBreak);
    items.forEach(function (item) {
      var li = el("item-" + item.item);
      var jump = el("palette").querySelector('[data-item="' + item.item + '"]');
      var hidden = linear && section.items.indexOf(item.item) !== -1 && item.item !== itemReached;
      if (li) li.hidden = hidden;
      if (jump) jump.hidden = hidden;
    });
    var atEnd = linear && section.items.indexOf(itemReached) === section.items.length - 1;
    el("next-item").hidden = !linear || atEnd;
    if (linear && current !== itemReached) { current = itemReached; pinned = null; }
  }

  function onProgress(message) {
    if (message.status !== "in_progress" && message.status !== "paused") { if (!awaiting) request("sync"); return; }
    if (message.section !== sectionIndex || !!message.on_break !== onBreak) {
      if (!awaiting) request("sync");  // another section: its questions come with the state
      return;
    }
    applySections(message);
    if (typeof message.remaining_ms === "number") setRemaining(message.remaining_ms);
    paint();
  }

  // Moving on waits for every change to be acknowledged: what was typed is saved first.
  function maybeMoveOn() {
    if (pendingCount() || paced) return;
    if (nextItemWanted) { nextItemWanted = false; send({ type: "next_item" }); }
    if (nextSectionWanted) { nextSectionWanted = false; send({ type: "next_section" }); }
  }

  function onError(message) {
    if (message.code === "rate_limited") return onRateLimited(message);
    if (message.code === "check_not_allowed") {  // nothing was changed: say why
      checkWanted = {};
      notice(message.message);
      return;
    }
    if (message.code === "server_error" && message.seq !== undefined && pending[message.seq]) {
      // Not stored, not lost: send it again shortly (unless a newer change replaced it).
      var seq = message.seq;
      window.setTimeout(function () {
        delete inFlight[seq];
        pump();
      }, 1000);
      return;
    }
    if (message.seq !== undefined) {
      forget(message.seq);
      replied(message.seq);
      if (message.code === "seq_conflict") {
        // A replayed change whose number another computer used meanwhile for another change:
        // never stored, and older than what the student saw there. The server's view is
        // fetched again, without alarming the student.
        if (!awaiting) request("sync");
        return;
      }
    } else {
      awaiting = null;           // a start, sync or submit was answered with this error
      if (submitWanted) closeReview();   // the notice below says why it was not handed in
      submitWanted = false;
      submitSent = false;
    }
    if (message.code === "superseded") {
      stopped = true;
      closeReview();
      notice(text.takenOver);
      return;
    }
    if (message.code === "logged_out" || message.code === "not_authenticated") {
      // The session ended (logout in another tab, idle time): close 4401 follows. Answers not
      // yet acknowledged stay in this browser and go out after the student logs in again.
      stopped = true;
      notice(message.message);
      return;
    }
    if (message.code === "busy") {  // close 4503 follows: back off, come back when told
      busyRetryAfter = typeof message.retry_after_ms === "number" ? message.retry_after_ms : 0;
      return notice(message.message);
    }
    if (message.code === "access_code" || message.code === "sitting_not_open") {
      startRefused = true;
      notice(message.message);
      if (accessCode && message.code === "access_code") {
        accessCode.focus();
        accessCode.select();
      }
      return;
    }
    notice(text.error + " (" + message.code + "): " + message.message);
    if (message.seq !== undefined) request("sync");
  }

  function finish(reason) {
    status = "submitted";
    stopped = true;
    deadlineLocal = null;
    closeReview();
    forgetAll();
    el("intro").hidden = true;
    el("paper").hidden = true;
    el("break").hidden = true;
    el("done").hidden = false;
    el("done-reason").textContent = text["reason_" + reason] || "";
    el("time-warning").textContent = "";
    el("paused").hidden = true;
    var total = items ? items.length : 0;
    var count = items ? items.filter(function (item) { return answered(item.item); }).length : 0;
    var when = new Date().toLocaleTimeString(document.documentElement.lang || undefined);
    el("receipt").textContent = text.receipt
      .replace("%(time)s", when).replace("%(answered)s", String(count)).replace("%(total)s", String(total));
    el("timer").textContent = "00:00";
    setConnection("done");
    updateSaved();
    if (socket) socket.close(1000);
  }

  function setRemaining(ms) {
    if (typeof ms === "number") deadlineLocal = window.performance.now() + ms;
    tick();
  }

  // Spoken and shown once each when the time left falls below them (not on opening a page
  // that already has less: the timer says so).
  var WARNINGS = [[600, "warn10"], [300, "warn5"]];
  var lastLeft = null;

  function showTime(left) {
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    el("timer").textContent = (minutes < 10 ? "0" : "") + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    el("timer").classList.toggle("low", left <= 300);
  }

  function clock(local) {
    var left = Math.max(0, Math.round((local - window.performance.now()) / 1000));
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    return (minutes < 10 ? "0" : "") + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function tick() {
    if (status === "in_progress") {
      if (sectionLocal !== null) el("section-timer").textContent = clock(sectionLocal);
      if (breakLocal !== null) el("break-timer").textContent = clock(breakLocal);
    }
    if (deadlineLocal === null) return;
    var left = Math.max(0, Math.round((deadlineLocal - window.performance.now()) / 1000));
    showTime(left);
    if (lastLeft !== null) {
      WARNINGS.forEach(function (warning) {
        if (lastLeft > warning[0] && left <= warning[0]) el("time-warning").textContent = text[warning[1]];
      });
    }
    lastLeft = left;
  }

  // A paused attempt: its clock stands still on the server, and the page says so.
  function showPaused(paused, remainingMs) {
    el("paused").hidden = !paused;
    el("timer").classList.toggle("paused", paused);
    if (!paused) return;
    deadlineLocal = null;
    lastLeft = null;
    if (typeof remainingMs === "number") showTime(Math.round(remainingMs / 1000));
  }

  function change(message) {
    // A newer change of the same item replaces one still waiting: the newest sequence wins
    // on the server anyway, and nothing is sent twice after a long time offline. The one
    // replaced may be on its way already: its number is never used again (nextSeq only
    // grows), so the server stores it or not, and the newer one wins either way.
    var replaced = [];
    Object.keys(pending).forEach(function (seq) {
      var old = pending[seq];
      if (old.type === message.type && old.item === message.item) {
        delete pending[seq];
        delete durable[seq];
        replaced.push(Number(seq));
      }
    });
    message.seq = nextSeq++;
    pending[message.seq] = message;
    updateSaved();
    // Sent once the journal holds it (and the replaced ones are gone from it, in the same write).
    journal.write(message, replaced, function () {
      if (!pending[message.seq]) return;
      durable[message.seq] = true;
      pump();
    });
  }

  function answered(position) {
    return answers[position] !== undefined && answers[position] !== null;
  }

  // A shared stimulus is shown in full with its first item and folded with the others.
  var stimuliShown = {};
  function stimulusSeen(item) {
    if (!item.stimulus || item.stimulus.id === undefined || item.stimulus.id === null) return false;
    var seen = !!stimuliShown[item.stimulus.id];
    stimuliShown[item.stimulus.id] = true;
    return seen;
  }

  function flushAll() {
    Object.keys(renderers).forEach(function (position) { renderers[position].flush(); });
  }

  function paintValues() {
    items.forEach(function (item) {
      var view = renderers[item.item];
      if (view) view.setValue(answered(item.item) ? answers[item.item] : null);
    });
    paint();
  }

  /* --- feedback after each item (the sitting's policy): check, then the answer is fixed --- */

  function pendingFor(position) {
    return Object.keys(pending).some(function (seq) { return pending[seq].item === position; });
  }

  function askCheck(position) {
    if (checked[position]) return;
    flushAll();                        // typing not yet sent becomes a change first
    if (!answered(position)) { notice(text.checkAnswerFirst); return; }
    checkWanted[position] = true;
    sendWantedChecks();
  }

  // A check goes once the item's answer is acknowledged, so the server scores what was saved.
  function sendWantedChecks() {
    Object.keys(checkWanted).forEach(function (key) {
      var position = Number(key);
      if (checkWanted[key] === "sent" || pendingFor(position)) return;
      checkWanted[key] = "sent";
      send({ type: "check", item: position });
    });
  }

  function describe(item, value) {
    // A correct response in the shown ids, as the student reads it: option letters, Đ/S, text.
    if (value === null || value === undefined) return "";
    var letters = "ABCDEFGHIJ";
    var options = item.options || [];
    function letter(id) {
      for (var i = 0; i < options.length; i++) if (options[i].id === id) return letters[i];
      return id;
    }
    if (typeof value === "string") return options.length ? letter(value) : value;
    if (Array.isArray(value)) return value.map(letter).join(", ");
    var statements = item.statements || [];
    if (statements.length) {
      return statements.map(function (s, i) {
        return String.fromCharCode(97 + i) + ") " + (value[s.id] ? text.trueShort : text.falseShort);
      }).join("  ");
    }
    return Object.keys(value).map(function (k) { return value[k]; }).join(", ");
  }

  function paintChecks() {
    if (!checkItems) return;
    items.forEach(function (item) {
      var feedback = checked[item.item];
      var box = document.querySelector('[data-feedback="' + item.item + '"]');
      var button = document.querySelector('[data-check="' + item.item + '"]');
      if (!box) return;
      if (!feedback) {
        box.hidden = true;
        if (button) button.disabled = !!checkWanted[item.item];
        return;
      }
      if (button) button.parentNode.removeChild(button);
      var li = el("item-" + item.item);
      li.classList.add("checked");
      Array.prototype.forEach.call(li.querySelectorAll(".item-content input, .item-content select, .item-content textarea, .item-content button, .clear"), function (control) {
        control.disabled = true;
      });
      box.hidden = false;
      box.className = "item-feedback feedback-" + feedback.status;
      box.textContent = "";
      var head = document.createElement("p");
      head.className = "feedback-status";
      head.textContent = (text["fb_" + feedback.status] || feedback.status) +
        (feedback.score !== null ? " · " + feedback.score + "/" + feedback.max_points : "");
      box.appendChild(head);
      if (feedback.correct !== undefined && feedback.correct !== null) {
        var right = document.createElement("p");
        right.textContent = text.correctAnswer + ": " + describe(item, feedback.correct);
        box.appendChild(right);
      }
      if (feedback.explanation_html) {
        var why = document.createElement("div");
        why.className = "feedback-explanation";
        why.innerHTML = feedback.explanation_html;  // rendered and sanitised on the server
        box.appendChild(why);
      }
    });
  }

  function render() {
    var list = el("items");
    var palette = el("palette");
    if (!rendered) {
      list.innerHTML = "";
      palette.innerHTML = "";
      renderers = {};
      stimuliShown = {};
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "item";
        li.id = "item-" + item.item;
        li.dataset.item = item.item;
        li.tabIndex = -1;                // a target for the skip link and the review's "go to"
        var head = document.createElement("div");
        head.className = "item-head";
        var name = document.createElement("span");
        name.className = "item-name";
        var title = document.createElement("strong");
        title.textContent = text.question + " " + item.item;
        name.appendChild(title);
        var saveState = document.createElement("span");   // "Not saved yet" / "Saved": paintSaveStates
        saveState.className = "save-state";
        saveState.dataset.saveState = item.item;
        name.appendChild(saveState);
        head.appendChild(name);
        var flag = document.createElement("label");
        flag.className = "flag";
        var flagBox = document.createElement("input");
        flagBox.type = "checkbox";
        flagBox.dataset.flag = item.item;
        flagBox.addEventListener("change", function () {
          if (flagBox.checked) { flags[item.item] = true; } else { delete flags[item.item]; }
          change({ type: "flag", item: item.item, flagged: flagBox.checked });
          paint();
        });
        flag.appendChild(flagBox);
        flag.appendChild(document.createTextNode(" " + text.flag));
        head.appendChild(flag);
        li.appendChild(head);
        var body = document.createElement("div");
        body.className = "item-content";
        li.appendChild(body);
        renderers[item.item] = window.ItemRenderer.render(body, item, {
          value: answered(item.item) ? answers[item.item] : null,
          text: text.items,
          collapseStimulus: stimulusSeen(item),
          onChange: function (value) {
            if (value === null || value === undefined) { delete answers[item.item]; } else { answers[item.item] = value; }
            change({ type: "answer", item: item.item, value: value === undefined ? null : value });
            paint();
          }
        });
        var clear = document.createElement("button");
        clear.type = "button";
        clear.className = "link clear";
        clear.textContent = text.clear;
        clear.addEventListener("click", function () {
          renderers[item.item].setValue(null);  // also drops typing not yet sent
          if (!answered(item.item)) return;
          delete answers[item.item];
          change({ type: "answer", item: item.item, value: null });
          paint();
        });
        li.appendChild(clear);
        if (checkItems) {
          var check = document.createElement("button");
          check.type = "button";
          check.className = "secondary check-item";
          check.dataset.check = item.item;
          check.textContent = text.check;
          check.addEventListener("click", function () { askCheck(item.item); });
          li.appendChild(check);
          var box = document.createElement("div");
          box.className = "item-feedback";
          box.dataset.feedback = item.item;
          box.setAttribute("aria-live", "polite");
          box.hidden = true;
          li.appendChild(box);
        }
        list.appendChild(li);
        var jump = document.createElement("a");
        jump.href = "#item-" + item.item;
        jump.textContent = item.item;
        jump.dataset.item = item.item;
        var saveMark = document.createElement("span");   // drawn while a change waits (CSS)
        saveMark.className = "save-mark";
        saveMark.setAttribute("aria-hidden", "true");
        jump.appendChild(saveMark);
        jump.addEventListener("click", function () { choose(item.item); });
        palette.appendChild(jump);
      });
      rendered = true;
    }
    paint();
  }

  // A question's state in words: "answered, flagged, not saved yet".
  function stateWords(position) {
    var words = [answered(position) ? text.stateAnswered : text.stateUnanswered];
    if (flags[position]) words.push(text.stateFlagged);
    if (pendingFor(position)) words.push(text.stateUnsaved);
    return words.join(", ");
  }

  // Whether each question is saved, in the palette (a mark, and its name) and beside the
  // question: "Not saved yet" while a change of it waits for its ack; "Saved" once the
  // server holds what it shows (an answer or a flag, or a change acknowledged here).
  function paintSaveStates() {
    var palette = el("palette");
    items.forEach(function (item) {
      var position = item.item;
      var jump = palette.querySelector('[data-item="' + position + '"]');
      var mark = document.querySelector('[data-save-state="' + position + '"]');
      if (!jump || !mark) return;
      var waiting = pendingFor(position);
      var saved = !waiting && !!(savedItems[position] || answered(position) || flags[position]);
      jump.classList.toggle("unsaved", waiting);
      jump.setAttribute("aria-label", text.question + " " + position + ", " + stateWords(position));
      var state = waiting ? "unsaved" : saved ? "saved" : "none";
      if (mark.dataset.state === state) return;
      mark.dataset.state = state;
      mark.textContent = waiting ? text.itemUnsaved : saved ? text.itemSaved : "";
    });
    if (review.open) fillReview();
  }

  function paint() {
    paintSection();
    if (current === null && items.length) current = items[0].item;
    items.forEach(function (item) {
      var li = el("item-" + item.item);
      li.querySelector("input[data-flag]").checked = !!flags[item.item];
      var jump = el("palette").querySelector('[data-item="' + item.item + '"]');
      var classes = [];
      if (answered(item.item)) classes.push("answered");
      if (flags[item.item]) classes.push("flagged");
      if (item.item === current) classes.push("current");
      jump.className = classes.join(" ");
      if (item.item === current) jump.setAttribute("aria-current", "true");
      else jump.removeAttribute("aria-current");
    });
    paintSaveStates();
  }

  /* --- the question the student is at: the one chosen while it is in view, else the one
     reaching a third down the screen --- */

  function inView(position) {
    var li = el("item-" + position);
    if (!li) return false;
    var box = li.getBoundingClientRect();
    return box.bottom > headBottom() && box.top < window.innerHeight;
  }

  // Where the questions start to show: below the sticky head, and below the palette while it
  // sticks under it (or while it is on screen at the top of the paper).
  function headBottom() {
    var head = document.querySelector(".exam-head");
    var bottom = head ? head.getBoundingClientRect().bottom : 0;
    return Math.max(0, bottom, el("palette").getBoundingClientRect().bottom);
  }

  // The palette sticks under the head, whose height changes with the text size, the width
  // and the connection's message: measured, it places the palette and where a question
  // jumped to lands.
  function measureHead() {
    var exam = el("exam");
    exam.style.setProperty("--exam-head-height", document.querySelector(".exam-head").offsetHeight + "px");
    exam.style.setProperty("--exam-palette-height", el("palette").offsetHeight + "px");
  }

  function setCurrent(position) {
    if (position === current) return;
    current = position;
    paint();
  }

  function choose(position) {
    pinned = position;
    setCurrent(position);
  }

  var scrollQueued = false;
  function onScroll() {
    if (scrollQueued || !items.length || el("paper").hidden) return;
    scrollQueued = true;
    window.requestAnimationFrame(function () {
      scrollQueued = false;
      if (pinned !== null && inView(pinned)) return setCurrent(pinned);
      pinned = null;
      var top = headBottom();
      var line = top + (window.innerHeight - top) / 3;
      var found = items[0].item;
      items.forEach(function (item) {
        if (el("item-" + item.item).getBoundingClientRect().top <= line) found = item.item;
      });
      setCurrent(found);
    });
  }

  /* --- the review before handing in --- */

  var review = el("review");

  function fillReview() {
    var list = el("review-list");
    var count = { answered: 0, unanswered: 0, flagged: 0 };
    var focused = list.contains(document.activeElement) ? document.activeElement.dataset.item : null;
    list.textContent = "";
    var section = currentSection();
    var shown = reviewMode === "section" && section
      ? items.filter(function (item) { return section.items.indexOf(item.item) !== -1; })
      : items;
    shown.forEach(function (item) {
      var position = item.item;
      count[answered(position) ? "answered" : "unanswered"] += 1;
      if (flags[position]) count.flagged += 1;
      var li = document.createElement("li");
      var go = document.createElement("button");
      go.type = "button";
      go.className = "review-go" + (answered(position) ? " answered" : "") + (flags[position] ? " flagged" : "");
      go.dataset.item = position;
      var number = document.createElement("strong");
      number.textContent = text.question + " " + position;
      var state = document.createElement("span");
      state.className = "review-state";
      state.textContent = stateWords(position);
      go.appendChild(number);
      go.appendChild(document.createTextNode(" "));
      go.appendChild(state);
      var target = el("item-" + position);
      go.disabled = !!(target && target.hidden);   // a linear section's question left behind
      go.addEventListener("click", function () { goTo(position); });
      li.appendChild(go);
      list.appendChild(li);
      if (String(position) === focused) go.focus();   // filled again after a reconnect
    });
    el("review-answered").textContent = count.answered + "/" + shown.length;
    el("review-unanswered").textContent = String(count.unanswered);
    el("review-flagged").textContent = String(count.flagged);
    review.classList.toggle("has-unanswered", count.unanswered > 0);
    review.classList.toggle("has-flagged", count.flagged > 0);
  }

  function showSubmitting() {
    el("review-submit").disabled = submitWanted;
    el("review-status").textContent = submitWanted ? text.submitting : "";
  }

  function openReview(mode) {
    reviewMode = mode === "section" ? "section" : "submit";
    var forSection = reviewMode === "section";
    var section = currentSection();
    el("review-title").textContent = forSection ? text.reviewSection : reviewTitle;
    el("review-question").textContent = forSection
      ? (section && section.navigation === "free" && !section.time_limit_seconds ? text.leaveSectionFree : text.leaveSection)
      : reviewQuestion;
    el("review-submit").hidden = forSection;
    el("review-next-section").hidden = !forSection;
    flushAll();                      // typing not yet sent counts as answered
    fillReview();
    showSubmitting();
    if (!review.open) review.showModal();
    el("review-title").focus();
  }

  function closeReview() {
    if (review.open) review.close();
  }

  function goTo(position) {
    closeReview();
    var li = el("item-" + position);
    choose(position);
    li.focus({ preventScroll: true });
    li.scrollIntoView({ block: "start" });
  }

  /* --- text size and contrast, remembered by this browser for every exam --- */

  var DISPLAY_KEY = "exam:display";
  var TEXT_SIZES = ["", "text-size-1", "text-size-2"];

  function readDisplay() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(DISPLAY_KEY) || "{}");
      return {
        size: TEXT_SIZES[stored.size] !== undefined ? stored.size : 0,
        contrast: stored.contrast === true
      };
    } catch (e) {
      return { size: 0, contrast: false };
    }
  }

  function applyDisplay(display) {
    var exam = el("exam");
    TEXT_SIZES.forEach(function (name, i) { if (name) exam.classList.toggle(name, i === display.size); });
    exam.classList.toggle("high-contrast", display.contrast);
    Array.prototype.forEach.call(document.querySelectorAll("[data-text-size]"), function (button) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.textSize) === display.size));
    });
    el("contrast").setAttribute("aria-pressed", String(display.contrast));
  }

  var display = readDisplay();

  function changeDisplay(field, value) {
    display[field] = value;
    try {
      window.localStorage.setItem(DISPLAY_KEY, JSON.stringify(display));
    } catch (e) { /* storage disabled: it lasts as long as the page */ }
    applyDisplay(display);
  }

  function setUpDisplay() {
    applyDisplay(display);
    Array.prototype.forEach.call(document.querySelectorAll("[data-text-size]"), function (button) {
      button.addEventListener("click", function () { changeDisplay("size", Number(button.dataset.textSize)); });
    });
    el("contrast").addEventListener("click", function () {
      changeDisplay("contrast", !display.contrast);
    });
  }

  el("start").addEventListener("click", start);
  if (accessCode) {
    accessCode.addEventListener("keydown", function (event) { if (event.key === "Enter") start(); });
  }
  var reviewTitle = el("review-title").textContent;
  var reviewQuestion = el("review-question").textContent;
  el("submit").addEventListener("click", function () { openReview("submit"); });
  el("next-section").addEventListener("click", function () { openReview("section"); });
  el("review-next-section").addEventListener("click", function () {
    closeReview();
    nextSectionWanted = true;
    maybeMoveOn();
  });
  el("next-item").addEventListener("click", function () {
    flushAll();
    nextItemWanted = true;
    maybeMoveOn();
  });
  el("end-break").addEventListener("click", function () {
    el("end-break").disabled = true;
    request("end_break");
  });
  el("review-submit").addEventListener("click", function () {
    // Handed in once every change is acknowledged: answers still on their way are never
    // left behind by a submit the server reads first. The review stays open meanwhile.
    submitWanted = true;
    submitSent = false;
    showSubmitting();
    maybeSubmit();
  });
  el("review-back").addEventListener("click", function () {
    closeReview();
    el("submit").focus();
  });
  review.addEventListener("cancel", function (event) {
    if (submitWanted) event.preventDefault();   // handing in: Escape does not take it back
  });
  el("skip-link").addEventListener("click", function (event) {
    var target = !el("paper").hidden ? el("items").querySelector("li.item")
      : !el("intro").hidden ? (accessCode || el("start"))
      : null;
    if (!target) return;
    event.preventDefault();
    target.focus();
  });
  el("items").addEventListener("focusin", function (event) {
    var li = event.target.closest && event.target.closest("li.item");
    if (li) choose(Number(li.dataset.item));
  });
  window.addEventListener("scroll", onScroll, { passive: true });
  if (window.ResizeObserver) {
    var sizes = new window.ResizeObserver(measureHead);
    sizes.observe(document.querySelector(".exam-head"));
    sizes.observe(el("palette"));
  }
  window.addEventListener("online", function () {
    // The network is back: no need to wait out the backoff.
    if (reconnectTimer !== null && !socket) {
      window.clearTimeout(reconnectTimer);
      failures = 0;
      connect();
    }
  });
  // Typing still waiting for its debounce becomes a change before the page goes away, and
  // what the journal has not finished writing is copied where it is written at once, so a
  // reload sends it.
  window.addEventListener("pagehide", function () {
    if (!journal) return;
    flushAll();
    journal.backup();
  });
  window.setInterval(tick, 250);
  window.setInterval(heartbeat, Math.min(1000, HEARTBEAT_MS / 2));
  setUpDisplay();
  // Nothing is sent before the journal is read: what it holds goes first, with its own seqs.
  window.ExamJournal.open(config.attemptId, onJournalMode, function (opened, entries) {
    journal = opened;
    pending = entries;
    Object.keys(entries).forEach(function (seq) {
      durable[seq] = true;
      nextSeq = Math.max(nextSeq, Number(seq) + 1);
    });
    updateSaved();
    connect();
  });
})();
