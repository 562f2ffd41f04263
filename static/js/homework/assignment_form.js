// The assignment form: show the video length only for video work, the penalty fields only for the penalty
// policy; propose a chosen rubric's total as the points (unless the teacher typed their own) and say when
// the two differ; warn when weights are on and "No category" would make the assignment count 0 %.
(function () {
  "use strict";
  var gettext = window.Circles.i18n.gettext;
  var DEFAULT_POINTS = 100;  // the form's default (lms/homework/forms.py): not a value the teacher chose

  function format(value) { return String(Math.round(value * 100) / 100); }

  function rubricNotes(points, rubric, note) {
    var totals = {};
    try { totals = JSON.parse(note.getAttribute("data-rubric-points") || "{}"); } catch (e) { totals = {}; }
    // the teacher's own points: typed here, or saved different from the default
    var own = points.value !== "" && parseFloat(points.value) !== DEFAULT_POINTS;
    var filled = false;
    points.addEventListener("input", function () { own = true; filled = false; refresh(); });
    rubric.addEventListener("change", function () {
      var total = totals[rubric.value];
      if (total !== undefined && !own) { points.value = format(total); filled = true; }
      refresh();
    });
    function refresh() {
      var total = totals[rubric.value];
      var value = parseFloat(points.value);
      if (total === undefined) {
        note.hidden = true;
        return;
      }
      if (filled && value === total) {
        note.textContent = gettext("Points set to the rubric's total, %(rubric)s. Type other points to scale the rubric's scores to them.",
                                   { rubric: format(total) });
      } else if (!isNaN(value) && value !== total) {
        note.textContent = gettext("The rubric is worth %(rubric)s points and this assignment %(points)s: rubric scores will be scaled to the assignment's points (%(rubric)s of %(rubric)s = %(points)s). To keep the rubric's points, set Points to %(rubric)s.",
                                   { rubric: format(total), points: format(value) });
      } else {
        note.hidden = true;
        return;
      }
      note.hidden = false;
    }
    refresh();
  }

  function categoryNote(category, note) {
    var weight = note.getAttribute("data-uncategorised-weight");
    function refresh() {
      note.hidden = weight === null || parseFloat(weight) > 0 || category.value !== "0";
    }
    category.addEventListener("change", refresh);
    refresh();
  }

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

    var points = document.querySelector("input[data-assignment-points]");
    var rubric = document.querySelector("select[data-rubric-choice]");
    var rubricNote = document.querySelector("[data-rubric-note]");
    if (points && rubric && rubricNote) { rubricNotes(points, rubric, rubricNote); }
    var category = document.querySelector("select[data-category-choice]");
    var note = document.querySelector("[data-category-note]");
    if (category && note) { categoryNote(category, note); }
  });
})();
