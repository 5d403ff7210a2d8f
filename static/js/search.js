// The top search as a WAI-ARIA 1.2 combobox: the field keeps focus, the list under it
// (a listbox of links with role=option, filled by HTMX from /search/suggestions) is
// walked with ArrowDown/ArrowUp through aria-activedescendant, Enter opens the active
// option, Escape closes the list (and a second Escape clears the field). Without an
// active option Enter submits the form to the full result page.
(function () {
  "use strict";

  var input, results, status;

  function options() {
    return results ? Array.prototype.slice.call(results.querySelectorAll("[role=option]")) : [];
  }

  function activeOption() {
    var id = input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }

  function setActive(option) {
    options().forEach(function (o) {
      o.setAttribute("aria-selected", o === option ? "true" : "false");
      o.classList.toggle("active", o === option);
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  // The list's state follows its content, whoever changed it (HTMX, app.js clearing it).
  function sync() {
    var listbox = results.querySelector("[role=listbox]");
    var open = results.innerHTML.trim() !== "";
    input.setAttribute("aria-expanded", listbox && open ? "true" : "false");
    input.setAttribute("aria-controls", listbox ? listbox.id : "search-results");
    var current = activeOption();
    if (!current || !results.contains(current)) setActive(null);
    if (status) {
      var source = results.querySelector("[data-search-status]");
      status.textContent = source ? source.getAttribute("data-search-status") : "";
    }
  }

  function close() {
    results.innerHTML = "";
    sync();
  }

  function move(step) {
    var list = options();
    if (!list.length) return;
    var index = list.indexOf(activeOption());
    if (index < 0) index = step > 0 ? 0 : list.length - 1;
    else index = (index + step + list.length) % list.length;
    setActive(list[index]);
  }

  function onKeydown(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    switch (event.key) {
      case "ArrowDown":
        if (options().length) { event.preventDefault(); move(1); }
        break;
      case "ArrowUp":
        if (options().length) { event.preventDefault(); move(-1); }
        break;
      case "Home":
      case "End":
        if (activeOption()) {
          event.preventDefault();
          var list = options();
          setActive(event.key === "Home" ? list[0] : list[list.length - 1]);
        }
        break;
      case "Enter":
        var option = activeOption();
        if (option && option.href) {
          event.preventDefault();
          window.location.assign(option.href);
        }
        break;
      case "Escape":
        // stopPropagation: app.js's document handler would otherwise also act on this Escape
        if (results.innerHTML.trim() !== "") { event.preventDefault(); event.stopPropagation(); close(); }
        else if (input.value) { event.preventDefault(); event.stopPropagation(); input.value = ""; }
        break;
    }
  }

  function setup() {
    input = document.getElementById("global-search");
    results = document.getElementById("search-results");
    status = document.getElementById("search-status");
    if (!input || !results) return;
    input.addEventListener("keydown", onKeydown);
    // a pointer on an option makes it the active one, so keyboard and mouse agree
    results.addEventListener("mousemove", function (event) {
      var option = event.target.closest && event.target.closest("[role=option]");
      if (option && option !== activeOption()) setActive(option);
    });
    new MutationObserver(sync).observe(results, { childList: true, subtree: false });
    sync();
  }

  // The "Filters" button of a list's filter form (a disclosure: aria-expanded, aria-controls).
  // Without JavaScript the button stays hidden and the filters stay visible; CSS hides the
  // closed filters on phones only. The count of active filters follows the choices made.
  function setupDisclosures() {
    document.querySelectorAll("[data-disclosure]").forEach(function (button) {
      var body = document.getElementById(button.getAttribute("aria-controls"));
      if (!body) return;
      body.classList.add("collapsible");
      button.hidden = false;
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", open ? "true" : "false");
        body.classList.toggle("open", open);
        if (open) { var first = body.querySelector("select, input, button"); if (first) first.focus(); }
      });
      var counter = button.querySelector("[data-filter-count]");
      if (!counter) return;
      body.addEventListener("change", function () {
        var n = Array.prototype.filter.call(body.querySelectorAll("select, input"), function (field) {
          return field.name && field.name !== "sort" && field.value;
        }).length;
        counter.hidden = n === 0;
        counter.querySelector(".count-badge").textContent = String(n);
      });
    });
  }

  function start() {
    setup();
    setupDisclosures();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
