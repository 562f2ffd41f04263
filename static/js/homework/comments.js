// Comments pinned to moments of a video (templates/homework/_video_comments.html): list by time,
// each time a [data-seek] button for the player in the same [data-player-scope]; the add form pins
// to the player's current time; markers on the player's timeline; edit and delete one's own.
(function () {
  "use strict";
  var gettext = window.Circles.i18n.gettext;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(Number(seconds) || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = String(seconds % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
  }

  // In the page's one zone (<meta name="time-zone">), as the server renders the same list, not the browser's.
  function localTime(iso) {
    var lang = document.documentElement.lang || undefined, options = { dateStyle: "short", timeStyle: "short" };
    var zone = document.querySelector('meta[name="time-zone"]');
    try {
      return new Date(iso).toLocaleString(lang, Object.assign({ timeZone: (zone && zone.content) || undefined }, options));
    } catch (e) { // a zone this browser does not know
      return new Date(iso).toLocaleString(lang, options);
    }
  }

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 204) { return {}; }
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var message = json && json.error && (typeof json.error === "string" ? json.error : json.error.message);
          throw new Error(message || "");
        }
        return json;
      });
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function setup(root) {
    var url = root.dataset.url;
    var list = root.querySelector("[data-comment-list]");
    var form = root.querySelector("[data-comment-form]");
    var scope = root.closest("[data-player-scope]") || document;
    var comments = [];

    function player() {
      var node = scope.querySelector("[data-player]");
      return node && node.circlesPlayer;
    }

    function atLabel(seconds) { return gettext("at %(time)s", { time: clock(seconds) }); }

    function markers() {
      var p = player();
      if (!p || !p.setMarkers) { return; }
      p.setMarkers(comments.filter(function (c) { return c.at_seconds !== null; })
        .map(function (c) { return { at: c.at_seconds, label: gettext("%(label)s: %(value)s", { label: c.author.name, value: c.body.slice(0, 80) }) }; }));
    }

    function render() {
      list.textContent = "";
      if (!comments.length) { list.appendChild(el("li", "muted", gettext("No comments yet."))); }
      comments.forEach(function (c) { list.appendChild(item(c)); });
      markers();
    }

    function item(c) {
      var li = el("li", "comment comment-" + c.kind);
      li.dataset.commentId = c.id;
      var head = el("div", "comment-head");
      if (c.at_seconds !== null) {
        var seek = el("button", "seek", clock(c.at_seconds));
        seek.type = "button";
        seek.dataset.seek = String(c.at_seconds);
        head.appendChild(seek);
      }
      head.appendChild(el("strong", "comment-author", c.author.name));
      if (c.kind === "feedback") { head.appendChild(el("span", "badge", gettext("Feedback"))); }
      head.appendChild(el("span", "muted", localTime(c.created_at) + (c.updated_at ? " · " + gettext("edited") : "")));
      if (c.hidden) { head.appendChild(el("span", "badge", gettext("Hidden or waiting for review; others do not see it"))); }
      if (!c.author.is_me && !c.hidden && document.documentElement.hasAttribute("data-report-ready")) {
        // the Report dialog (static/js/report.js, included by the page) opens from any such button
        var report = el("button", "link small", gettext("Report"));
        report.type = "button";
        report.setAttribute("data-report-kind", "video_comment");
        report.setAttribute("data-report-id", String(c.id));
        head.appendChild(report);
      }
      li.appendChild(head);
      var body = el("div", "comment-body prose");
      body.innerHTML = c.html; // rendered and sanitized by the server (Markdown + nh3)
      li.appendChild(body);
      if (c.can_edit || c.can_delete) {
        var actions = el("div", "comment-actions");
        if (c.can_edit) {
          var edit = el("button", "link small", gettext("Edit"));
          edit.type = "button";
          edit.addEventListener("click", function () { editor(li, body, c); });
          actions.appendChild(edit);
        }
        if (c.can_delete) {
          var del = el("button", "link small danger", gettext("Delete"));
          del.type = "button";
          del.addEventListener("click", function () {
            if (!window.confirm(gettext("Delete this comment?"))) { return; }
            request("DELETE", url + "/" + c.id).then(load, function (e) { alert(e.message || gettext("The comment could not be saved. Check your connection and try again.")); });
          });
          actions.appendChild(del);
        }
        li.appendChild(actions);
      }
      return li;
    }

    function editor(li, body, c) {
      var box = el("form", "comment-edit");
      var area = el("textarea");
      area.value = c.body;
      area.rows = 3;
      area.maxLength = 5000;
      var save = el("button", "primary small", gettext("Save"));
      save.type = "submit";
      var cancel = el("button", "small", gettext("Cancel"));
      cancel.type = "button";
      var error = el("p", "error");
      error.hidden = true;
      box.append(area, save, cancel, error);
      body.replaceWith(box);
      area.focus();
      cancel.addEventListener("click", render);
      box.addEventListener("submit", function (event) {
        event.preventDefault();
        save.disabled = true;
        request("PATCH", url + "/" + c.id, { body: area.value }).then(load, function (e) {
          save.disabled = false;
          error.textContent = e.message || gettext("The comment could not be saved. Check your connection and try again.");
          error.hidden = false;
        });
      });
    }

    function load() {
      return request("GET", url).then(function (json) {
        comments = json.comments || [];
        render();
      }, function () { /* keep the list the page was rendered with */ });
    }

    if (form) {
      var pin = form.querySelector("[data-pin]");
      var pinLabel = form.querySelector("[data-pin-label]");
      var error = form.querySelector("[data-comment-error]");
      var button = form.querySelector("button[type=submit]");
      scope.addEventListener("player:timeupdate", function (event) {
        if (pinLabel) { pinLabel.textContent = atLabel(event.detail.time); }
      });
      scope.addEventListener("player:ready", markers);
      if (pin && !scope.querySelector("[data-player]")) { pin.checked = false; pin.closest("label").hidden = true; }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var p = player();
        var body = form.elements.body.value;
        if (!body.trim()) { return; }
        var at = pin && pin.checked && p ? Math.round(p.currentTime() * 100) / 100 : null;
        button.disabled = true;
        error.hidden = true;
        request("POST", url, { body: body, at_seconds: at }).then(function () {
          form.reset();
          if (pinLabel) { pinLabel.textContent = atLabel(p ? p.currentTime() : 0); }
          return load();
        }, function (e) {
          error.textContent = e.message || gettext("The comment could not be saved. Check your connection and try again.");
          error.hidden = false;
        }).then(function () { button.disabled = false; });
      });
    }
    load();
    watch(root, load);
  }

  // Others' new, changed and removed comments appear without a reload: the server says only that
  // the list changed (namespace /homework), and the page asks for what it may see. While the page is
  // in the submission's room, the list carries `data-socket-ready` (what a test waits for).
  function watch(root, load) {
    var ids = {
      circle_id: root.getAttribute("data-circle-id"),
      assignment_id: root.getAttribute("data-assignment-id"),
      submission_id: root.getAttribute("data-submission-id")
    };
    if (!ids.submission_id || typeof window.io !== "function") { return; }
    var channel = window.io("/homework", (window.Circles && window.Circles.socketOptions) || {});
    var first = true;
    channel.on("connect", function () {
      channel.emit("watch", ids, function (reply) {
        if (reply && reply.ok) { root.setAttribute("data-socket-ready", ""); }
      });
      if (!first) { load(); } // changes missed while disconnected
      first = false;
    });
    channel.on("disconnect", function () { root.removeAttribute("data-socket-ready"); });
    channel.on("comments_changed", function (data) {
      if (data && String(data.submission_id) === String(ids.submission_id)) { load(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-video-comments]").forEach(setup);
  });
})();
