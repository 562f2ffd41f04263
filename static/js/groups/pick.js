// The page for putting students in a group works without this script (a search form, checkboxes); the
// script adds a filter as one types, "tick all shown" and a count of the ticked.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-group-pick]");
    if (!form) { return; }
    var tools = form.querySelector("[data-pick-tools]");
    if (!tools) { return; }
    var filter = tools.querySelector("[data-pick-filter]");
    var all = tools.querySelector("[data-pick-all]");
    var count = tools.querySelector("[data-pick-count]");
    var rows = Array.prototype.slice.call(form.querySelectorAll("[data-pick-row]"));
    tools.hidden = false;

    function box(row) { return row.querySelector("input[type=checkbox]"); }
    function shown() { return rows.filter(function (row) { return !row.hidden && !box(row).disabled; }); }
    function update() {
      var ticked = rows.filter(function (row) { return box(row).checked; }).length;
      count.textContent = count.getAttribute("data-template").replace("__N__", String(ticked));
      var visible = shown();
      all.checked = visible.length > 0 && visible.every(function (row) { return box(row).checked; });
    }
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      rows.forEach(function (row) {
        var text = row.getAttribute("data-text");
        row.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
      });
      update();
    });
    // Enter in the filter must not send the form.
    filter.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
    all.addEventListener("change", function () {
      shown().forEach(function (row) { box(row).checked = all.checked; });
      update();
    });
    form.addEventListener("change", function (event) { if (event.target !== all) { update(); } });
    update();
  });
}());
