/* A form or a test code, read-only, through the exam page's own renderer (items.js). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("preview-data").textContent);
  var list = document.getElementById("preview-items");
  data.forEach(function (item) {
    var li = document.createElement("li");
    li.className = "item";
    li.setAttribute("data-item", String(item.item));
    list.appendChild(li);
    window.ItemRenderer.render(li, item, { readOnly: true });
  });
})();
