// SpeedGrader: next/previous student with j/k or the arrow keys, the rubric total as levels are picked, and
// the video sized to the window's height.
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

  // The room the video may take so that it and what the player draws under it (the comment timeline) end
  // within the window when the page is at its top: the window's height less what stands above the video.
  function fitVideo(root) {
    var video = root.querySelector(".sg-work .player video");
    if (!video) { return; }
    var figure = video.closest(".player");
    var top = video.getBoundingClientRect().top + window.scrollY;
    var below = figure ? Math.max(0, figure.getBoundingClientRect().bottom - video.getBoundingClientRect().bottom) : 0;
    var room = Math.floor(window.innerHeight - top - below - 12);
    root.style.setProperty("--sg-room", Math.max(room, 160) + "px");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector(".speedgrader");
    if (!root) { return; }
    fitVideo(root);
    window.addEventListener("resize", function () { fitVideo(root); });
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
