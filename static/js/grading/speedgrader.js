// SpeedGrader: next/previous student with j/k or the arrow keys, and the rubric total as levels are picked.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|VIDEO|AUDIO|BUTTON)$/.test(target.tagName));
  }

  // The rubric's points as they are (17 / 20), and the assignment's score scaled from them when the two
  // are worth different points (85 / 100).
  function updateTotal(root) {
    var points = root.querySelector("[data-rubric-total]");
    if (!points) { return; }
    var scaled = root.querySelector("[data-total]");
    var scale = parseFloat(root.getAttribute("data-scale") || "1") || 1;
    var sum = 0;
    var all = true;
    root.querySelectorAll(".grade-form fieldset.criterion").forEach(function (set) {
      var picked = set.querySelector("input[type=radio]:checked");
      if (picked) { sum += parseFloat(picked.getAttribute("data-points")) || 0; } else { all = false; }
    });
    var more = all ? "" : " …";
    points.textContent = String(Math.round(sum * 100) / 100) + more;
    if (scaled) { scaled.textContent = String(Math.round(sum * scale * 100) / 100) + more; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector(".speedgrader");
    if (!root) { return; }
    updateTotal(root);
    root.addEventListener("change", function (event) {
      if (event.target.matches("input[type=radio][data-points]")) { updateTotal(root); }
    });
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
      var url = null;
      if (event.key === "j" || event.key === "ArrowRight") { url = root.getAttribute("data-next-url"); }
      if (event.key === "k" || event.key === "ArrowLeft") { url = root.getAttribute("data-prev-url"); }
      if (url) {
        event.preventDefault();
        window.location.assign(url);
      }
    });
  });
})();
