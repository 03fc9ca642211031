/* Behaviour every page shares, kept out of the HTML so that the Content-Security-Policy can
   refuse inline script and style attributes (config/settings.py):
   - the language menu changes the language as soon as a language is chosen;
   - an element with data-percent gets that height (the board's score histogram);
   - a button with data-print prints the page (login cards). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-percent]").forEach(function (node) {
    var percent = Number(node.getAttribute("data-percent"));
    if (isFinite(percent)) node.style.height = Math.max(0, Math.min(100, percent)) + "%";
  });
})();
