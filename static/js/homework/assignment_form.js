// The assignment form: show the video length only for video work, the penalty fields only for the penalty policy.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var accepts = document.querySelector("select[data-accepts]");
    var policy = document.querySelector("select[data-late-policy]");
    var video = document.querySelector("[data-when-video]");
    var penalty = document.querySelector("[data-when-penalty]");
    function refresh() {
      if (accepts && video) { video.hidden = accepts.value !== "video"; }
      if (policy && penalty) { penalty.hidden = policy.value !== "penalty"; }
    }
    [accepts, policy].forEach(function (el) { if (el) { el.addEventListener("change", refresh); } });
    refresh();
  });
})();
