/* Computer rooms (/rooms/): the labs of the schools one oversees (GET /api/rooms/), and a form
 * that draws one: rows and columns, then a grid where each cell cycles
 * seat -> spare seat -> no seat (an aisle). Saved with POST /api/rooms/ or
 * PUT /api/rooms/<id>/ as the labels of the cells without a seat (`missing`) and of the spare
 * seats (`spares`); deleted with DELETE. The server's field errors show next to the fields.
 *
 * Labels follow proctoring.placement.seat_label: the row as letters from the front
 * (A, B, ..., Z, AA), then the seat's place in the row from the left of the map ("B3").
 */
(function () {
  "use strict";

  var B = window.Bank;
  var form = document.getElementById("room-form");
  if (!B || !form) return;
  var t = B.t;
  var make = B.make;
  var config = B.config;

  var body = document.getElementById("rooms-body");
  var table = body.parentNode;
  var pageNotice = document.getElementById("page-notice");
  var editor = document.getElementById("room-editor");
  var heading = document.getElementById("room-form-heading");
  var grid = document.getElementById("seat-grid");
  var counts = document.getElementById("seat-counts");
  var state = document.getElementById("room-state");
  var schoolSelect = form.elements.school || null;

  var SEAT = "seat";
  var SPARE = "spare";
  var MISSING = "missing";
  var NEXT = { seat: SPARE, spare: MISSING, missing: SEAT };
  var STATE_WORD = { seat: "stateSeat", spare: "stateSpare", missing: "stateMissing" };

  var rooms = [];
  var editing = null; // the room being edited, or null for a new one
  var cells = {}; // label -> SPARE | MISSING (a plain seat is not listed)
  var focusLabel = "A1";

  function seatLabel(row, column) {
    var letters = "";
    while (row) {
      var rest = (row - 1) % 26;
      letters = String.fromCharCode(65 + rest) + letters;
      row = Math.floor((row - 1) / 26);
    }
    return letters + column;
  }

  function size(name, max) {
    var value = parseInt(form.elements[name].value, 10);
    if (!isFinite(value) || value < 1) return 0;
    return Math.min(value, max);
  }

  function dims() {
    return { rows: size("rows", config.maxRows || 40), columns: size("columns", config.maxColumns || 40) };
  }

  function stateOf(label) {
    return cells[label] || SEAT;
  }

  /* --- the seat map editor -------------------------------------------------------------- */

  function paintCell(button) {
    var label = button.getAttribute("data-cell");
    var cellState = stateOf(label);
    button.setAttribute("data-state", cellState);
    button.className = "seat-cell state-" + cellState;
    button.setAttribute("aria-label", B.format(t("cellName"), { label: label, state: t(STATE_WORD[cellState]) }));
  }

  function showCounts() {
    var d = dims();
    var tally = { seat: 0, spare: 0, missing: 0 };
    for (var row = 1; row <= d.rows; row++) {
      for (var column = 1; column <= d.columns; column++) tally[stateOf(seatLabel(row, column))] += 1;
    }
    counts.textContent = B.format(t("mapCounts"), { capacity: tally.seat, spares: tally.spare, missing: tally.missing });
    counts.setAttribute("data-capacity", String(tally.seat));
  }

  function drawGrid() {
    var d = dims();
    B.clear(grid);
    grid.style.gridTemplateColumns = "repeat(" + Math.max(d.columns, 1) + ", var(--seat-cell))";
    var focusFound = false;
    for (var row = 1; row <= d.rows; row++) {
      for (var column = 1; column <= d.columns; column++) {
        var label = seatLabel(row, column);
        var button = make("button", null, label);
        button.type = "button";
        button.setAttribute("data-cell", label);
        button.setAttribute("data-row", String(row));
        button.setAttribute("data-column", String(column));
        button.tabIndex = -1;
        if (label === focusLabel) {
          button.tabIndex = 0;
          focusFound = true;
        }
        paintCell(button);
        grid.appendChild(button);
      }
    }
    if (!focusFound && grid.firstChild) {
      grid.firstChild.tabIndex = 0;
      focusLabel = grid.firstChild.getAttribute("data-cell");
    }
    showCounts();
  }

  grid.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-cell]") : null;
    if (!button) return;
    var label = button.getAttribute("data-cell");
    var next = NEXT[stateOf(label)];
    if (next === SEAT) delete cells[label];
    else cells[label] = next;
    paintCell(button);
    moveFocus(button);
    showCounts();
  });

  function moveFocus(button) {
    var current = grid.querySelector("button[tabindex='0']");
    if (current && current !== button) current.tabIndex = -1;
    button.tabIndex = 0;
    focusLabel = button.getAttribute("data-cell");
    if (document.activeElement !== button) button.focus();
  }

  // Arrow keys move between the cells (one tab stop for the whole map); Home and End go to
  // the row's ends.
  grid.addEventListener("keydown", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-cell]") : null;
    if (!button) return;
    var d = dims();
    var row = parseInt(button.getAttribute("data-row"), 10);
    var column = parseInt(button.getAttribute("data-column"), 10);
    var moves = {
      ArrowUp: [row - 1, column], ArrowDown: [row + 1, column],
      ArrowLeft: [row, column - 1], ArrowRight: [row, column + 1],
      Home: [row, 1], End: [row, d.columns]
    };
    var to = moves[event.key];
    if (!to) return;
    event.preventDefault();
    if (to[0] < 1 || to[0] > d.rows || to[1] < 1 || to[1] > d.columns) return;
    var target = grid.querySelector("button[data-cell='" + seatLabel(to[0], to[1]) + "']");
    if (target) moveFocus(target);
  });

  ["rows", "columns"].forEach(function (name) {
    form.elements[name].addEventListener("input", function () {
      if (size(name, 1000)) drawGrid();
    });
  });

  /* --- the form -------------------------------------------------------------------------- */

  function openForm(room) {
    editing = room || null;
    B.errors.clear(form);
    state.textContent = "";
    heading.textContent = room ? B.format(t("editRoom"), { name: room.name }) : t("addRoom");
    form.elements.name.value = room ? room.name : "";
    form.elements.rows.value = room ? room.rows : 5;
    form.elements.columns.value = room ? room.columns : 6;
    form.elements.proctors_needed.value = room ? room.proctors_needed : 2;
    form.elements.networks.value = room ? room.networks.join("\n") : "";
    cells = {};
    if (room) {
      room.missing.forEach(function (label) { cells[label] = MISSING; });
      room.spares.forEach(function (label) { cells[label] = SPARE; });
    }
    if (schoolSelect) {
      if (room) schoolSelect.value = String(room.school);
      // A room stays in its school: PUT does not move it.
      schoolSelect.disabled = !!room;
    }
    focusLabel = "A1";
    drawGrid();
    editor.hidden = false;
    editor.setAttribute("data-room", room ? String(room.id) : "");
    heading.focus();
  }

  function closeForm() {
    editor.hidden = true;
    editing = null;
  }

  function bodyOfForm() {
    var d = dims();
    var missing = [];
    var spares = [];
    for (var row = 1; row <= d.rows; row++) {
      for (var column = 1; column <= d.columns; column++) {
        var label = seatLabel(row, column);
        if (cells[label] === MISSING) missing.push(label);
        else if (cells[label] === SPARE) spares.push(label);
      }
    }
    function number(name) {
      var raw = form.elements[name].value.trim();
      var value = Number(raw);
      return raw !== "" && isFinite(value) ? value : raw;
    }
    var data = {
      name: form.elements.name.value,
      rows: number("rows"),
      columns: number("columns"),
      proctors_needed: number("proctors_needed"),
      networks: form.elements.networks.value.split(/\r?\n/).map(function (line) { return line.trim(); })
        .filter(function (line) { return line; }),
      missing: missing,
      spares: spares
    };
    if (schoolSelect && !editing) data.school = Number(schoolSelect.value);
    return data;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    B.errors.clear(form);
    var data = bodyOfForm();
    state.textContent = t("saving");
    var saveButton = document.getElementById("room-save");
    saveButton.disabled = true;
    var request = editing ? B.api("PUT", "/api/rooms/" + editing.id + "/", data) : B.api("POST", "/api/rooms/", data);
    request.then(function (result) {
      saveButton.disabled = false;
      if (!result.ok) {
        state.textContent = result.status === 400 ? t("fixErrors") : "";
        if (result.status === 400) B.errors.show(form, result.data);
        else B.errors.show(form, { error: { message: B.failure(result) } });
        var first = form.querySelector(".has-error input, .has-error textarea, .has-error select, [data-errors]:not([hidden])");
        if (first && first.focus) first.focus();
        return;
      }
      state.textContent = "";
      closeForm();
      B.notice(pageNotice, B.format(t("saved"), { name: result.data.name }), "ok");
      load(result.data.id);
    });
  });

  document.getElementById("room-cancel").addEventListener("click", function () {
    closeForm();
    document.getElementById("room-new").focus();
  });

  document.getElementById("room-new").addEventListener("click", function () {
    B.notice(pageNotice, "");
    openForm(null);
  });

  /* --- the list -------------------------------------------------------------------------- */

  function cell(row, key, content, className) {
    var td = make("td", className || null, content);
    if (key !== "actions") td.setAttribute("data-label", t(key));
    row.appendChild(td);
    return td;
  }

  function renderList(highlight) {
    B.clear(body);
    table.setAttribute("aria-busy", "false");
    if (!rooms.length) {
      var empty = make("tr");
      var td = make("td", "muted", t("noRooms"));
      td.colSpan = 7;
      empty.appendChild(td);
      body.appendChild(empty);
      return;
    }
    rooms.forEach(function (room) {
      var row = make("tr");
      row.setAttribute("data-room", String(room.id));
      if (highlight === room.id) row.className = "just-saved";
      cell(row, "name", room.name).setAttribute("data-testid", "room-name");
      cell(row, "school", room.school_name);
      cell(row, "size", B.format(t("gridSize"), { rows: room.rows, columns: room.columns }));
      cell(row, "capacity", String(room.capacity), "num").setAttribute("data-capacity", String(room.capacity));
      cell(row, "spares", String(room.spares.length), "num").setAttribute("data-spares", String(room.spares.length));
      cell(row, "networks", room.networks.length ? room.networks.join(", ") : t("anyNetwork"), "networks-cell");
      var actions = cell(row, "actions", null, "actions");
      var editButton = actions.appendChild(B.button(t("edit"), "secondary small", function () {
        B.notice(pageNotice, "");
        openForm(room);
      }));
      editButton.setAttribute("aria-label", B.format(t("editNamed"), { name: room.name }));
      editButton.setAttribute("data-action", "edit");
      var deleteButton = actions.appendChild(B.button(t("delete"), "secondary danger small", function () {
        removeRoom(room);
      }));
      deleteButton.setAttribute("aria-label", B.format(t("deleteNamed"), { name: room.name }));
      deleteButton.setAttribute("data-action", "delete");
      body.appendChild(row);
    });
  }

  function removeRoom(room) {
    if (!window.confirm(B.format(t("confirmDelete"), { name: room.name }))) return;
    B.api("DELETE", "/api/rooms/" + room.id + "/").then(function (result) {
      if (!result.ok) {
        B.notice(pageNotice, B.failure(result), "error");
        pageNotice.focus();
        return;
      }
      if (editing && editing.id === room.id) closeForm();
      B.notice(pageNotice, B.format(t("deleted"), { name: room.name }), "ok");
      load();
    });
  }

  function load(highlight) {
    table.setAttribute("aria-busy", "true");
    return B.api("GET", "/api/rooms/").then(function (result) {
      if (!result.ok) {
        table.setAttribute("aria-busy", "false");
        B.notice(pageNotice, B.failure(result), "error");
        return;
      }
      rooms = result.data.results;
      renderList(highlight);
    });
  }

  load();
})();
