// A form with an upload in an error state (the server said "not a video", the upload was refused) is
// not sent: its text, its chosen images and its other uploads stay as they are, and a line says why.
// Removing the failed upload (its ✕) lets the form go. The server refuses an unusable video too.
(function () {
  "use strict";

  var gettext = window.Circles && window.Circles.i18n ? window.Circles.i18n.gettext : function (s) { return s; };

  function failedUpload(form) {
    return form.querySelector("[data-uploader] .is-failed");
  }

  function guard(form) {
    var line = document.createElement("p");
    line.className = "error";
    line.setAttribute("role", "alert");
    line.setAttribute("data-upload-guard", "");
    line.hidden = true;
    var button = form.querySelector("button[type=submit]");
    (button ? button.parentNode : form).insertBefore(line, button || null);
    form.addEventListener("submit", function (event) {
      var failed = failedUpload(form);
      if (!failed) { line.hidden = true; return; }
      event.preventDefault();
      event.stopImmediatePropagation();
      line.textContent = gettext("An upload above could not be used. Remove it or upload another file, then send again.");
      line.hidden = false;
      failed.scrollIntoView({ block: "center" });
    }, true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if (form.querySelector("[data-uploader]")) { guard(form); }
    });
  });
})();
