/* Rooms and seats of an exam sitting, on the board's sitting page (board_rooms.html).
 *
 * GET /api/sittings/<id>/rooms/ gives the rooms already used (proctors, access code, every
 * candidate's seat and test code), the candidates without a seat, and the rooms and proctors
 * one may choose. The board lists rooms in the order they fill, names each room's proctors
 * (a proctor in one room only; a warning when fewer than the room needs), then places the
 * candidates: PUT the same address {"rooms": [{"room": id, "proctors": [ids], "separate": b}], "seed": n}.
 * A room marked "separate" takes only the candidates whose accommodation asks for a room of
 * their own, and they sit nowhere else (the server refuses a plan without one when they exist).
 * The answer is drawn as a seat map per room (a list on a narrow screen). The server refuses
 * a plan it cannot place (too few seats, check-in begun): its message shows in the form.
 */
(function () {
  "use strict";

  var B = window.Bank;
  var section = document.getElementById("sitting-rooms");
  if (!B || !section) return;
  var t = B.t;
  var make = B.make;
  var url = "/api/sittings/" + B.config.sitting + "/rooms/";

  var form = document.getElementById("rooms-plan");
  var list = document.getElementById("plan-list");
  var empty = document.getElementById("plan-empty");
  var roomSelect = document.getElementById("plan-room");
  var addRoomButton = document.getElementById("plan-room-add");
  var seats = document.getElementById("plan-seats");
  var placeButton = document.getElementById("rooms-place");
  var state = document.getElementById("rooms-state");
  var notice = document.getElementById("rooms-notice");
  var status = document.getElementById("rooms-status");
  var result = document.getElementById("rooms-result");

  var rooms = {}; // id -> a room (RoomOutput)
  var roomOrder = []; // ids of the rooms one may choose, by name
  var proctors = {}; // id -> {id, username, name}
  var proctorOrder = [];
  var plan = []; // [{room: id, proctors: [ids], separate: bool}], in the order the rooms fill
  var candidates = 0;
  var needSeparate = 0; // candidates whose accommodation asks for a separate room
  var placedBefore = false;

  function personName(person) {
    return person.name ? person.name + " (" + person.username + ")" : person.username;
  }

  function roomName(id) {
    return rooms[id] ? rooms[id].name : "#" + id;
  }

  function named() {
    var all = {};
    plan.forEach(function (entry) { entry.proctors.forEach(function (id) { all[id] = true; }); });
    return all;
  }

  /* --- the plan -------------------------------------------------------------------------- */

  function renderPlan() {
    B.clear(list);
    var taken = named();
    plan.forEach(function (entry, index) {
      var room = rooms[entry.room] || { name: roomName(entry.room), capacity: 0, spares: [], proctors_needed: 1 };
      var li = make("li", "plan-room");
      li.setAttribute("data-room", String(entry.room));
      var head = li.appendChild(make("div", "plan-room-head"));
      head.appendChild(make("strong", "plan-room-name", room.name));
      head.appendChild(make("span", "muted small", B.format(t("roomFacts"), {
        school: room.school_name || "", capacity: room.capacity, spares: (room.spares || []).length
      })));
      var moves = head.appendChild(make("span", "plan-moves"));
      var up = moves.appendChild(B.button(t("up"), "secondary small", function () { shift(index, -1, "up"); }));
      up.setAttribute("aria-label", B.format(t("moveUp"), { room: room.name }));
      up.setAttribute("data-move", "up");
      up.disabled = index === 0;
      var down = moves.appendChild(B.button(t("down"), "secondary small", function () { shift(index, 1, "down"); }));
      down.setAttribute("aria-label", B.format(t("moveDown"), { room: room.name }));
      down.setAttribute("data-move", "down");
      down.disabled = index === plan.length - 1;
      var off = moves.appendChild(B.button(t("remove"), "secondary danger small", function () {
        plan.splice(index, 1);
        renderPlan();
        roomSelect.focus();
      }));
      off.setAttribute("aria-label", B.format(t("takeOff"), { room: room.name }));
      off.setAttribute("data-move", "remove");

      var apart = li.appendChild(make("label", "plan-separate"));
      var box = apart.appendChild(make("input"));
      box.type = "checkbox";
      box.checked = !!entry.separate;
      box.setAttribute("data-separate-for", String(entry.room));
      apart.appendChild(document.createTextNode(" " + t("separateRoom")));
      box.addEventListener("change", function () {
        entry.separate = box.checked;
        renderPlan();
        var again = list.querySelector("input[data-separate-for='" + entry.room + "']");
        if (again) again.focus();
      });

      var people = li.appendChild(make("div", "plan-proctors"));
      var chips = people.appendChild(make("ul", "chips"));
      chips.setAttribute("aria-label", B.format(t("proctorsOf"), { room: room.name }));
      entry.proctors.forEach(function (id, position) {
        var person = proctors[id] || { username: "#" + id, name: "" };
        var chip = chips.appendChild(make("li", "chip", personName(person)));
        chip.setAttribute("data-proctor", String(id));
        var drop = chip.appendChild(B.button("×", "chip-remove", function () {
          entry.proctors.splice(position, 1);
          renderPlan();
          var select = list.querySelector("li[data-room='" + entry.room + "'] select");
          if (select) select.focus();
        }));
        drop.setAttribute("aria-label", B.format(t("removeProctor"), { name: personName(person) }));
      });
      var adder = people.appendChild(make("span", "plan-proctor-add"));
      var select = adder.appendChild(make("select"));
      select.setAttribute("aria-label", B.format(t("proctorsOf"), { room: room.name }));
      select.setAttribute("data-proctors-for", String(entry.room));
      var choices = proctorOrder.filter(function (id) { return !taken[id]; }).map(function (id) {
        return { value: id, label: personName(proctors[id]) };
      });
      B.fillSelect(select, choices, "", t("addProctor"));
      var add = adder.appendChild(B.button(t("add"), "secondary small", function () {
        var id = Number(select.value);
        if (!id || named()[id]) return;
        entry.proctors.push(id);
        renderPlan();
        var again = list.querySelector("select[data-proctors-for='" + entry.room + "']");
        if (again) again.focus();
      }));
      add.setAttribute("data-add-proctor", String(entry.room));
      add.disabled = !choices.length;

      var needed = room.proctors_needed || 1;
      if (entry.proctors.length < needed) {
        var warn = li.appendChild(make("p", "plan-warn", B.format(t("proctorsShort"), {
          needed: needed, chosen: entry.proctors.length
        })));
        warn.setAttribute("data-warn", "proctors");
      }
      list.appendChild(li);
    });
    empty.textContent = plan.length ? "" : roomOrder.length ? t("noRoomChosen") : t("noRoomsToChoose");
    empty.hidden = !!plan.length;

    var inPlan = {};
    plan.forEach(function (entry) { inPlan[entry.room] = true; });
    var free = roomOrder.filter(function (id) { return !inPlan[id]; }).map(function (id) {
      var room = rooms[id];
      return { value: id, label: room.name + " · " + room.school_name + " · " + room.capacity };
    });
    B.fillSelect(roomSelect, free, "", t("chooseRoom"));
    roomSelect.disabled = addRoomButton.disabled = !free.length;

    function seatsOf(separate) {
      return plan.reduce(function (sum, entry) {
        return sum + (!!entry.separate === separate && rooms[entry.room] ? rooms[entry.room].capacity : 0);
      }, 0);
    }
    var capacity = seatsOf(false);
    var apartSeats = seatsOf(true);
    var marked = plan.some(function (entry) { return entry.separate; });
    var others = candidates - needSeparate;
    var short = plan.length && (capacity < others || needSeparate > apartSeats);
    seats.textContent = B.format(t("seatsForCandidates"), { seats: capacity, candidates: others }) +
      (needSeparate || marked ? " · " + B.format(t("separateSeats"), { seats: apartSeats, candidates: needSeparate }) : "") +
      (plan.length && needSeparate && !marked ? " " + t("separateNone") : short ? " " + t("tooFewSeats") : "");
    seats.className = "plan-seats" + (short ? " short" : "");
    seats.setAttribute("data-seats", String(capacity));
    placeButton.textContent = placedBefore ? t("placeAgain") : t("place");
  }

  function shift(index, by, direction) {
    var to = index + by;
    if (to < 0 || to >= plan.length) return;
    var moved = plan.splice(index, 1)[0];
    plan.splice(to, 0, moved);
    renderPlan();
    var again = list.querySelector("li[data-room='" + moved.room + "'] [data-move='" + direction + "']");
    if (again && !again.disabled) again.focus();
    else {
      again = list.querySelector("li[data-room='" + moved.room + "'] [data-move]:not(:disabled)");
      if (again) again.focus();
    }
  }

  addRoomButton.addEventListener("click", function () {
    var id = Number(roomSelect.value);
    if (!id || !rooms[id]) return;
    plan.push({ room: id, proctors: [] });
    renderPlan();
    var select = list.querySelector("select[data-proctors-for='" + id + "']");
    if (select) select.focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    B.errors.clear(form);
    B.notice(notice, "");
    var body = { rooms: plan.map(function (entry) {
      return { room: entry.room, proctors: entry.proctors.slice(), separate: !!entry.separate };
    }) };
    var seed = form.elements.seed.value.trim();
    if (seed !== "") body.seed = isFinite(Number(seed)) ? Number(seed) : seed;
    placeButton.disabled = true;
    state.textContent = t("placing");
    B.api("PUT", url, body).then(function (answer) {
      placeButton.disabled = false;
      state.textContent = "";
      if (!answer.ok) {
        if (answer.status === 400) B.errors.show(form, answer.data);
        else B.errors.show(form, { error: { message: B.failure(answer) } });
        var shown = form.querySelector(".field-error, [data-errors]:not([hidden])");
        if (shown) {
          shown.tabIndex = -1;
          shown.focus();
        }
        return;
      }
      take(answer.data, true);
      B.notice(notice, t("placed"), "ok");
      notice.focus();
    });
  });

  /* --- the seat maps ------------------------------------------------------------------------ */

  function seatLabel(row, column) {
    var letters = "";
    while (row) {
      letters = String.fromCharCode(65 + ((row - 1) % 26)) + letters;
      row = Math.floor((row - 1) / 26);
    }
    return letters + column;
  }

  function seatMap(sittingRoom, codeClass) {
    var room = sittingRoom.room;
    var byCell = {};
    sittingRoom.candidates.forEach(function (c) { byCell[c.row + ":" + c.column] = c; });
    var seatAt = {};
    room.seats.forEach(function (seat) { seatAt[seat.row + ":" + seat.column] = seat; });
    var scroll = make("div", "seat-map-scroll");
    scroll.appendChild(make("p", "seat-front", t("front"))).setAttribute("aria-hidden", "true");
    var map = scroll.appendChild(make("div", "seat-map"));
    map.setAttribute("role", "group");
    map.setAttribute("aria-label", B.format(t("seatMap"), { room: room.name }));
    map.style.gridTemplateColumns = "repeat(" + room.columns + ", var(--seat-map-cell))";
    for (var row = 1; row <= room.rows; row++) {
      for (var column = 1; column <= room.columns; column++) {
        var key = row + ":" + column;
        var seat = seatAt[key];
        var label = seatLabel(row, column);
        if (!seat) {
          map.appendChild(make("div", "map-cell map-none")).setAttribute("aria-hidden", "true");
          continue;
        }
        var candidate = byCell[key];
        var cell = make("div", "map-cell" + (seat.spare ? " map-spare" : "") + (candidate ? " map-taken" : " map-free"));
        cell.setAttribute("data-seat", label);
        cell.appendChild(make("span", "map-label", label));
        if (candidate) {
          cell.setAttribute("data-attempt", String(candidate.attempt));
          cell.setAttribute("data-code", candidate.test_code);
          cell.setAttribute("aria-label", B.format(t("seatTaken"), {
            seat: label, name: candidate.name, code: candidate.test_code
          }));
          cell.setAttribute("title", candidate.name + (candidate.learner_id ? " · " + candidate.learner_id : ""));
          cell.appendChild(make("span", "map-name", candidate.name));
          cell.appendChild(make("span", "map-code " + codeClass(candidate.test_code), candidate.test_code));
        } else {
          cell.setAttribute("aria-label", B.format(t(seat.spare ? "seatSpare" : "seatFree"), { seat: label }));
          if (seat.spare) cell.appendChild(make("span", "map-note", t("spare")));
        }
        cell.setAttribute("role", "img");
        map.appendChild(cell);
      }
    }
    return scroll;
  }

  function seatList(sittingRoom, codeClass) {
    var ol = make("ol", "seat-list");
    ol.setAttribute("aria-label", B.format(t("seatMap"), { room: sittingRoom.room.name }));
    sittingRoom.candidates.forEach(function (c) {
      var li = ol.appendChild(make("li"));
      li.setAttribute("data-attempt", String(c.attempt));
      li.appendChild(make("span", "list-seat", c.seat));
      li.appendChild(make("span", "list-name", c.name));
      var code = li.appendChild(make("span", "map-code " + codeClass(c.test_code), c.test_code));
      code.setAttribute("aria-label", t("testCode") + " " + c.test_code);
    });
    return ol;
  }

  function renderResult(data) {
    B.clear(result);
    var placed = 0;
    data.rooms.forEach(function (sittingRoom) {
      placed += sittingRoom.candidates.length;
      var room = sittingRoom.room;
      var codes = [];
      sittingRoom.candidates.forEach(function (c) { if (codes.indexOf(c.test_code) === -1) codes.push(c.test_code); });
      codes.sort();
      var codeClass = function (code) { return "code-" + (codes.indexOf(code) % 6); };
      var article = make("article", "room-result");
      article.setAttribute("data-room", String(room.id));
      article.setAttribute("data-sitting-room", String(sittingRoom.id));
      var head = article.appendChild(make("header", "room-result-head"));
      var title = head.appendChild(make("h3", null, room.name));
      title.appendChild(make("span", "muted small", " · " + room.school_name));
      if (sittingRoom.separate) head.appendChild(make("span", "pill", t("separateBadge"))).setAttribute("data-separate", "");
      var code = head.appendChild(make("p", "room-code"));
      code.appendChild(make("span", "muted", t("accessCode") + " "));
      code.appendChild(make("strong", "access-code", sittingRoom.access_code)).setAttribute("data-testid", "access-code");
      var facts = article.appendChild(make("p", "room-facts"));
      facts.appendChild(make("span", null, B.format(t("roomCount"), {
        count: sittingRoom.candidates.length, capacity: room.capacity
      })));
      facts.setAttribute("data-candidates", String(sittingRoom.candidates.length));
      var people = sittingRoom.proctors.map(personName);
      facts.appendChild(make("span", null, t("proctors") + ": " + (people.length ? people.join(", ") : t("noProctors"))));
      article.appendChild(seatMap(sittingRoom, codeClass));
      article.appendChild(seatList(sittingRoom, codeClass));
      result.appendChild(article);
    });
    status.textContent = !data.rooms.length && !data.unplaced ? "" :
      !data.rooms.length ? t("noRoomsYet") + " " + B.format(t("unplaced"), { count: data.unplaced }) :
      data.unplaced ? B.format(t("unplaced"), { count: data.unplaced }) : t("allPlaced");
    status.className = "rooms-status" + (data.unplaced ? " short" : "");
    status.setAttribute("data-unplaced", String(data.unplaced));
    return placed;
  }

  /* --- the answer of GET and PUT ---------------------------------------------------------- */

  function take(data, fromPlacing) {
    rooms = {};
    proctors = {};
    var available = data.available_rooms.slice();
    data.rooms.forEach(function (sittingRoom) {
      if (!available.some(function (room) { return room.id === sittingRoom.room.id; })) available.push(sittingRoom.room);
      sittingRoom.proctors.forEach(function (person) { proctors[person.id] = person; });
    });
    available.sort(function (a, b) { return a.name.localeCompare(b.name); });
    roomOrder = available.map(function (room) { rooms[room.id] = room; return room.id; });
    data.available_proctors.forEach(function (person) { proctors[person.id] = person; });
    proctorOrder = data.available_proctors.map(function (person) { return person.id; });
    // After placing, the plan stays as the board ordered it, and the rooms are shown in that
    // order (the server lists them by name).
    if (!fromPlacing || !plan.length) {
      plan = data.rooms.map(function (sittingRoom) {
        return {
          room: sittingRoom.room.id,
          proctors: sittingRoom.proctors.map(function (p) { return p.id; }),
          separate: !!sittingRoom.separate
        };
      });
    }
    var order = plan.map(function (entry) { return entry.room; });
    data.rooms.sort(function (a, b) { return order.indexOf(a.room.id) - order.indexOf(b.room.id); });
    var placed = renderResult(data);
    candidates = placed + data.unplaced;
    needSeparate = data.separate_room_candidates || 0;
    placedBefore = data.rooms.length > 0;
    renderPlan();
  }

  state.textContent = t("loading");
  B.api("GET", url).then(function (answer) {
    state.textContent = "";
    if (!answer.ok) {
      B.notice(notice, B.failure(answer), "error");
      placeButton.disabled = true;
      return;
    }
    take(answer.data, false);
  });
})();
