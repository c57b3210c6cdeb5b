// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // "/" focuses the search box, as on most dashboards.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest("textarea, select, [contenteditable], input:not([type=checkbox]):not([type=radio])")) return;
    var box = document.querySelector("[data-search]");
    if (box) { event.preventDefault(); box.focus(); box.select(); }
  });

  // Copy buttons for incident channels.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Times are rendered in UTC; when the user chose local time, rewrite them here.
  function localiseTimes(root) {
    if (document.documentElement.dataset.tz !== "local") return;
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var options = {
        year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      };
      if (/:\d\d:\d\d/.test(el.textContent)) options.second = "2-digit";
      var text = when.toLocaleString(undefined, options);
      var parts = el.querySelectorAll("span");  // a table cell's copy for the eye and its copy for screen readers
      if (parts.length) parts.forEach(function (part) { part.textContent = text; });
      else el.textContent = text;
    });
  }

  // "Restore to before…" in local time: the server needs the offset that applied at the time typed.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-restore-before]");
    if (!form) return;
    var offset = form.elements.offset;
    offset.value = "";
    if (form.elements.tz.value !== "local") return;
    var m = /^(?:(\d{4})-(\d{2})-(\d{2})[ T])?(\d{1,2}):(\d{2})/.exec(form.elements.before.value.trim());
    var now = new Date();
    var when = m && m[1] ? new Date(+m[1], m[2] - 1, +m[3], +m[4], +m[5]) : m ? new Date(now.getFullYear(), now.getMonth(), now.getDate(), +m[4], +m[5]) : now;
    offset.value = String(-when.getTimezoneOffset());
  });

  // A swapped region may carry the tab title that goes with its state.
  function followTitle(root) {
    var holder = root.querySelector ? (root.matches("[data-title]") ? root : root.querySelector("[data-title]")) : null;
    if (holder) document.title = holder.dataset.title;
  }

  // Filters fold behind their "Filters (n)" summary on phones only; without
  // this script they open just when some are set.
  function openWideFilters() {
    if (!window.matchMedia("(min-width: 641px)").matches) return;
    document.querySelectorAll("details[data-wide-open]").forEach(function (d) { d.open = true; });
  }

  document.addEventListener("DOMContentLoaded", function () { localiseTimes(document); openWideFilters(); });
  document.addEventListener("htmx:load", function (event) {
    localiseTimes(event.detail.elt);
    followTitle(event.detail.elt);
  });

  // A poll answered 204 (nothing changed since the page last saw it): it was checked just now.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var time = xhr && xhr.status === 204 && event.detail.elt.querySelector("[data-checked] time");
    if (!time) return;
    var when = new Date(xhr.getResponseHeader("Date") || Date.now());
    if (isNaN(when)) when = new Date();
    var exact = when.toISOString().replace(/\.\d+Z$/, "Z");
    time.setAttribute("datetime", exact);
    time.title = exact;
    time.textContent = exact.slice(0, 19).replace("T", " ") + " UTC";
    localiseTimes(time.parentNode);
  });

  // While the tab is hidden, data-poll="pause" regions stop polling and
  // data-poll="slow" ones send only every fourth tick.
  var hiddenTicks = 0;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var mode = event.detail.elt.getAttribute("data-poll");
    if (!mode) return;
    if (!document.hidden) { hiddenTicks = 0; return; }
    hiddenTicks += 1;
    if (mode === "pause" || hiddenTicks % 4 !== 0) event.preventDefault();
  });
})();
