// Small progressive enhancements shared by every page. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Remember the browser's timezone, so times show in local time before the profile says otherwise.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* old browser: the server's default applies */ }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-tz-field]").forEach(function (input) {
      if (!input.value && tz) { input.value = tz; }
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });

  document.addEventListener("click", function (event) {
    var confirmer = event.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var copier = event.target.closest("[data-copy]");
    if (copier) {
      var source = document.querySelector(copier.getAttribute("data-copy"));
      if (!source) { return; }
      var text = source.value !== undefined ? source.value : source.textContent.trim();
      var done = function () {
        var label = copier.textContent;
        copier.textContent = "✓";
        setTimeout(function () { copier.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { source.select && source.select(); });
      } else if (source.select) {
        source.select();
        document.execCommand("copy");
        done();
      }
    }
  });
})();
