/* The board's answer similarity report of a sitting (/board/sittings/<id>/collusion/).
 *
 * Reads GET /api/sittings/<id>/collusion/ (the latest report, as its job kept it: pairs ranked
 * by p-value, a page at a time, filtered by room or to flagged pairs; and the outliers) and
 * starts a new analysis with POST on the same path, following the job on the same GET until it
 * ends. The words come from #bank-text, the settings from #bank-config, through bank.js. */
(function () {
  "use strict";
  var B = window.Bank;
  var config = B.config;
  var t = B.t;
  var make = B.make;
  var state = { offset: 0, room: "", flagged: false, polling: false };

  var form = document.getElementById("collusion-start");
  var stateNode = document.getElementById("collusion-state");
  var noticeNode = document.getElementById("collusion-notice");
  var summaryNode = document.getElementById("collusion-summary");
  var pairsSection = document.getElementById("collusion-pairs");
  var outliersSection = document.getElementById("collusion-outliers");
  var roomFilter = document.getElementById("room-filter");
  var flaggedFilter = document.getElementById("flagged-filter");
  var previous = document.getElementById("pairs-previous");
  var next = document.getElementById("pairs-next");
  var startButton = form.querySelector("button[type=submit]");
  var bar = B.progressBar();

  previous.textContent = t("previous");
  next.textContent = t("next");

  function number(value, digits) {
    if (value === null || value === undefined) return t("none");
    return Number(value).toFixed(digits);
  }

  function pvalue(value) {
    if (value === null || value === undefined) return t("none");
    var v = Number(value);
    if (v === 0) return "0";
    return v < 0.001 ? v.toExponential(2) : v.toPrecision(3);
  }

  function cell(row, label, content, className) {
    var td = row.appendChild(make("td", className || null));
    td.setAttribute("data-label", label);
    if (content instanceof Node) td.appendChild(content);
    else td.textContent = content === null || content === undefined ? "" : String(content);
    return td;
  }

  function person(candidate) {
    var box = make("span", "collusion-person");
    box.appendChild(make("strong", null, candidate.name));
    box.appendChild(make("span", "muted", candidate.learner_id));
    return box;
  }

  function place(candidate) {
    if (!candidate.room) return t("none");
    return candidate.room + (candidate.seat ? " · " + candidate.seat : "");
  }

  function showJob(job) {
    if (!job) {
      B.clear(stateNode).appendChild(make("p", "muted", t("noReport")));
      startButton.textContent = t("start");
      return;
    }
    B.clear(stateNode);
    if (job.status === "queued" || job.status === "running") {
      stateNode.appendChild(bar.element);
      bar.show({ percent: job.percent, message: job.status === "queued" ? t("queued") : job.message });
      startButton.disabled = true;
      return;
    }
    startButton.disabled = false;
    startButton.textContent = t("restart");
    if (job.status === "failed") {
      B.notice(noticeNode, B.format(t("failed"), { message: (job.error && job.error.message) || t("error") }), "error");
    }
  }

  function showSummary(report) {
    B.clear(summaryNode);
    summaryNode.hidden = !report;
    if (!report) return;
    summaryNode.appendChild(make("p", "muted", B.format(t("computedAt"), { time: B.formatDate(report.computed_at) })));
    summaryNode.appendChild(make("p", null, B.format(t("summary"), {
      candidates: report.candidates_analysed, items: report.items, within: report.pairs_within,
      across: report.pairs_across_tested, family: report.pairs_across_family
    })));
    var flagged = summaryNode.appendChild(make("p", "collusion-flagged-count",
      B.format(t("flaggedCount"), { alpha: report.alpha, count: report.flagged })));
    flagged.setAttribute("data-testid", "flagged-count");
    summaryNode.appendChild(make("p", "muted",
      t(report.item_parameters === "bank" ? "bankParameters" : "calibratedParameters") + " " +
      B.format(t("addressesKnown"), { count: report.addresses_known })));
    var keep = roomFilter.value;
    B.fillSelect(roomFilter, report.rooms.map(function (room) { return { value: room.id, label: room.name }; }),
      keep, roomFilter.options[0].textContent);
  }

  function showPairs(data) {
    var body = B.clear(document.getElementById("pairs-body"));
    var empty = document.getElementById("no-pairs");
    B.each(data.results, function (pair) {
      var row = body.appendChild(make("tr", pair.flagged ? "collusion-flagged" : null));
      row.setAttribute("data-rank", pair.rank);
      cell(row, t("rank"), pair.rank, "num");
      var who = make("span", "collusion-pair");
      who.appendChild(person(pair.first));
      who.appendChild(person(pair.second));
      cell(row, t("pair"), who);
      cell(row, t("pvalue"), pvalue(pair.pvalue), "num");
      cell(row, t("adjusted"), pvalue(pair.adjusted_pvalue), "num");
      var flag = pair.flagged ? make("span", "pill collusion-flag", t("flagged")) : make("span", "muted", t("notFlagged"));
      cell(row, t("isFlagged"), flag);
      cell(row, t("index"), number(pair.index, 2), "num");
      var where = make("span", "collusion-pair");
      where.appendChild(make("span", null, place(pair.first)));
      where.appendChild(make("span", null, place(pair.second)));
      if (pair.family === "sitting") where.appendChild(make("span", "muted", t("across")));
      if (pair.same_code) where.appendChild(make("span", "muted", t("sameCode")));
      cell(row, t("where"), where);
      cell(row, t("adjacency"), pair.adjacency ? t(pair.adjacency) : t("none"));
      cell(row, t("sharedIp"), pair.shared_addresses.length ? pair.shared_addresses.join(", ") : t("none"));
      var identical = make("span", "collusion-pair");
      identical.appendChild(make("span", null, B.format(t("matches"), { matches: pair.matches, shared: pair.shared_items })));
      identical.appendChild(make("span", "muted", B.format(t("expected"), { expected: number(pair.expected, 1) })));
      cell(row, t("identical"), identical, "num");
      cell(row, t("wrong"), pair.identical_wrong, "num");
      cell(row, t("timing"), pair.close_in_time, "num");
    });
    empty.hidden = data.results.length > 0;
    empty.textContent = t("noPairs");
    var from = data.count ? state.offset + 1 : 0;
    document.getElementById("pairs-shown").textContent = B.format(t("shown"), {
      from: from, to: state.offset + data.results.length, count: data.count
    });
    previous.disabled = !data.previous;
    next.disabled = !data.next;
  }

  function showOutliers(list) {
    var body = B.clear(document.getElementById("outliers-body"));
    var empty = document.getElementById("no-outliers");
    B.each(list, function (candidate) {
      var row = body.appendChild(make("tr"));
      cell(row, t("candidate"), person(candidate));
      cell(row, t("where"), place(candidate));
      cell(row, t("theta"), number(candidate.theta, 2), "num");
      cell(row, t("personFit"), number(candidate.person_fit, 2), "num");
      cell(row, t("minutes"), number(candidate.minutes, 1), "num");
      cell(row, t("speed"), number(candidate.speed, 2), "num");
      var why = [];
      if (candidate.person_fit !== null && candidate.person_fit <= config.personFitLimit) why.push(t("unlikelyPattern"));
      if (candidate.speed !== null && candidate.speed <= config.speedLimit) why.push(t("fast"));
      cell(row, t("why"), why.join("; "));
    });
    empty.hidden = list.length > 0;
    empty.textContent = t("noOutliers");
  }

  function load() {
    var url = config.url + B.query({
      limit: config.pageSize, offset: state.offset, room: state.room, flagged: state.flagged ? "true" : ""
    });
    return B.api("GET", url).then(function (result) {
      if (!result.ok) { B.notice(noticeNode, B.failure(result), "error"); return null; }
      var data = result.data;
      showJob(data.job);
      if (data.report) {
        config.personFitLimit = data.report.person_fit_limit;
        config.speedLimit = data.report.speed_limit;
        showSummary(data.report);
        showPairs(data);
        showOutliers(data.outliers);
      }
      pairsSection.hidden = outliersSection.hidden = !data.report;
      if (data.job && (data.job.status === "queued" || data.job.status === "running")) follow();
      return data;
    });
  }

  function follow() {
    if (state.polling) return;
    state.polling = true;
    window.setTimeout(function () { state.polling = false; load(); }, 1000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    B.notice(noticeNode, "", "");
    var alpha = Number(String(form.elements.alpha.value).replace(",", "."));
    startButton.disabled = true;
    B.clear(stateNode).appendChild(make("p", "muted", t("starting")));
    B.api("POST", config.url, { alpha: alpha }).then(function (result) {
      if (!result.ok) {
        startButton.disabled = false;
        B.clear(stateNode);
        B.notice(noticeNode, B.failure(result), "error");
        return;
      }
      state.offset = 0;
      showJob(result.data.job);
      follow();
    });
  });
  roomFilter.addEventListener("change", function () { state.room = roomFilter.value; state.offset = 0; load(); });
  flaggedFilter.addEventListener("change", function () { state.flagged = flaggedFilter.checked; state.offset = 0; load(); });
  previous.addEventListener("click", function () { state.offset = Math.max(0, state.offset - config.pageSize); load(); });
  next.addEventListener("click", function () { state.offset += config.pageSize; load(); });
  load();
})();
