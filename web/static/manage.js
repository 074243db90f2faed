// The clerks' and admins' pages: live progress, polled from the API (no inline script: the
// pages' CSP allows only this server's files). Without JavaScript the pages still work; they
// show the state as of their loading.
(function () {
  "use strict";

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401) {
          location.reload(); // the session ended: the page sends the browser to sign in
          return null;
        }
        return r.ok ? r.json() : null;
      });
  }

  function put(row, selector, value) {
    var cell = row.querySelector(selector);
    if (cell) {
      cell.textContent = value === null || value === undefined ? "–" : String(value);
    }
  }

  function keyOf(batch) {
    return batch.job ? "j" + batch.job.id : "b" + batch.batch_id;
  }

  // The batches table: its numbers follow every 1.5 s; a batch that starts, ends or appears
  // reloads the page, which then shows its final counts and failures as the server has them.
  function pollBatches(table) {
    var url = table.getAttribute("data-poll");
    function tick() {
      getJson(url).then(function (list) {
        if (!list) {
          setTimeout(tick, 5000);
          return;
        }
        var reload = false;
        list.forEach(function (b) {
          var row = table.querySelector('tr[data-key="' + keyOf(b) + '"]');
          if (!row || row.getAttribute("data-state") !== b.state) {
            reload = true;
            return;
          }
          put(row, ".stored", b.pages_stored);
          put(row, ".total", b.pages_total);
          put(row, ".rate", b.pages_per_minute);
          put(row, ".left", b.time_left);
          put(row, ".docs", b.documents);
          put(row, ".failed", b.pages_failed);
          var bar = row.querySelector("progress");
          if (bar) {
            bar.max = b.pages_total || 1;
            bar.value = b.pages_stored;
          }
        });
        if (reload) {
          location.reload();
        } else {
          setTimeout(tick, 1500);
        }
      }).catch(function () {
        setTimeout(tick, 5000);
      });
    }
    setTimeout(tick, 1500);
  }

  // An admin's background job (reindex, verify, fixity): the page reloads once it ends.
  function pollJob(el) {
    var url = "/api/v1/jobs/" + encodeURIComponent(el.getAttribute("data-job-running"));
    function tick() {
      getJson(url).then(function (job) {
        if (job && job.state !== "running") {
          location.reload();
        } else {
          setTimeout(tick, 1500);
        }
      }).catch(function () {
        setTimeout(tick, 5000);
      });
    }
    setTimeout(tick, 1500);
  }

  document.querySelectorAll("table[data-poll]").forEach(pollBatches);
  document.querySelectorAll("[data-job-running]").forEach(pollJob);
})();
