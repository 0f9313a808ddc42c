// Kundenversteher web interface, progressive enhancement only: every page works without this
// file. It (1) inserts a suggested answer or canned response into the reply box with one click,
// (2) keeps the inbox live by polling a tiny version endpoint and swapping in the fresh rows.
// No inline scripts anywhere, so the Content-Security-Policy can forbid them.
(function () {
  "use strict";

  // (1) One-click insert. Links carry data-insert="ID of the element holding the text"; without
  // JavaScript they go to ?use=... and the server pre-fills the reply box instead.
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("[data-insert]") : null;
    if (!link) return;
    var source = document.getElementById(link.getAttribute("data-insert"));
    var box = document.getElementById("reply-text");
    if (!source || !box) return;
    ev.preventDefault();
    var text = source.textContent.trim();
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  });

  // (2) Live inbox. The table carries data-live="URL of the version endpoint".
  var table = document.querySelector("[data-live]");
  if (!table || !window.fetch) return;
  var versionUrl = table.getAttribute("data-live");
  var known = table.getAttribute("data-version");
  var notice = document.getElementById("live-notice");
  var busy = false;

  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(versionUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (!v || String(v.version) === known) return null;
        known = String(v.version);
        return fetch(window.location.href, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html) return;
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.querySelector("[data-live] tbody");
            var old = table.querySelector("tbody");
            if (fresh && old) {
              old.replaceWith(document.importNode(fresh, true));
              table.setAttribute("data-version", known);
              if (notice) notice.classList.add("show");
            }
          });
      })
      .catch(function () { /* offline or signed out: try again next time */ })
      .then(function () { busy = false; });
  }
  var every = parseInt(table.getAttribute("data-poll-ms") || "5000", 10);
  window.setInterval(refresh, every);
})();
