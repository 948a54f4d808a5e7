// Refreshes the live parts of a page in place: every element with data-live is replaced,
// every data-interval milliseconds, by the HTML its URL answers. Without this script the
// page still works; it just shows the counts of when it was loaded.
(function () {
  "use strict";
  function refresh(el) {
    fetch(el.getAttribute("data-live"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        // Unchanged parts are left alone, so a button being clicked or text being selected
        // is not replaced under the pointer on every tick.
        if (el.orchLast !== html) { el.innerHTML = html; el.orchLast = html; }
        el.removeAttribute("data-stale");
      })
      .catch(function () { el.setAttribute("data-stale", "true"); });
  }
  function start() {
    var parts = document.querySelectorAll("[data-live]");
    Array.prototype.forEach.call(parts, function (el) {
      var every = parseInt(el.getAttribute("data-interval"), 10);
      if (every > 0) {
        setInterval(function () {
          if (!document.hidden) { refresh(el); }
        }, every);
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
