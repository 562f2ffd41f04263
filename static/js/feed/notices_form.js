// The notice form (templates/feed/notices/form.html): shows the publish time only for "Publish at a set
// time", and for a must-read notice its deadline fields instead of the receipt level (it counts
// confirmations); once an attachment's upload exists, offers the Markdown that shows it in the text (a
// path on this site that checks the reader on every request) and a Remove button that takes the file
// out of this form; "Preview" shows the text as members will see it (the server renders and sanitizes it).
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
  var previewButton = form.querySelector("[data-notice-preview]");
  var previewBox = form.querySelector("[data-notice-preview-box]");
  if (previewButton && previewBox && window.fetch) {
    previewButton.hidden = false;
    previewButton.addEventListener("click", function () {
      var data = new FormData();
      data.append("csrf_token", (form.querySelector("input[name=csrf_token]") || {}).value || "");
      data.append("body_md", (form.querySelector("textarea[name=body_md]") || {}).value || "");
      previewButton.disabled = true;
      fetch(form.getAttribute("data-preview-url"), {
        method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      }).then(function (result) {
        previewBox.hidden = false;
        if (result.ok) {
          previewBox.innerHTML = result.json.html || "";  // rendered and sanitized by the server (nh3)
          if (!result.json.html) { previewBox.textContent = gettext("Nothing to preview yet."); }
        } else {
          previewBox.textContent = result.json.error || gettext("The text could not be previewed.");
        }
      }).catch(function () {
        previewBox.hidden = false;
        previewBox.textContent = gettext("The text could not be previewed.");
      }).then(function () { previewButton.disabled = false; });
    });
  }

  function addRemove(item) {
    if (item.querySelector("[data-remove-upload]")) { return; }
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link small danger";
    remove.setAttribute("data-remove-upload", "");
    remove.textContent = gettext("Remove");
    remove.addEventListener("click", function () {
      var root = item.closest("[data-uploader]");
      var widget = root && root.circlesUploader;
      var owner = widget ? widget.items.filter(function (it) { return it.el === item; })[0] : null;
      if (owner) {
        owner.discard();  // stops any transfer and takes its hidden file_id input with it
        widget.items = widget.items.filter(function (it) { return it !== owner; });
      } else {
        item.remove();
      }
    });
    item.appendChild(remove);
  }

  form.addEventListener("upload:state", function (event) {
    var state = event.detail || {};
    if (!state.id) { return; }
    var item = form.querySelector('.upload-item[data-media-id="' + Number(state.id) + '"]');
    if (!item) { return; }
    addRemove(item);
    if (item.querySelector("[data-insert]")) { return; }
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
