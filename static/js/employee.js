// The employee page: an action form loaded into #dialog is scrolled into view.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "dialog") {
      event.detail.target.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  });
})();
