// The create-subscription wizard: show only the fields that belong to the choice made
// (new number, porting or takeover; SIM card or eSIM; company or private owner), and
// move focus to the error summary and from its links to the fields. Without this file
// every field shows and the wizard works the same.
(function () {
  "use strict";

  function checkedValue(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }

  function updatePanels(root) {
    (root || document).querySelectorAll("form [data-panel]").forEach(function (panel) {
      var parts = panel.getAttribute("data-panel").split("=");
      panel.hidden = checkedValue(panel.closest("form"), parts[0]) !== parts[1];
    });
  }

  function focusSummary(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary) summary.focus();
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-switch] input[type=radio]")) {
      updatePanels(event.target.closest("form"));
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    updatePanels(event.detail.target);
  });

  function start() {
    updatePanels(document);
    focusSummary(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
