// The provider form: the "only way in" notice and its confirmation box show only while the box that turns
// it on is ticked. Without this script they are always shown (the page works the same).
(function () {
  "use strict";
  function setUp() {
    var box = document.getElementById("is_exclusive");
    var details = document.getElementById("exclusive-details");
    if (!box || !details) return;
    function sync() { details.hidden = !box.checked; }
    box.addEventListener("change", sync);
    sync();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
