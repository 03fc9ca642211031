/* The board's Safe Exam Browser requirement of a sitting (board_seb.html): read from and saved to
 * GET/PUT /api/sittings/<id>/seb/ (proctoring.seb_settings). Words come from the page. */
(function () {
  "use strict";

  var root = document.getElementById("seb-settings");
  if (!root) return;
  var form = document.getElementById("seb-form");
  var status = document.getElementById("seb-status");
  var required = document.getElementById("seb-required");
  var lists = {
    config_keys: document.getElementById("seb-config-keys"),
    browser_exam_keys: document.getElementById("seb-browser-keys")
  };
  var url = root.getAttribute("data-url");

  function call(method, body) {  // bank.js (loaded by the rooms section above): {ok, status, data}
    return window.Bank.api(method, url, body);
  }

  function show(values) {
    required.checked = !!values.required;
    Object.keys(lists).forEach(function (name) {
      lists[name].value = (values[name] || []).join("\n");
      lists[name].removeAttribute("aria-invalid");
    });
  }

  function say(message, isError) {
    status.textContent = message;
    status.className = isError ? "notice-error" : "notice-ok-text";
  }

  function keys(text) {
    return text.split(/[\s,;]+/).filter(function (key) { return key !== ""; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { required: required.checked };
    Object.keys(lists).forEach(function (name) { body[name] = keys(lists[name].value); });
    say("", false);
    call("PUT", body).then(function (result) {
      if (result.ok) {
        show(result.data);
        say(root.getAttribute("data-saved"), false);
        return;
      }
      var error = result.data && result.data.error;
      var fields = (error && error.fields) || {};
      Object.keys(lists).forEach(function (name) {
        if (fields[name]) lists[name].setAttribute("aria-invalid", "true");
        else lists[name].removeAttribute("aria-invalid");
      });
      var first = Object.keys(fields)[0];
      var detail = first && fields[first] && fields[first][0] ? ": " + fields[first][0] : error && error.message ? ": " + error.message : "";
      say(root.getAttribute("data-failed") + detail, true);
    });
  });

  // Nothing can be changed before the saved requirement is shown: a click made earlier would be
  // overwritten by it (and saved the other way round).
  var controls = form.querySelectorAll("input, textarea, button");
  function ready(on) {
    Array.prototype.forEach.call(controls, function (control) { control.disabled = !on; });
    root.setAttribute("data-state", on ? "ready" : "loading");
  }
  ready(false);
  call("GET").then(function (result) {
    if (result.ok) show(result.data);
    else say(root.getAttribute("data-failed"), true);
    ready(true);
  }, function () {
    say(root.getAttribute("data-failed"), true);
    ready(true);
  });
})();
