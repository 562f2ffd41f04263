// The term report's "Print" button (templates/orgs/term_report.html): shown once this script runs, it opens the
// browser's print dialog; the page's print stylesheet (static/css/orgs.css) leaves out everything but the report.
(function () {
  "use strict";
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
