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
    // the side menu (phones): Escape closes it and puts focus back on the Menu button
    var nav = document.getElementById("sidenav"), toggle = document.querySelector(".menu-toggle");
    if (nav && toggle && nav.classList.contains("open")) {
      nav.classList.remove("open"); toggle.setAttribute("aria-expanded", "false"); toggle.focus();
    }
  });

  // -- HTMX: loading state, focus after paging, and errors that never pass silently ----------

  // Elements with data-autofocus-target get focus after an HTMX swap (step wizards).
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail && event.detail.target;  // none when htmx restores a page from history
    var target = swapped && swapped.querySelector("[data-autofocus]");
    if (target) target.focus();
  });

  // A request that hangs is reported like one that failed (htmx waits for ever by default).
  if (window.htmx && !window.htmx.config.timeout) window.htmx.config.timeout = 30000;

  // While any HTMX request is under way the page shows a progress bar (html.htmx-loading, see
  // app.css) and the request's target is aria-busy (dimmed). A list marked data-focus-after-swap
  // that was swapped by a control inside it (the pager) gets focus and is scrolled to its top, so
  // keyboard and screen reader users land on the new page of rows, not at the bottom of the old one.
  var inFlight = 0;
  function loading(delta) {
    inFlight = Math.max(0, inFlight + delta);
    document.documentElement.classList.toggle("htmx-loading", inFlight > 0);
  }

  // A background poll ("every 2s") is not something the user waits for: no bar, no dimming.
  function isPoll(event) {
    var elt = event.detail.elt;
    return !!elt && /^every /.test(elt.getAttribute("hx-trigger") || "");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (isPoll(event)) return;
    loading(1);
    if (!target) return;
    clearErrors(target);
    target.setAttribute("aria-busy", "true");
    var elt = event.detail.elt;
    if (target.hasAttribute("data-focus-after-swap") && elt && target !== elt && target.contains(elt)) {
      target.setAttribute("data-focus-pending", "");
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (isPoll(event)) return;
    loading(-1);
    var target = event.detail.target;
    if (!target) return;
    target.removeAttribute("aria-busy");
    if (event.detail.failed || !event.detail.successful) target.removeAttribute("data-focus-pending");
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("data-focus-pending")) return;
    target.removeAttribute("data-focus-pending");
    target.removeAttribute("aria-busy");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start" });
  });

  // htmx swaps no 4xx/5xx answer (see the htmx-config meta in base.html), and a stopped server
  // or a timeout swaps nothing at all. The user is told, in words of the page's language: the
  // server's own message (its error fragment, blueprints/errors.py) or one of base.html's
  // #htmx-messages. It goes where the user looked, into the request's target when that is a
  // region of the page (a list, a dialog, the search results), else into the toast region.
  var REGIONS = { DIV: 1, SECTION: 1, ARTICLE: 1, ASIDE: 1, MAIN: 1, FORM: 1, FIELDSET: 1, DIALOG: 1, OUTPUT: 1, NAV: 1 };

  function text(name) {
    var store = document.getElementById("htmx-messages");
    return (store && store.getAttribute("data-" + name)) || "";
  }

  function serverText(xhr) {
    var type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    if (!xhr || type.indexOf("text/html") !== 0 || !xhr.responseText) return "";
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var notice = doc.querySelector(".notice-error");
    return notice ? notice.textContent.trim() : "";
  }

  function clearErrors(region) {
    Array.prototype.slice.call(region.children).forEach(function (child) {
      if (child.classList.contains("htmx-error")) child.remove();
    });
  }

  function regionOf(detail) {
    var target = detail.target;
    if (!target || target === document.body || target === document.documentElement) return null;
    if (!REGIONS[target.tagName] || !document.body.contains(target)) return null;
    return target;
  }

  function toast(message) {
    var region = document.getElementById("toasts");
    if (!region) return;
    Array.prototype.slice.call(region.children).forEach(function (old) {
      if (old.getAttribute("data-text") === message || region.children.length > 2) old.remove();
    });
    var item = document.createElement("div");
    item.className = "toast";
    item.setAttribute("data-text", message);
    var words = document.createElement("p");
    words.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", text("close"));
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(words);
    item.appendChild(close);
    region.appendChild(item);
  }

  function report(detail, message) {
    var region = regionOf(detail);
    if (!region) { toast(message); return; }
    clearErrors(region);
    var notice = document.createElement("p");
    notice.className = "notice notice-error htmx-error";
    notice.setAttribute("role", "alert");
    notice.textContent = message;
    region.insertBefore(notice, region.firstChild);
    var box = notice.getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) notice.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:responseError", function (event) {
    report(event.detail, serverText(event.detail.xhr) || text("error"));
  });
  document.addEventListener("htmx:sendError", function (event) { report(event.detail, text("network")); });
  document.addEventListener("htmx:timeout", function (event) { report(event.detail, text("timeout")); });
  document.addEventListener("htmx:swapError", function (event) { report(event.detail, text("error")); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupMenuToggle);
  } else {
    setupMenuToggle();
  }
})();
