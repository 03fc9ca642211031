/* Phòng thi: the rooms one watches (GET /api/sitting-rooms/: a proctor the rooms they are named
 * for, the board every room of its sittings), each with a link to its console (console.js).
 * Words from #console-text, the addresses from #console-config.
 */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  var config = readJson("console-config");
  var text = readJson("console-text");
  var table = document.querySelector("[data-testid=rooms]");
  var body = document.getElementById("rooms-body");
  var state = document.getElementById("rooms-state");
  if (!table || !body) return;
  var headings = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
    return th.textContent.trim();
  });
  var lang = document.documentElement.lang || "vi";

  function t(key) { return Object.prototype.hasOwnProperty.call(text, key) ? text[key] : key; }

  function make(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  function part(iso, options) {
    var date = new Date(iso);
    try {
      return date.toLocaleString(lang, Object.assign({ hour12: false, timeZone: config.timeZone || undefined }, options));
    } catch (e) {
      return date.toLocaleString();
    }
  }

  /* "05/12/2026 07:30 – 09:00", the day said once when the window opens and closes on it. */
  function window_(opens, closes) {
    var day = { day: "2-digit", month: "2-digit", year: "numeric" };
    var time = { hour: "2-digit", minute: "2-digit" };
    var from = part(opens, day);
    var to = part(closes, day);
    return from + " " + part(opens, time) + " – " + (to === from ? "" : to + " ") + part(closes, time);
  }

  function row(room) {
    var tr = make("tr");
    tr.setAttribute("data-room", String(room.id));
    var link = make("a", "button", t("openConsole"));
    link.href = config.roomPageUrl.replace("{room}", encodeURIComponent(room.id));
    link.setAttribute("data-action", "console");
    var cells = [
      make("span", "strong", room.sitting_title),
      make("span", null, window_(room.opens_at, room.closes_at)),
      make("strong", null, room.room),
      make("span", null, room.school),
      link
    ];
    cells.forEach(function (content, n) {
      var td = tr.appendChild(make("td", n === cells.length - 1 ? "actions" : null));
      if (n < cells.length - 1) td.setAttribute("data-label", headings[n] || "");
      td.appendChild(content);
    });
    return tr;
  }

  window.fetch(config.listUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then(function (data) {
      var rooms = data.results || [];
      rooms.forEach(function (room) { body.appendChild(row(room)); });
      table.hidden = rooms.length === 0;
      state.textContent = rooms.length ? "" : t("noRooms");
      state.hidden = rooms.length > 0;
    })
    .catch(function () {
      state.textContent = t("networkError");
      state.className = "notice";
    });
})();
