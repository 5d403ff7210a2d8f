// The installable app: registers the service worker (its URL is the script tag's
// data-worker) and tells it the page's language, for the offline page. On the offline
// page, "Try again" reloads the page that could not be reached, as does a returning
// connection.
(function () {
  "use strict";
  var script = document.currentScript;
  var worker = script && script.getAttribute("data-worker");

  if (worker && "serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(worker, { scope: "/" }).catch(function () {
        // no worker (private mode, blocked storage): the portal works as a plain site
      });
      navigator.serviceWorker.ready.then(function (registration) {
        var language = (document.documentElement.lang || "").slice(0, 2);
        if (registration.active && language) registration.active.postMessage({ language: language });
      });
    });
  }

  function setupOffline() {
    var retry = document.querySelector("[data-offline-retry]");
    if (!retry) return;
    var reload = function () { window.location.reload(); };
    // shown in place of another page: try that page again (at /offline itself the link
    // leads to the start page)
    if (!/\/offline$/.test(window.location.pathname)) {
      retry.addEventListener("click", function (event) { event.preventDefault(); reload(); });
    }
    window.addEventListener("online", reload);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupOffline);
  } else {
    setupOffline();
  }
})();
