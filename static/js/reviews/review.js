// The review form of templates/reviews/task.html: saves a draft of the scores and the overall comment
// (JSON, to [data-draft-url]) a moment after each change and when the page is hidden, and says when it
// was saved. Comments at moments are static/js/homework/comments.js's.
(function () {
  "use strict";
  var gettext = window.Circles.i18n.gettext;
  var DELAY = 800;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function setup(form) {
    var url = form.dataset.draftUrl;
    var status = form.querySelector("[data-draft-status]");
    if (!url || !status) { return; }
    var timer = null, dirty = false, saving = null;

    function values() {
      var scores = {};
      form.querySelectorAll("input[type=radio][name^='score-']:checked").forEach(function (input) {
        scores[input.name.slice(6)] = input.value;
      });
      return { scores: scores, overall: form.elements.overall ? form.elements.overall.value : "" };
    }

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("error", Boolean(isError));
    }

    function save(keepalive) {
      if (!dirty) { return saving || Promise.resolve(); }
      dirty = false;
      clearTimeout(timer);
      say(gettext("Saving…"));
      saving = fetch(url, { method: "POST", credentials: "same-origin", keepalive: Boolean(keepalive),
        headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(values()) }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (!response.ok) { throw new Error(json.error || ""); }
          say(gettext("Draft saved."));
          form.setAttribute("data-saved", "");
        });
      }).catch(function (error) {
        dirty = true;
        say(error.message || gettext("The draft could not be saved. Check your connection; it is tried again."), true);
      });
      return saving;
    }

    function changed() {
      dirty = true;
      form.removeAttribute("data-saved");
      clearTimeout(timer);
      timer = setTimeout(save, DELAY);
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { save(true); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-review-form]").forEach(setup);
  });
})();
