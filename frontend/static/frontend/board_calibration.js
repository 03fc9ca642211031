/* The board's calibration page of a sitting (board_calibration.html).
 *
 * GET /api/sittings/<id>/calibrations/ lists the calibrations, newest first (each with its job's
 * progress and, once done, every item's role, estimates, fit and flags); POST there starts one
 * ({model}); POST /api/calibrations/<id>/apply/ {versions} writes the chosen items' parameters
 * into the bank. The page polls while a calibration runs. The server checks everything.
 */
(function () {
  "use strict";

  function start() {
    var B = window.Bank;
    var page = document.querySelector("[data-testid=calibration]");
    if (!B || !page) return;
    var t = B.t;
    var make = B.make;
    var base = "/api/sittings/" + B.config.sitting + "/calibrations/";
    var lang = document.documentElement.lang || undefined;
    var notice = document.getElementById("calibration-notice");
    var form = document.getElementById("calibration-form");
    var applyButton = document.getElementById("calibration-apply");
    var current = null;
    var timer = null;

    function num(value, places) {
      if (value === null || value === undefined) return "–";
      return Number(value).toLocaleString(lang, { minimumFractionDigits: places, maximumFractionDigits: places });
    }

    // An estimate with its standard error; an anchor's fixed value has none.
    function withError(value, error) {
      return num(value, 2) + (error === null || error === undefined ? "" : " (" + num(error, 2) + ")");
    }

    function cell(row, label, content) {
      var td = make("td");
      td.setAttribute("data-label", label);
      if (content instanceof Node) td.appendChild(content); else td.textContent = content;
      row.appendChild(td);
      return td;
    }

    function labels() {
      return Array.prototype.map.call(document.querySelectorAll("[data-testid=calibration-items] thead th"), function (th) { return th.textContent; });
    }

    function failed(answer) { B.refusal(notice, answer); }

    function showItems(calibration) {
      var rows = document.getElementById("calibration-rows");
      var heads = labels();
      B.clear(rows);
      var reviewable = calibration.status === "done";
      B.each(calibration.items, function (item) {
        var row = make("tr");
        row.setAttribute("data-position", item.position);
        var box = make("input");
        box.type = "checkbox";
        box.setAttribute("data-version", item.version);
        box.setAttribute("aria-label", B.format(t("itemLabel"), { n: item.position }));
        box.disabled = !reviewable || !item.writable;
        box.checked = reviewable && item.writable && !(item.flags || []).length;
        if (calibration.status === "applied") {
          box.checked = calibration.written.some(function (w) { return w.version === item.version; });
        }
        cell(row, heads[0], box);
        cell(row, heads[1], B.format(t("itemLabel"), { n: item.position }) + (item.title ? " · " + item.title : ""));
        var role = t("role_" + item.role) + (item.note ? " (" + t("note_" + item.note) + ")" : "");
        cell(row, heads[2], role).setAttribute("data-testid", "item-role");
        cell(row, heads[3], num(item.p_value, 2));
        cell(row, heads[4], item.bank ? num(item.bank.a, 2) + "; " + num(item.bank.b, 2) : "–");
        var estimated = item.role !== "left_out";
        cell(row, heads[5], estimated ? withError(item.a, item.se_a) : "–");
        cell(row, heads[6], estimated ? withError(item.b, item.se_b) : "–").setAttribute("data-testid", "item-b");
        cell(row, heads[7], estimated ? num(item.infit, 2) + " / " + num(item.outfit, 2) : "–");
        var flags = make("span");
        if (item.trial) flags.appendChild(make("span", "pill", t("trial")));
        if (item.dropped) flags.appendChild(make("span", "pill status-pending", t("dropped")));
        if (item.moderated) flags.appendChild(make("span", "pill status-pending", t("rekeyed")));
        B.each(item.flags || [], function (flag) { flags.appendChild(make("span", "pill status-pending", t("flag_" + flag))); });
        cell(row, heads[8], flags);
        rows.appendChild(row);
      });
      applyButton.hidden = !reviewable || !calibration.items.some(function (item) { return item.writable; });
    }

    function show(calibration) {
      current = calibration;
      var status = document.getElementById("calibration-status");
      var progress = document.getElementById("calibration-progress");
      var summary = document.getElementById("calibration-summary");
      var warning = document.getElementById("calibration-warning");
      warning.hidden = true;
      if (!calibration) {
        status.textContent = t("none");
        progress.textContent = summary.textContent = "";
        B.clear(document.getElementById("calibration-rows"));
        applyButton.hidden = true;
        return;
      }
      status.textContent = t("status_" + calibration.status);
      var running = calibration.status === "queued" || calibration.status === "running";
      progress.textContent = running && calibration.job ? calibration.job.message + " " + calibration.job.percent + "%" : "";
      summary.textContent = calibration.error || "";
      if (calibration.status === "done" || calibration.status === "applied") {
        summary.textContent = B.format(t("summary"), {
          persons: calibration.persons.toLocaleString(lang),
          anchors: calibration.anchors,
          mean: num(calibration.latent_mean, 2),
          sd: num(calibration.latent_sd, 2),
          iterations: calibration.iterations,
          seconds: num(calibration.seconds, 1)
        });
        var warnings = [];
        if (!calibration.anchors) warnings.push(t("ownScale"));
        if (!calibration.converged) warnings.push(t("notConverged"));
        warning.textContent = warnings.join(" ");
        warning.hidden = !warnings.length;
      }
      showItems(calibration);
      if (running) { clearTimeout(timer); timer = setTimeout(load, 1500); }
    }

    function showHistory(list) {
      var box = document.getElementById("calibration-history");
      B.clear(box);
      B.each(list, function (calibration) {
        box.appendChild(make("li", "", B.format(t("history"), {
          id: calibration.id,
          when: B.formatDate(calibration.created_at),
          model: calibration.model.toUpperCase(),
          status: t("status_" + calibration.status)
        })));
      });
    }

    function load() {
      B.api("GET", base).then(function (answer) {
        if (!answer.ok) { failed(answer); return; }
        show(answer.data.results[0] || null);
        showHistory(answer.data.results);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      B.errors.clear(form);
      B.api("POST", base, { model: form.model.value }).then(function (answer) {
        if (answer.ok) { B.notice(notice, t("started"), "ok"); show(answer.data); load(); }
        else if (answer.status === 400) { B.errors.show(form, answer.data); failed(answer); }
        else failed(answer);
      });
    });

    applyButton.addEventListener("click", function () {
      if (!current) return;
      var versions = Array.prototype.map.call(document.querySelectorAll("#calibration-rows input[data-version]:checked"), function (box) {
        return Number(box.getAttribute("data-version"));
      });
      if (!versions.length) { B.notice(notice, t("chooseSome"), "error"); return; }
      if (!window.confirm(B.format(t("confirmApply"), { count: versions.length }))) return;
      B.api("POST", "/api/calibrations/" + current.id + "/apply/", { versions: versions }).then(function (answer) {
        if (answer.ok) { B.notice(notice, B.format(t("written"), { count: answer.data.written.length }), "ok"); load(); }
        else failed(answer);
      });
    });

    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
