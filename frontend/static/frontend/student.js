/* The student's dashboard (/exam/): "Try again" on an assignment that allows more attempts.
 *
 * The button POSTs /api/sittings/<id>/attempts/ (docs/protocol.md, section 4) with the CSRF
 * token; the answer is the new attempt's summary, whose exam page the browser then opens.
 * A refusal (the window closed, every attempt used) shows the server's message. The words
 * come translated from the server (#student-text, frontend/student_text.py).
 */
(function () {
  "use strict";

  var node = document.getElementById("student-text");
  var text = node ? JSON.parse(node.textContent) : {};
  var notice = document.getElementById("dashboard-notice");

  function t(key) {
    return Object.prototype.hasOwnProperty.call(text, key) ? text[key] : key;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function show(message, ok) {
    if (!notice) return;
    notice.textContent = message || "";
    notice.hidden = !message;
    notice.classList.toggle("notice-ok", !!ok);
    if (message) notice.scrollIntoView({ block: "nearest" });
  }

  function failure(status, data) {
    var error = data && data.error;
    if (error && error.message) return error.message;
    return status ? t("error") + " (" + status + ")" : t("networkError");
  }

  function tryAgain(button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    show(t("preparing"), true);
    window.fetch(button.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.json().then(
        function (data) { return { status: response.status, ok: response.ok, data: data }; },
        function () { return { status: response.status, ok: response.ok, data: null }; }
      );
    }, function () {
      return { status: 0, ok: false, data: null };
    }).then(function (result) {
      if (result.ok && result.data && typeof result.data.id === "number") {
        window.location.assign(button.getAttribute("data-exam-url") + result.data.id + "/");
        return;
      }
      button.disabled = false;
      button.removeAttribute("aria-busy");
      show(failure(result.status, result.data), false);
    });
  }

  document.querySelectorAll("button[data-action=try-again]").forEach(function (button) {
    button.addEventListener("click", function () { tryAgain(button); });
  });
})();
