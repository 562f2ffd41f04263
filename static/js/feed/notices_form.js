// The notice form (templates/feed/notices/form.html): shows the publish time only for "Publish at a set
// time", and for a must-read notice its deadline fields instead of the receipt level (it counts
// confirmations); once an attachment's upload exists, offers the Markdown that shows it in the text (a
// path on this site that checks the reader on every request).
(function () {
  "use strict";
  var gettext = window.Circles && window.Circles.i18n ? window.Circles.i18n.gettext : function (s) { return s; };
  var form = document.querySelector("[data-notice-form]");
  if (!form) { return; }
  var when = form.querySelector("[data-notice-when]");
  var mustRead = form.querySelector("[data-notice-must-read]");
  var later = form.querySelector("[data-when-later]");
  var deadline = form.querySelector("[data-when-must-read]");
  var level = form.querySelector("[data-receipt-level]");

  function sync() {
    if (when && later) { later.hidden = when.value !== "later"; }
    if (mustRead && deadline) { deadline.hidden = !mustRead.checked; }
    if (mustRead && level) { level.hidden = mustRead.checked; }  // a must-read notice is read once confirmed
  }
  if (when) { when.addEventListener("change", sync); }
  if (mustRead) { mustRead.addEventListener("change", sync); }
  sync();

  var fileUrl = form.getAttribute("data-file-url");  // ends in /0: the media id goes there
  form.addEventListener("upload:state", function (event) {
    var state = event.detail || {};
    if (!state.id) { return; }
    var item = form.querySelector('.upload-item[data-media-id="' + Number(state.id) + '"]');
    if (!item || item.querySelector("[data-insert]")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link small";
    button.setAttribute("data-insert", "");
    button.textContent = gettext("Insert in the text");
    button.addEventListener("click", function () {
      var body = form.querySelector("textarea");
      var name = (item.querySelector(".upload-name") || {}).textContent || "";
      var snippet = "![" + name.replace(/[\[\]]/g, "") + "](" + fileUrl.replace(/\/0$/, "/" + Number(state.id)) + ")";
      var at = body.selectionStart || body.value.length;
      body.value = body.value.slice(0, at) + snippet + body.value.slice(at);
      body.focus();
    });
    item.appendChild(button);
  });
})();
