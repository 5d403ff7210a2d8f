// Bulk selection in a form marked data-selection (the subscription overview):
// "select all on this page" (data-select-page) ticks every row (name="ids"),
// "select all that match" (data-select-matching) ticks them too and is cleared as soon
// as a row is unticked. Listens on the document, so it keeps working after HTMX swaps.
(function () {
  "use strict";

  function rows(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input[type=checkbox][name="ids"]'));
  }

  function syncPageBox(form) {
    var page = form.querySelector("[data-select-page]");
    if (!page) return;
    var boxes = rows(form);
    var ticked = boxes.filter(function (b) { return b.checked; }).length;
    page.checked = boxes.length > 0 && ticked === boxes.length;
    page.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    var form = box.closest ? box.closest("form[data-selection]") : null;
    if (!form || box.type !== "checkbox") return;
    var matching = form.querySelector("[data-select-matching]");
    if (box.hasAttribute("data-select-page")) {
      rows(form).forEach(function (b) { b.checked = box.checked; });
      if (!box.checked && matching) matching.checked = false;
    } else if (box.hasAttribute("data-select-matching")) {
      if (box.checked) rows(form).forEach(function (b) { b.checked = true; });
    } else if (box.name === "ids" && !box.checked && matching) {
      matching.checked = false;
    }
    syncPageBox(form);
  });
})();
