/* The board's integrity thresholds of a sitting (board_integrity.html): read from and saved to
 * GET/PUT /api/sittings/<id>/integrity-policy/ (proctoring.integrity). Words come from the page. */
(function () {
  "use strict";

  var root = document.getElementById("integrity-policy");
  if (!root) return;
  var form = document.getElementById("integrity-form");
  var status = document.getElementById("integrity-status");
  var url = root.getAttribute("data-url");

  function call(method, body) {  // bank.js (loaded by the rooms section above): {ok, status, data}
    return window.Bank.api(method, url, body);
  }

  function inputs() { return Array.prototype.slice.call(form.querySelectorAll("input[name]")); }

  function show(values) {
    inputs().forEach(function (input) {
      if (values[input.name] !== undefined) input.value = String(values[input.name]);
      input.removeAttribute("aria-invalid");
    });
  }

  function say(message, isError) {
    status.textContent = message;
    status.className = isError ? "notice-error" : "notice-ok-text";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    inputs().forEach(function (input) {
      body[input.name] = input.value === "" ? null : Number(input.value);
    });
    say("", false);
    call("PUT", body).then(function (result) {
      if (result.ok) {
        show(result.data);
        say(root.getAttribute("data-saved"), false);
        return;
      }
      var error = result.data && result.data.error;
      var fields = (error && error.fields) || {};
      inputs().forEach(function (input) {
        if (fields[input.name]) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      });
      var first = Object.keys(fields)[0];
      var detail = first && fields[first] && fields[first][0] ? ": " + fields[first][0] : error && error.message ? ": " + error.message : "";
      say(root.getAttribute("data-failed") + detail, true);
    });
  });

  call("GET").then(function (result) { if (result.ok) show(result.data); });
})();
