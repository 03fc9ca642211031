/* What the exam page notices for the proctors (docs/protocol.md, ``integrity``): the page left and
 * for how long (focus_loss, with duration_ms), full screen left, copy, paste, the context menu.
 * Sent over the exam's own websocket (exam.js: window.ExamSocket) while the attempt is under way;
 * the server counts them and its thresholds raise incidents (proctoring.integrity). A second
 * session or a new address the server sees itself: the page never says them.
 *
 * Nothing is shown to the candidate, nothing is blocked: a copy still copies. What the socket
 * could not carry (closed for a moment) waits in a short queue; a burst of one kind (a held
 * key, a script) is sent at most once a second.
 */
(function () {
  "use strict";

  var MAX_QUEUE = 30;
  var MIN_GAP_MS = 1000;
  var MAX_AWAY_MS = 6 * 3600 * 1000;  // assess.protocol.MAX_FOCUS_LOSS_MS
  var queue = [];
  var lastSent = {};
  var awaySince = null;
  var wasFullscreen = !!document.fullscreenElement;

  function socket() { return window.ExamSocket || null; }

  function running() {
    var s = socket();
    return !!s && s.running();
  }

  function flush() {
    while (queue.length && running()) socket().send(queue.shift());
  }

  function note(kind, extra) {
    var now = Date.now();
    if (kind !== "focus_loss" && lastSent[kind] && now - lastSent[kind] < MIN_GAP_MS) return;
    lastSent[kind] = now;
    var message = { type: "integrity", kind: kind };
    if (extra) Object.keys(extra).forEach(function (key) { message[key] = extra[key]; });
    if (queue.length >= MAX_QUEUE) queue.shift();
    queue.push(message);
    flush();
  }

  // The page left: another window, another tab, another program. Counted when it comes back,
  // with how long it was away; only what left while the attempt ran.
  function away() {
    if (awaySince === null && running()) awaySince = Date.now();
  }

  function back() {
    if (awaySince === null) return;
    var ms = Math.min(MAX_AWAY_MS, Math.max(0, Date.now() - awaySince));
    awaySince = null;
    note("focus_loss", { duration_ms: Math.round(ms) });
  }

  window.addEventListener("blur", away);
  window.addEventListener("focus", back);
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) away();
    else if (document.hasFocus()) back();
  });
  document.addEventListener("fullscreenchange", function () {
    var now = !!document.fullscreenElement;
    if (wasFullscreen && !now && running()) note("fullscreen_exit");
    wasFullscreen = now;
  });
  ["copy", "paste"].forEach(function (kind) {
    document.addEventListener(kind, function () { if (running()) note(kind); }, true);
  });
  document.addEventListener("contextmenu", function () { if (running()) note("context_menu"); }, true);
  window.setInterval(flush, 2000);
})();
