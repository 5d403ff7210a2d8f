// Error summaries (templates/macros/forms.html error_summary): after a failed submit on a
// full page the summary gets focus (in case the browser skipped `autofocus`), and a link in
// it moves focus to its field, or to the first input of a group, with the label in view.
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.querySelector(".error-summary[data-autofocus]");
    if (summary && !summary.contains(document.activeElement)) summary.focus();
  }

  function fieldOf(target) {
    if (target.matches("input, select, textarea, button")) return target;
    return target.querySelector("input:not([type=hidden]), select, textarea") || target;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) return;
    event.preventDefault();
    var field = fieldOf(target);
    var around = field.closest("fieldset, .field") || field;
    around.scrollIntoView({ block: "start" });
    if (!field.matches("input, select, textarea, button, [tabindex]")) field.setAttribute("tabindex", "-1");
    field.focus({ preventScroll: true });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
