// Export form: show only the settings of the chosen format. Without this script every fieldset stays
// visible, and the server reads only the chosen format's fields anyway.
(function () {
  "use strict";

  function update(form, select) {
    form.querySelectorAll("fieldset[data-formats]").forEach(function (set) {
      var applies = set.getAttribute("data-formats").split(" ").indexOf(select.value) !== -1;
      set.hidden = !applies;
      set.disabled = !applies;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-export-form]").forEach(function (form) {
      var select = form.querySelector("select[name=format]");
      if (!select) { return; }
      update(form, select);
      select.addEventListener("change", function () { update(form, select); });
    });
  });
})();
