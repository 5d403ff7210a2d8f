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

  // While an HTMX request is under way its target is aria-busy (the hx-indicator shows
  // the visible "Loading…"). A list marked data-focus-after-swap that was swapped by a
  // control inside it (the pager) gets focus and is scrolled to its top, so keyboard and
  // screen reader users land on the new page of rows, not at the bottom of the old one.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (!target) return;
    target.setAttribute("aria-busy", "true");
    var elt = event.detail.elt;
    if (target.hasAttribute("data-focus-after-swap") && elt && target !== elt && target.contains(elt)) {
      target.setAttribute("data-focus-pending", "");
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail.target;
    if (target) target.removeAttribute("aria-busy");
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("data-focus-pending")) return;
    target.removeAttribute("data-focus-pending");
    target.removeAttribute("aria-busy");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start" });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupMenuToggle);
  } else {
    setupMenuToggle();
  }
})();
