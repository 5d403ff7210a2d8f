// Bulk update: show only the fields of the chosen change. Without JavaScript every
// fieldset stays visible and the server ignores the ones that do not belong.
(function () {
  "use strict";

  function sync(form) {
    var chosen = form.querySelector("input[data-bulk-action]:checked");
    form.querySelectorAll("fieldset[data-bulk-for]").forEach(function (fieldset) {
      var show = chosen && fieldset.getAttribute("data-bulk-for") === chosen.value;
      fieldset.hidden = !show;
      fieldset.disabled = !show;
    });
  }

  function setup(root) {
    (root || document).querySelectorAll("form.bulk-action").forEach(sync);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-bulk-action]")) {
      sync(event.target.form);
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) { setup(event.detail.target); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setup(); });
  } else {
    setup();
  }
})();
