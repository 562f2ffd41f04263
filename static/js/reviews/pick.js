// Choosing a student in a big class (templates/reviews/reassign.html, allocation.html): a search box
// [data-pick-filter="id id …"] narrows the <select>s it names as the teacher types (name or student number,
// case, width, spaces and dashes ignored). Without JavaScript the same box searches on the server (?q=).
(function () {
  "use strict";

  function key(text) {
    return (text || "").normalize("NFKC").toLowerCase().replace(/[\s\-\u2010-\u2015\u2212\u30fc\uff0d]/g, "");
  }

  function narrow(select, wanted) {
    var firstShown = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var show = !wanted || key(option.textContent).indexOf(wanted) !== -1;
      option.hidden = !show;
      option.disabled = !show;
      if (show && firstShown === null) { firstShown = option; }
    });
    var current = select.options[select.selectedIndex];
    if ((!current || current.hidden) && firstShown) { firstShown.selected = true; }
  }

  document.querySelectorAll("[data-pick-filter]").forEach(function (input) {
    var selects = input.dataset.pickFilter.split(/\s+/).map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean);
    if (!selects.length) { return; }
    input.addEventListener("input", function () {
      var wanted = key(input.value);
      selects.forEach(function (select) { narrow(select, wanted); });
    });
  });
})();
