// The call-flow editor: show only the fields that the choices around them use — the
// destination picked in each "the call goes to" select, the times of an open day or a
// holiday with special hours. Without this file every field shows, each under its own
// label, and the server ignores the ones the choices do not use.
(function () {
  "use strict";

  function scopeOf(element) {
    return element.parentElement ? element.parentElement.closest("[data-kind-scope]") : null;
  }

  function showKind(select) {
    var scope = select.closest("[data-kind-scope]");
    if (!scope) return;
    scope.querySelectorAll("[data-kind-panel]").forEach(function (panel) {
      if (scopeOf(panel) !== scope) return; // a nested scope's panels follow their own select
      panel.hidden = panel.getAttribute("data-kind-panel") !== select.value;
    });
  }

  // data-show-if="name=value": shown while the checkbox or radio `name` with that value is checked.
  function showChecked(root) {
    root.querySelectorAll("[data-show-if]").forEach(function (element) {
      var spec = element.getAttribute("data-show-if").split("=");
      var form = element.closest("form") || document;
      var checked = form.querySelector('input[name="' + spec[0] + '"]:checked');
      element.hidden = !(checked && checked.value === spec[1]);
    });
  }

  function init(root) {
    root.querySelectorAll("select[data-kind-select]").forEach(showKind);
    showChecked(root);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches("select[data-kind-select]")) showKind(target);
    if (target.matches("input[type=checkbox], input[type=radio]") && target.form) showChecked(target.form);
  });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
