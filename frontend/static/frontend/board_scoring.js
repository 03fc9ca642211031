/* Scoring the whole sitting, on the board's sitting page (board_scoring.html).
 *
 * POST /api/sittings/<id>/scoring-runs/ {"rescore": false|true} starts a run (201, the run; 409
 * scoring_running with the run under way); GET the same address lists the latest runs, the
 * newest first. While the newest is queued or running the page asks every two seconds and
 * moves its progress bar; when a run it followed ends, the page reloads to show the results
 * and the item analysis the server draws. The words come from the section's data-text-*
 * attributes (translated by the server).
 */
(function () {
  "use strict";

  var section = document.getElementById("sitting-scoring");
  var configNode = document.getElementById("scoring-config");
  if (!section || !configNode || !window.fetch) return;
  var config = JSON.parse(configNode.textContent);

  var notice = document.getElementById("scoring-notice");
  var latest = document.getElementById("scoring-latest");
  var statusNode = document.getElementById("scoring-status");
  var modeNode = document.getElementById("scoring-mode");
  var bar = document.getElementById("scoring-progress");
  var progressText = document.getElementById("scoring-progress-text");
  var buttons = [document.getElementById("scoring-start"), document.getElementById("scoring-rescore")];
  var POLL_MS = 2000;
  var following = false;

  function t(key) {
    return section.getAttribute("data-text-" + key) || "";
  }

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (all, name) {
      return values[name] !== undefined && values[name] !== null ? String(values[name]) : all;
    });
  }

  function csrfToken() {
    var input = section.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function request(method, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return window.fetch(config.url, options).then(function (response) {
      return response.json().then(
        function (data) { return { status: response.status, data: data }; },
        function () { return { status: response.status, data: null }; }
      );
    });
  }

  function say(message, good) {
    notice.textContent = message;
    notice.className = good ? "notice notice-ok" : "notice";
    notice.hidden = !message;
  }

  function active(run) {
    return run && (run.status === "queued" || run.status === "running");
  }

  function setBusy(busy) {
    buttons.forEach(function (button) { if (button) button.disabled = busy; });
  }

  function show(run) {
    latest.hidden = false;
    statusNode.textContent = t(run.status);
    modeNode.textContent = t("mode-" + run.mode);
    bar.max = Math.max(run.attempts.total, 1);
    bar.value = run.attempts.done;
    progressText.textContent = format(t("progress"), {
      done: run.attempts.done,
      total: run.attempts.total,
      chunks: run.chunks.done + run.chunks.failed,
      all: run.chunks.total
    });
  }

  function poll() {
    request("GET").then(function (answer) {
      var run = answer.data && answer.data.results && answer.data.results[0];
      if (answer.status !== 200 || !run) {
        window.setTimeout(poll, POLL_MS * 2);
        return;
      }
      show(run);
      if (active(run)) {
        following = true;
        setBusy(true);
        window.setTimeout(poll, POLL_MS);
      } else if (following) {
        say(t("finished"), true);
        window.location.reload();
      } else {
        setBusy(false);
      }
    }, function () {
      window.setTimeout(poll, POLL_MS * 2);
    });
  }

  function start(rescore) {
    setBusy(true);
    say("", true);
    request("POST", { rescore: rescore }).then(function (answer) {
      var error = answer.data && answer.data.error;
      if (answer.status === 201 || answer.status === 409) {
        var run = answer.status === 201 ? answer.data : answer.data.run;
        say(answer.status === 201 ? t("started") : error.message, answer.status === 201);
        show(run);
        following = true;
        if (active(run)) window.setTimeout(poll, POLL_MS);
        else poll();
        return;
      }
      setBusy(false);
      say(error && error.message ? error.message : t("error"), false);
    }, function () {
      setBusy(false);
      say(t("error"), false);
    });
  }

  if (buttons[0]) buttons[0].addEventListener("click", function () { start(false); });
  if (buttons[1]) buttons[1].addEventListener("click", function () { start(true); });
  if (config.active) {
    following = true;
    setBusy(true);
    window.setTimeout(poll, POLL_MS);
  }
})();
