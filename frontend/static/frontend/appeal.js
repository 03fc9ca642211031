/* A student's appeal of a published result (exam_review.html): POST /api/attempts/<id>/appeal/
 * {reason}; the page is read again to show it. The server checks ownership, the deadline and
 * that no appeal of the result is open; its message shows under the form. */
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("appeal-form");
    if (!form) return;
    var text = JSON.parse((document.getElementById("appeal-text") || {}).textContent || "{}");
    var error = document.getElementById("appeal-error");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

    function show(message) {
      error.textContent = message;
      error.hidden = !message;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show("");
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      window.fetch("/api/attempts/" + form.getAttribute("data-attempt") + "/appeal/", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ reason: form.elements.reason.value })
      }).then(function (response) {
        if (response.ok) { window.location.reload(); return; }
        return response.json().then(function (data) {
          var fields = (data && data.error && data.error.fields) || {};
          var messages = [];
          Object.keys(fields).forEach(function (name) { messages = messages.concat(fields[name]); });
          show(messages.join(" ") || (data && data.error && data.error.message) || text.error);
          button.disabled = false;
        }, function () { show(text.error); button.disabled = false; });
      }, function () { show(text.networkError); button.disabled = false; });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
