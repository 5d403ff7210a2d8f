// Small behaviours the CSP allows only from files: the menu button, and closing
// dropdowns with Escape or a click outside.
(function () {
  "use strict";

  function setupMenuToggle() {
    var button = document.querySelector(".menu-toggle");
    var nav = document.getElementById("sidenav");
    if (!button || !nav) return;
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) { var first = nav.querySelector("a"); if (first) first.focus(); }
    });
  }

  function closeDropdowns(except) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    var inside = event.target.closest("details.dropdown");
    closeDropdowns(inside);
    if (!event.target.closest(".search")) {
      var results = document.getElementById("search-results");
      if (results) results.innerHTML = "";
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.dropdown[open]");
    if (open) { open.removeAttribute("open"); open.querySelector("summary").focus(); }
    var results = document.getElementById("search-results");
    if (results && results.innerHTML) { results.innerHTML = ""; }
  });

  // Elements with data-autofocus-target get focus after an HTMX swap (step wizards).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target.querySelector("[data-autofocus]");
    if (target) target.focus();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupMenuToggle);
  } else {
    setupMenuToggle();
  }
})();
