// Choosing a channel's members (templates/chat/_member_picker.html): the list works without this script; the
// script adds a filter as one types (circle name, real name or student number) and a count of the ticked.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-member-pick]"), function (picker) {
      var tools = picker.querySelector("[data-pick-tools]");
      if (!tools) { return; }
      var filter = tools.querySelector("[data-pick-filter]");
      var count = tools.querySelector("[data-pick-count]");
      var none = picker.querySelector("[data-pick-none]");
      var rows = Array.prototype.slice.call(picker.querySelectorAll("[data-pick-row]"));
      tools.hidden = false;

      function box(row) { return row.querySelector("input[type=checkbox]"); }
      function update() {
        var ticked = rows.filter(function (row) { return box(row).checked; }).length;
        count.textContent = count.getAttribute("data-template").replace("__N__", String(ticked));
      }
      filter.addEventListener("input", function () {
        var words = filter.value.normalize("NFKC").toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0;
        rows.forEach(function (row) {
          var text = row.getAttribute("data-text").normalize("NFKC");
          row.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
          if (!row.hidden) { shown += 1; }
        });
        if (none) { none.hidden = shown > 0; }
      });
      // Enter in the filter must not send the form.
      filter.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
      picker.addEventListener("change", update);
      update();
    });
  });
}());
