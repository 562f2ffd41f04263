// A circle's chat page (templates/chat/channel.html) over Socket.IO namespace /chat (lms/chat/events.py).
//
// The page joins the circle's chat when the connection opens (again after every reconnect, rebuilding the
// open channel from the server), hears every channel it may see (unread counts stay live) and shows the open
// one. Message HTML comes from the server, rendered from the Markdown-lite and sanitized by nh3; names and
// everything else people typed are written with textContent. The server checks every event. The root is
// marked `data-chat-ready` while the page is in the channel's room (browser tests wait for it).
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var i18n = Circles.i18n || { gettext: function (s) { return s; }, ngettext: function (a, b, n) { return n === 1 ? a : b; } };
  var gettext = i18n.gettext, ngettext = i18n.ngettext;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function button(text, cls, onClick, action) {
    var b = el("button", "small link" + (cls ? " " + cls : ""), text);
    b.type = "button";
    if (action) { b.setAttribute("data-action", action); }
    b.addEventListener("click", onClick);
    return b;
  }

  // "name: text" as the reader's language writes it (one message: Chinese takes its full-width colon), the name
  // being the node `name` (a link to the quoted message)
  function nameAndText(box, name, text) {
    var marker = "\u0001";
    var full = gettext("%(name)s: %(text)s", { name: marker, text: text });
    var at = full.indexOf(marker);
    box.textContent = "";
    if (at > 0) { box.appendChild(document.createTextNode(full.slice(0, at))); }
    box.appendChild(name);
    box.appendChild(document.createTextNode(at >= 0 ? full.slice(at + marker.length) : full));
  }

  // Times as the server writes them (lms.chat.hooks.chat_time, Babel's formats of the same names), in the
  // page's one zone and language: "time" a message (its day is the day line above the day's first message),
  // "day" that line, "datetime" a time with its date (until when a member is muted).
  var zoneMeta = document.querySelector('meta[name="time-zone"]');
  var TIME_STYLES = { time: { timeStyle: "short" }, day: { dateStyle: "full" },
                      datetime: { dateStyle: "short", timeStyle: "short" } };
  function when(iso, kind) {
    if (!iso) { return ""; }
    var options = Object.assign({ timeZone: zoneMeta ? zoneMeta.content : undefined }, TIME_STYLES[kind || "time"]);
    try {
      return new Date(iso).toLocaleString(i18n.locale ? i18n.locale() : undefined, options);
    } catch (e) { return new Date(iso).toLocaleString(); }
  }
  // the day of a time in the page's zone, "2026-12-01" (where the day lines go; lms.chat.hooks.chat_day)
  function dayOf(iso) {
    if (!iso) { return ""; }
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-US", { timeZone: zoneMeta ? zoneMeta.content : undefined, year: "numeric",
        month: "2-digit", day: "2-digit" }).formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
      return parts.year + "-" + parts.month + "-" + parts.day;
    } catch (e) { return iso.slice(0, 10); }
  }

  function Chat(root) {
    this.root = root;
    this.circleId = Number(root.dataset.circleId);
    this.channelId = Number(root.dataset.channelId);
    this.me = Number(root.dataset.me);
    this.staff = root.dataset.staff === "1";
    this.member = root.dataset.member === "1";
    this.list = root.querySelector("[data-chat-messages]");
    this.scroller = root.querySelector("[data-chat-scroll]");
    this.composer = root.querySelector("[data-chat-composer]");
    this.body = root.querySelector("[data-chat-body]");
    this.replyTo = null;
    this.editing = null;
    this.mentions = {};
    this.firstUnread = Number(root.dataset.firstUnread) || null;
    this.atLiveEnd = !root.dataset.around;
    this.readTimer = null;
    this.lastRead = 0;
    this.socket = window.io("/chat", Circles.socketOptions || {});
    // whatever puts messages in the list or takes them out (history, live, hidden ones), the day lines follow
    var self = this;
    new MutationObserver(function () { self.markDays(); }).observe(this.list, { childList: true });
    this.bind();
    this.bindPhone();
    this.bindMuting();
    this.listen();
  }

  Chat.prototype.q = function (selector) { return this.root.querySelector(selector); };

  Chat.prototype.notice = function (text) {
    var box = this.q("[data-chat-notice]");
    box.textContent = text || "";
    box.hidden = !text;
  };

  Chat.prototype.emit = function (event, data, done) {
    var self = this;
    data = data || {};
    if (data.channel_id === undefined) { data.channel_id = this.channelId; }
    this.socket.emit(event, data, function (reply) {
      reply = reply || { ok: false, error: gettext("Something went wrong. Try again.") };
      if (!reply.ok && reply.error) { self.notice(reply.error); }
      if (done) { done(reply); }
    });
  };

  // -- connection ------------------------------------------------------------------------------
  Chat.prototype.listen = function () {
    var self = this, s = this.socket;
    s.on("connect", function () { self.join(); });
    s.on("disconnect", function () {
      self.root.removeAttribute("data-chat-ready");
      if (!self.removed) { self.state(gettext("Connection lost. Reconnecting…")); }
    });
    s.on("message", function (d) { self.arrived(d.message); });
    s.on("message_changed", function (d) { self.changed(d.message); });
    s.on("message_removed", function (d) {
      var node = self.find(d.id);
      if (node) { node.remove(); }
      self.forgetQuotes(d.id);
    });
    s.on("pinned", function (d) { if (d.channel_id === self.channelId) { self.showPinned(d.message); } });
    s.on("settings", function (d) { if (d.channel_id === self.channelId) { self.showSettings(d); } });
    s.on("channel_closed", function (d) {
      if (d.channel_id === self.channelId) { self.close(gettext("This channel was closed.")); }
    });
    s.on("channel_renamed", function (d) {
      var entry = document.querySelector('[data-channel-link="' + Number(d.channel_id) + '"] .chat-channel-name');
      if (entry) { entry.textContent = "# " + d.name; }
      if (d.channel_id === self.channelId) { self.q("[data-chat-title]").textContent = d.name; }
    });
    // the person became staff or stopped being staff: the server took this page out of the rooms; join again
    s.on("rejoin", function () { if (!self.removed) { self.relisting = true; self.join(); } });
    // muted or unmuted anywhere (this chat, the review queue, the members page): every page of the person hears
    // it on the default namespace (lms.circles.operations.muting; static/js/core/socket.js dispatches it)
    document.addEventListener("socket:member_muted", function (event) {
      var d = event.detail || {};
      if (Number(d.circle_id) !== self.circleId || self.removed) { return; }
      self.showMuted(d.muted_until, d.reason);
      self.state(self.settingsText);
    });
    s.on("removed", function (d) {
      if (d.channel_id && d.channel_id !== self.channelId) { return; }
      if (self.removedFromCircle) { return; }
      self.close(gettext("You can no longer see this chat."));
    });
    // removed from the circle (lms.circles.operations.membership): said in the reader's words, the composer
    // stops sending but keeps what they typed, to read and copy
    document.addEventListener("socket:member_removed", function (event) {
      var d = event.detail || {};
      if (Number(d.circle_id) !== self.circleId) { return; }
      self.removedFromCircle = true;
      self.close(gettext("You were removed from %(circle)s by the staff. What you write here can no longer be sent.",
        { circle: d.circle || "" }));
    });
  };

  Chat.prototype.close = function (text) {
    this.removed = true;
    this.root.removeAttribute("data-chat-ready");
    this.root.setAttribute("data-chat-closed", "");
    this.list.textContent = "";
    this.notice(text);
    if (this.composer && this.body && this.body.value.trim()) {  // the unsent text stays, read-only
      this.body.readOnly = true;
      this.composer.setAttribute("data-chat-removed", "");
      this.composer.querySelectorAll("button, input:not([type=hidden]), select").forEach(function (field) { field.disabled = true; });
    } else if (this.composer) {
      this.composer.hidden = true;
    }
  };

  Chat.prototype.state = function (text) { this.q("[data-chat-state]").textContent = text || ""; };

  Chat.prototype.join = function () {
    var self = this;
    this.socket.emit("join", { circle_id: this.circleId }, function (reply) {
      if (!reply || !reply.ok) { self.close((reply && reply.error) || gettext("Something went wrong. Try again.")); return; }
      // asked to join again (a channel opened for the reader, or they were added to one): list what is new
      if (self.relisting) { reply.channels.forEach(function (c) { self.listChannel(c); }); self.relisting = false; }
      reply.channels.forEach(function (c) { self.setUnread(c.id, c.unread); });
      if (reply.me) { self.showMuted(reply.me.muted_until, reply.me.mute_reason); }
      self.open();
    });
  };

  Chat.prototype.open = function () {
    var self = this;
    var around = Number(this.root.dataset.around) || null;
    this.emit("open", {}, function (reply) {
      if (!reply.ok) { return; }
      self.firstUnread = reply.first_unread_id;
      self.showPinned(reply.pinned);
      self.showSettings(reply.settings);
      if (!around) {
        self.render(reply.messages, false);
        self.q("[data-load-older]").hidden = !reply.has_older;
        var first = self.firstUnread && self.find(self.firstUnread);
        if (first) { self.reveal(first, "center"); } else { self.toBottom(); }
      } else {
        self.emit("history", { after_id: around - 1 }, function (page) {
          if (!page.ok) { return; }
          self.render(page.messages, false);
          self.atLiveEnd = !page.full;
          self.q("[data-load-newer]").hidden = self.atLiveEnd;
          self.q("[data-load-older]").hidden = false;
          var target = self.find(around);
          if (target) { target.classList.add("is-target"); self.reveal(target, "center"); }
        });
      }
      self.q("[data-jump-unread]").hidden = !self.firstUnread;
      self.state(self.settingsText);
      self.root.setAttribute("data-chat-ready", "");
      self.markRead();
    });
  };

  // -- messages --------------------------------------------------------------------------------
  // A day line above the first message of each day (in the page's zone), as templates/chat/_message.html
  // writes it; none above the others.
  Chat.prototype.markDays = function () {
    var last = null;
    Array.from(this.list.children).forEach(function (li) {
      var time = li.querySelector(".chat-meta time");
      var day = dayOf(time ? time.getAttribute("datetime") : "");
      var line = li.querySelector(":scope > .chat-day");
      if (day && day !== last) {
        if (!line || line.getAttribute("data-chat-day") !== day) {
          if (line) { line.remove(); }
          line = el("p", "chat-day");
          line.setAttribute("data-chat-day", day);
          var stamp = el("time", null, when(time.getAttribute("datetime"), "day"));
          stamp.setAttribute("datetime", time.getAttribute("datetime"));
          stamp.setAttribute("data-chat-time", "day");
          line.appendChild(stamp);
          li.insertBefore(line, li.firstChild);
        }
      } else if (line) {
        line.remove();
      }
      last = day || last;
    });
  };

  Chat.prototype.find = function (id) { return this.list.querySelector('[data-message-id="' + id + '"]'); };

  Chat.prototype.render = function (messages, prepend) {
    var self = this;
    if (!prepend) { this.list.textContent = ""; }
    var anchor = prepend ? this.list.firstChild : null;
    messages.forEach(function (m) { self.list.insertBefore(self.build(m), anchor); });
  };

  Chat.prototype.build = function (m) {
    var self = this;
    var li = el("li", "chat-message");
    li.id = "m" + m.id;
    li.setAttribute("data-message-id", m.id);
    var mine = m.author && m.author.id === this.me;
    if (mine) { li.classList.add("mine"); }
    if (m.held) { li.classList.add("held"); }
    if (m.hidden) { li.classList.add("is-hidden"); }
    if (m.deleted) { li.classList.add("deleted"); }
    if (!m.deleted && (m.mentions || []).indexOf(this.me) >= 0) { li.classList.add("mentions-me"); }
    var meta = el("div", "chat-meta");
    meta.appendChild(el("span", "member-name", m.author ? m.author.name : "?"));
    if (m.author && m.author.staff) { meta.appendChild(el("span", "badge", gettext("Staff"))); }
    var time = el("time", "muted", when(m.at, "time"));
    time.setAttribute("datetime", m.at || "");
    time.setAttribute("data-chat-time", "time");
    meta.appendChild(time);
    if (m.edited && !m.deleted) { meta.appendChild(el("span", "muted chat-edited", gettext("(edited)"))); }
    if (m.hidden) {
      var hiddenBadge = el("span", "badge danger", gettext("Hidden by the staff: only the staff see it"));
      hiddenBadge.setAttribute("data-hidden-badge", "");
      meta.appendChild(hiddenBadge);
    }
    if (m.held) {
      meta.appendChild(el("span", "badge warn", gettext("Waiting for review")));
      meta.appendChild(el("span", "muted chat-held-why", m.held_reason === "first_post"
        ? gettext("A new member's first messages wait for the staff to approve them.")
        : gettext("It contains a word this circle's staff check first; they will approve it or tell you why not.")));
    }
    li.appendChild(meta);
    if (m.reply_to) {
      var quote = el("p", "chat-reply-quote");
      var link = el("a", null, m.reply_to.author || "?");
      link.href = "#m" + m.reply_to.id;
      nameAndText(quote, link, m.reply_to.excerpt !== null ? m.reply_to.excerpt : gettext("(message not available)"));
      li.appendChild(quote);
    }
    if (m.deleted) {
      li.appendChild(el("p", "chat-body muted", gettext("This message was deleted.")));
    } else {
      var body = el("div", "chat-body");
      body.innerHTML = m.html; // rendered by the server from chat's Markdown-lite and sanitized by nh3
      li.appendChild(body);
    }
    if (m.media && !m.deleted) { li.appendChild(this.attachment(m.media)); }
    if (!m.deleted && this.member && !this.removed) { li.appendChild(this.actions(m, mine)); }
    return li;
  };

  Chat.prototype.attachment = function (media) {
    var box = el("p", "chat-attachment");
    if (media.audio) {
      var audio = el("audio");
      audio.controls = true;
      audio.preload = "none";
      audio.src = media.url;
      box.appendChild(audio);
    } else if (media.kind === "video") {
      var video = el("video");
      video.controls = true;
      video.preload = "none";
      video.src = media.url;
      if (media.poster) { video.poster = media.poster; }
      box.appendChild(video);
    } else if (media.image) {
      var img = el("img", "chat-image");
      img.src = media.url;
      img.alt = media.name;
      img.loading = "lazy";
      box.appendChild(img);
    }
    var link = el("a", null, media.name);
    link.href = media.url;
    link.rel = "noopener";
    box.appendChild(link);
    if (!media.audio && media.kind !== "video" && !media.image) {
      // a file: what kind and how big, before opening it
      var dot = media.name.lastIndexOf(".");
      var facts = [];
      if (dot > 0) { facts.push(media.name.slice(dot + 1).toUpperCase()); }
      var format = Circles.uploads && Circles.uploads.formatBytes;
      if (format && media.bytes) { facts.push(format(media.bytes)); }
      if (facts.length) { box.appendChild(document.createTextNode(" ")); box.appendChild(el("span", "muted chat-file-facts", facts.join(" · "))); }
    }
    return box;
  };

  Chat.prototype.actions = function (m, mine) {
    var self = this;
    var bar = el("div", "chat-actions");
    if (!m.held) {
      bar.appendChild(button(gettext("Reply"), null, function () { self.startReply(m); }, "reply"));
    }
    if (mine && m.editable !== false && (m.editable || this.withinEdit(m))) {
      bar.appendChild(button(gettext("Edit"), null, function () { self.startEdit(m); }, "edit"));
    }
    if (this.staff || (mine && (m.deletable || this.withinEdit(m)))) {
      bar.appendChild(button(gettext("Delete"), "danger", function () {
        if (window.confirm(gettext("Delete this message?"))) { self.emit("delete", { message_id: m.id }); }
      }, "delete"));
    }
    if (this.staff && m.hidden && !m.deleted) {
      bar.appendChild(button(gettext("Show again"), null, function () { self.unhide(m.id); }, "unhide"));
    }
    if (this.staff && !m.held && !m.hidden) {
      bar.appendChild(button(m.pinned ? gettext("Unpin") : gettext("Pin"), null, function () {
        self.emit("pin", { message_id: m.pinned ? null : m.id });
      }, "pin"));
    }
    if (!mine && m.author) {
      var report = el("button", "small link", gettext("Report"));
      report.type = "button";
      report.setAttribute("data-report-kind", "chat_message");
      report.setAttribute("data-report-id", String(m.id));
      bar.appendChild(report);
    }
    if (!mine && m.author && (this.staff || m.author.staff || this.root.dataset.membersMessage === "1")) {
      bar.appendChild(button(gettext("Message directly"), null, function () { self.direct(m.author.id); }, "direct"));
    }
    if (this.staff && !mine && m.author && !m.author.staff && document.querySelector("[data-mute-dialog]")) {
      bar.appendChild(button(gettext("Mute"), null, function () { self.askMute(m.author); }, "mute"));
    }
    return bar;
  };

  // the staff show a hidden message again through the review queue's action (audited, the author told)
  Chat.prototype.unhide = function (messageId) {
    var self = this;
    var data = new FormData();
    data.append("csrf_token", this.root.dataset.csrf);
    data.append("reason", "");
    fetch("/c/" + this.circleId + "/moderation/chat_message/" + Number(messageId) + "/unhide", {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) { return response.json().catch(function () { return {}; }); })
      .then(function (reply) { if (!reply.ok) { self.notice(reply.message || gettext("Something went wrong. Try again.")); } })
      .catch(function () { self.notice(gettext("Something went wrong. Try again.")); });
  };

  // -- muting ------------------------------------------------------------------------------------
  // the staff's dialog: how long and why (a reason is required: the member reads it)
  Chat.prototype.askMute = function (author) {
    var dialog = document.querySelector("[data-mute-dialog]");
    this.muting = author;
    dialog.querySelector("[data-mute-title]").textContent = gettext("Mute %(name)s", { name: author.name });
    dialog.querySelector("[data-mute-reason]").value = "";
    dialog.querySelector("[data-mute-error]").hidden = true;
    dialog.showModal();
    dialog.querySelector("[data-mute-minutes]").focus();
  };

  Chat.prototype.bindMuting = function () {
    var self = this;
    var dialog = document.querySelector("[data-mute-dialog]");
    if (dialog) {
      var error = dialog.querySelector("[data-mute-error]");
      var reason = dialog.querySelector("[data-mute-reason]");
      dialog.querySelector("[data-mute-cancel]").addEventListener("click", function () { dialog.close(); });
      dialog.querySelector("[data-mute-form]").addEventListener("submit", function (event) {
        event.preventDefault();
        if (!reason.value.trim()) {
          error.textContent = gettext("Say why: the member reads the reason.");
          error.hidden = false;
          reason.focus();
          return;
        }
        var author = self.muting;
        self.socket.emit("mute_member", { channel_id: self.channelId, user_id: author.id,
          minutes: Number(dialog.querySelector("[data-mute-minutes]").value), reason: reason.value }, function (reply) {
          if (!reply || !reply.ok) {
            error.textContent = (reply && reply.error) || gettext("Something went wrong. Try again.");
            error.hidden = false;
            return;
          }
          dialog.close();
          self.notice("");
          self.state(gettext("%(name)s is muted.", { name: author.name }));
          self.listMuted(reply.member);
        });
      });
    }
    var list = this.q("[data-chat-muted-items]");
    if (list) {
      list.addEventListener("click", function (event) {
        var target = event.target.closest("[data-unmute]");
        if (!target) { return; }
        self.emit("mute_member", { user_id: Number(target.dataset.unmute), minutes: 0, reason: "" }, function (reply) {
          if (reply.ok) { self.unlistMuted(reply.member.id); self.state(gettext("%(name)s can write again.", { name: reply.member.name })); }
        });
      });
    }
  };

  Chat.prototype.listMuted = function (member) {
    var list = this.q("[data-chat-muted-items]");
    if (!list) { return; }
    this.unlistMuted(member.id);
    var item = el("li");
    item.setAttribute("data-muted-user", String(member.id));
    item.appendChild(el("span", null, gettext("%(name)s, until %(at)s: %(reason)s",
      { name: member.name, at: when(member.muted_until, "datetime"), reason: member.reason || "—" })));
    item.appendChild(document.createTextNode(" "));
    var unmute = el("button", "small", gettext("Unmute"));
    unmute.type = "button";
    unmute.setAttribute("data-unmute", String(member.id));
    item.appendChild(unmute);
    list.appendChild(item);
    var details = this.q("[data-chat-muted-list]");
    details.hidden = false;
    details.open = true;
  };

  Chat.prototype.unlistMuted = function (userId) {
    var list = this.q("[data-chat-muted-items]");
    if (!list) { return; }
    var item = list.querySelector('[data-muted-user="' + Number(userId) + '"]');
    if (item) { item.remove(); }
    this.q("[data-chat-muted-list]").hidden = !list.children.length;
  };

  // the reader is muted (or no longer): the composer waits, and says until when and why
  Chat.prototype.showMuted = function (until, reason) {
    var box = this.q("[data-chat-muted]");
    if (!box || !this.composer || this.staff) { return; }
    var self = this;
    var left = until ? new Date(until).getTime() - Date.now() : 0;
    var muted = left > 0;
    clearTimeout(this.muteTimer);
    if (muted && left < 2147483647) { // the mute runs out while the page is open: the composer opens again
      this.muteTimer = setTimeout(function () { self.showMuted(null, ""); }, left + 500);
    }
    box.textContent = muted ? gettext("You are muted in this circle until %(at)s. Reason: %(reason)s",
      { at: when(until, "datetime"), reason: reason || "—" }) : "";
    box.hidden = !muted;
    this.body.disabled = muted;
    this.q("[data-chat-send]").disabled = muted;
  };

  // a direct conversation opens through the page's route (a POST with the page's CSRF token)
  Chat.prototype.direct = function (userId) {
    var form = el("form");
    form.method = "post";
    form.action = this.root.dataset.directUrl.replace(/\/0$/, "/" + userId);
    var token = el("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = this.root.dataset.csrf;
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  };

  Chat.prototype.withinEdit = function (m) {
    return m.at && (Date.now() - new Date(m.at).getTime()) < 15 * 60 * 1000;
  };

  Chat.prototype.nearBottom = function () {
    var s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  };

  Chat.prototype.toBottom = function () { this.scroller.scrollTop = this.scroller.scrollHeight; };

  // scroll the message list alone (scrollIntoView would scroll the page too, moving the chat off the screen)
  Chat.prototype.reveal = function (node, where) {
    var s = this.scroller;
    var offset = node.getBoundingClientRect().top - s.getBoundingClientRect().top;
    if (where === "center") { offset -= (s.clientHeight - node.offsetHeight) / 2; }
    s.scrollTop += offset;
  };

  Chat.prototype.arrived = function (m) {
    if (m.channel_id !== this.channelId) {
      if (!m.author || m.author.id !== this.me) { this.bumpUnread(m.channel_id); }
      return;
    }
    if (this.removed) { return; }
    var existing = this.find(m.id);
    if (existing) { existing.replaceWith(this.build(m)); return; }
    if (!this.atLiveEnd) { this.q("[data-load-newer]").hidden = false; return; }
    var stick = this.nearBottom() || (m.author && m.author.id === this.me);
    this.list.appendChild(this.build(m));
    if (m.author && m.author.id !== this.me) {
      this.q("[data-chat-announce]").textContent = gettext("%(name)s: %(text)s",
        { name: m.author.name, text: (m.text || "").slice(0, 140) });
    }
    if (stick) { this.toBottom(); this.markRead(); }
  };

  Chat.prototype.changed = function (m) {
    if (m.deleted) { this.forgetQuotes(m.id); }
    var node = this.find(m.id);
    if (node) { node.replaceWith(this.build(m)); }
    else if (m.channel_id === this.channelId && this.atLiveEnd && !m.deleted) {
      // a message that was held and is now approved, or shown again: in its place by id
      var later = Array.from(this.list.children).find(function (li) { return Number(li.dataset.messageId) > m.id; });
      this.list.insertBefore(this.build(m), later || null);
    }
  };

  // replies quoting a message that is deleted or hidden no longer show its words
  Chat.prototype.forgetQuotes = function (id) {
    Array.from(this.list.querySelectorAll('.chat-reply-quote a[href="#m' + id + '"]')).forEach(function (link) {
      nameAndText(link.parentNode, link, gettext("(message not available)"));
    });
  };

  // -- unread ----------------------------------------------------------------------------------
  Chat.prototype.setUnread = function (channelId, count) {
    var badge = document.querySelector('[data-unread="' + channelId + '"]');
    if (!badge) { return; }
    badge.dataset.count = String(count);
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.setAttribute("aria-label", ngettext("%(num)d unread message", "%(num)d unread messages", count));
    badge.hidden = !count;
    this.drawerUnread();
  };

  // a channel the page does not list yet (opened, or the reader added to it, since the page loaded)
  Chat.prototype.listChannel = function (c) {
    var list = document.querySelector("[data-chat-channels] ul");
    if (!list || document.querySelector('[data-channel-link="' + Number(c.id) + '"]')) { return; }
    var link = el("a");
    link.href = "/c/" + this.circleId + "/chat/" + Number(c.id);
    link.setAttribute("data-channel-link", String(c.id));
    link.appendChild(el("span", "chat-channel-name", (c.kind === "direct" ? "@ " : c.kind === "channel" ? "# " : "") + c.name));
    var badge = el("span", "badge chat-unread");
    badge.setAttribute("data-unread", String(c.id));
    badge.hidden = true;
    link.appendChild(badge);
    var item = el("li");
    item.appendChild(link);
    list.appendChild(item);
  };

  // the phone's "Channels" button counts what waits in the other channels
  Chat.prototype.drawerUnread = function () {
    var total = 0, self = this;
    document.querySelectorAll("[data-unread]").forEach(function (b) {
      if (Number(b.dataset.unread) !== self.channelId) { total += Number(b.dataset.count || b.textContent) || 0; }
    });
    var badge = this.q("[data-drawer-unread]");
    if (!badge) { return; }
    badge.textContent = total > 99 ? "99+" : String(total);
    badge.setAttribute("aria-label", ngettext("%(num)d unread message", "%(num)d unread messages", total));
    badge.hidden = !total;
  };

  // -- the phone's layout ------------------------------------------------------------------------
  Chat.prototype.bindPhone = function () {
    var self = this;
    var layout = document.querySelector("[data-chat-layout]");
    var opener = this.q("[data-chat-drawer-open]");
    var side = document.querySelector("[data-chat-side]");
    function drawer(open) {
      if (!layout || !opener) { return; }
      layout.classList.toggle("drawer-open", open);
      opener.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) { var current = side.querySelector("[aria-current=page]") || side.querySelector("a"); if (current) { current.focus(); } }
      else { opener.focus(); }
    }
    if (opener) { opener.addEventListener("click", function () { drawer(true); }); }
    var closer = document.querySelector("[data-chat-drawer-close]");
    if (closer) { closer.addEventListener("click", function () { drawer(false); }); }
    if (side) {
      side.addEventListener("keydown", function (event) { if (event.key === "Escape") { drawer(false); } });
    }
    // the on-screen keyboard shrinks the visual viewport (not the layout one on iOS): the full-height view
    // follows it, so the composer stays right above the keyboard and the newest message stays in sight
    var viewport = window.visualViewport;
    var phone = window.matchMedia ? window.matchMedia("(max-width: 720px)") : { matches: false };
    var toChat = function () {  // the chat fills the screen; the circle's header and tabs are a scroll up
      if (phone.matches) { window.scrollTo(0, self.root.getBoundingClientRect().top + window.scrollY); }
    };
    if (viewport) {
      // the chat takes the whole visible screen (the list most of it, as in a messaging app); the circle's
      // header and tabs are a scroll up, and the chat's own head keeps "‹" back to the circle and the channels
      var fit = function () {
        var bottom = self.nearBottom();
        var typing = self.body && document.activeElement === self.body;
        self.root.style.setProperty("--chat-height", Math.max(viewport.height, Math.min(320, viewport.height)) + "px");
        if (typing) { toChat(); }
        if (bottom) { self.toBottom(); }
      };
      viewport.addEventListener("resize", fit);
      if (this.body) {
        this.body.addEventListener("focus", fit);
        this.body.addEventListener("blur", function () { setTimeout(fit, 0); });
      }
      fit();
      if (!window.location.hash) { toChat(); }
    }
    this.phoneHead(phone);
    this.drawerUnread();
  };

  // On a phone the head stays one line: the search waits behind its button (a first tap opens the field), and the
  // pinned message is one line that a tap (or Enter) opens whole and closes again.
  Chat.prototype.phoneHead = function (phone) {
    var search = this.root.querySelector(".chat-head .chat-search");
    var input = search && search.querySelector("input[type=search]");
    var collapse = function () {
      if (!search) { return; }
      search.classList.toggle("is-collapsed", phone.matches && !input.value && document.activeElement !== input);
    };
    if (search) {
      search.addEventListener("submit", function (event) {
        if (search.classList.contains("is-collapsed") || !input.value.trim()) {
          event.preventDefault();
          search.classList.remove("is-collapsed");
          input.focus();
        }
      });
      input.addEventListener("blur", function () { setTimeout(collapse, 150); });
      collapse();
      if (phone.addEventListener) { phone.addEventListener("change", collapse); }
    }
    var pinned = this.root.querySelector("[data-chat-pinned]");
    if (pinned) {
      pinned.setAttribute("role", "button");
      pinned.setAttribute("tabindex", "0");
      pinned.setAttribute("aria-expanded", "false");
      var toggle = function (event) {
        if (event.target.closest("a")) { return; }
        var open = !pinned.classList.contains("is-open");
        pinned.classList.toggle("is-open", open);
        pinned.setAttribute("aria-expanded", open ? "true" : "false");
      };
      pinned.addEventListener("click", toggle);
      pinned.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(event); }
      });
    }
  };

  Chat.prototype.bumpUnread = function (channelId) {
    var badge = document.querySelector('[data-unread="' + channelId + '"]');
    if (badge) { this.setUnread(channelId, (Number(badge.dataset.count) || 0) + 1); }
  };

  Chat.prototype.markRead = function () {
    var self = this;
    if (this.readTimer || document.hidden || !this.atLiveEnd || !this.nearBottom()) { return; }
    this.readTimer = setTimeout(function () {
      self.readTimer = null;
      var last = self.list.lastElementChild;
      var id = last ? Number(last.dataset.messageId) : 0;
      if (!id || id <= self.lastRead) { return; }
      self.emit("read", { last_id: id }, function (reply) {
        if (!reply.ok) { return; }
        self.lastRead = reply.last_read_id;
        self.setUnread(self.channelId, reply.unread);
        document.dispatchEvent(new CustomEvent("chat:read"));
        if (!reply.unread) { self.firstUnread = null; self.q("[data-jump-unread]").hidden = true; }
      });
    }, 300);
  };

  // -- pinned and settings -----------------------------------------------------------------------
  Chat.prototype.showPinned = function (m) {
    var box = this.q("[data-chat-pinned]");
    box.hidden = !m;
    this.q("[data-chat-pinned-text]").textContent = m ? gettext("%(name)s: %(text)s", { name: m.author ? m.author.name : "?", text: m.plain || m.text }) : "";
    Array.from(this.list.children).forEach(function (li) { li.classList.remove("is-pinned"); });
    if (m) { var node = this.find(m.id); if (node) { node.classList.add("is-pinned"); } }
  };

  Chat.prototype.showSettings = function (d) {
    var parts = [];
    if (d.all_muted) { parts.push(gettext("Only the staff can write here for now.")); }
    if (d.slow_mode_seconds) {
      parts.push(ngettext("Slow mode: one message every %(num)d second.", "Slow mode: one message every %(num)d seconds.", d.slow_mode_seconds));
    }
    this.settingsText = parts.join(" ");
    this.state(this.settingsText);
    // a refusal shown while only the staff could write is stale once they let everyone write again
    if (!d.all_muted && this.allMutedBefore) { this.notice(""); }
    this.allMutedBefore = Boolean(d.all_muted);
    var mute = this.q("[data-mute-all]");
    if (mute) { mute.checked = !!d.all_muted; }
    var slow = this.q("[data-slow-mode]");
    if (slow) { slow.value = String(d.slow_mode_seconds); }
  };

  // -- composing -------------------------------------------------------------------------------
  Chat.prototype.startReply = function (m) {
    this.cancelEdit();
    this.replyTo = m.id;
    var box = this.q("[data-replying]");
    this.q("[data-replying-text]").textContent = gettext("Replying to %(name)s", { name: m.author ? m.author.name : "?" });
    box.hidden = false;
    this.body.focus();
  };

  Chat.prototype.cancelReply = function () { this.replyTo = null; if (this.composer) { this.q("[data-replying]").hidden = true; } };

  Chat.prototype.startEdit = function (m) {
    this.cancelReply();
    this.editing = m.id;
    this.body.value = m.text;
    this.q("[data-editing]").hidden = false;
    this.body.focus();
  };

  Chat.prototype.cancelEdit = function () {
    if (this.editing && this.body) { this.body.value = ""; }
    this.editing = null;
    if (this.composer) { this.q("[data-editing]").hidden = true; }
  };

  Chat.prototype.attachmentId = function () {
    var input = this.composer.querySelector('input[type=hidden][name="chat_file"], input[type=hidden][name="chat_clip"]');
    return input ? Number(input.value) || null : null;
  };

  // an attachment still uploading or being processed (the uploader's item says its state): a message sent now
  // would show it as what it was received as (a voice clip as a video), so it waits
  Chat.prototype.attachmentPending = function () {
    return Boolean(this.composer.querySelector('.uploader-items [data-media-id]:not([data-state="ready"]):not([data-state="failed"])'));
  };

  Chat.prototype.clearAttachments = function () {
    Array.from(this.composer.querySelectorAll(".uploader-items > *")).forEach(function (node) { node.remove(); });
  };

  Chat.prototype.send = function () {
    var self = this;
    var text = this.body.value;
    if (this.editing) {
      this.emit("edit", { message_id: this.editing, body: text }, function (reply) { if (reply.ok) { self.cancelEdit(); self.notice(""); } });
      return;
    }
    var mentions = Object.keys(this.mentions).filter(function (name) { return text.indexOf("@" + name) >= 0; })
      .map(function (name) { return self.mentions[name]; });
    var mediaId = this.attachmentId();
    if (!text.trim() && !mediaId) { return; }
    if (mediaId && this.attachmentPending()) {
      this.notice(gettext("The attachment is still being processed. Send it once it is ready."));
      return;
    }
    var button = this.q("[data-chat-send]");
    button.disabled = true;
    this.emit("send", { body: text, reply_to: this.replyTo, media_id: mediaId, mentions: mentions }, function (reply) {
      button.disabled = false;
      if (!reply.ok) { return; }
      self.notice("");
      // what was typed while it was on its way is the next message: only the words sent leave the box
      if (self.body.value === text) { self.body.value = ""; }
      self.mentions = {};
      self.cancelReply();
      self.clearAttachments();
      if (!self.find(reply.message.id)) { self.arrived(reply.message); }
      self.body.focus();
    });
  };

  // @mentions: "@" and a few letters before the caret ask the server for members whose name holds them (any part,
  // any script: "@浩" finds 李浩然). The list is a listbox: arrows move, Enter or Tab picks, Escape closes; only
  // the newest answer counts (an older one arriving late never replaces it).
  Chat.prototype.mentionQuery = function () {
    var before = this.body.value.slice(0, this.body.selectionStart);
    var match = /(^|[^\w@])@([^\s@]{0,30})$/.exec(before);
    return match ? match[2] : null;
  };

  Chat.prototype.mentionOptions = function () {
    return Array.from(this.q("[data-mention-list]").querySelectorAll("[role=option]"));
  };

  Chat.prototype.mentionOpen = function () {
    var list = this.q("[data-mention-list]");
    return !list.hidden && this.mentionOptions().length > 0;
  };

  Chat.prototype.closeMentions = function () {
    var list = this.q("[data-mention-list]");
    list.hidden = true;
    list.textContent = "";
    this.mentionActive = -1;
    this.body.setAttribute("aria-expanded", "false");
    this.body.removeAttribute("aria-activedescendant");
  };

  Chat.prototype.moveMention = function (step) {
    var options = this.mentionOptions();
    if (!options.length) { return; }
    this.mentionActive = (this.mentionActive + step + options.length) % options.length;
    options.forEach(function (option, i) { option.setAttribute("aria-selected", i === this.mentionActive ? "true" : "false"); }, this);
    this.body.setAttribute("aria-activedescendant", options[this.mentionActive].id);
    options[this.mentionActive].scrollIntoView({ block: "nearest" });
  };

  Chat.prototype.suggest = function () {
    var self = this;
    var text = this.mentionQuery();
    var asked = this.mentionAsked = (this.mentionAsked || 0) + 1;
    if (text === null) { this.closeMentions(); return; }
    this.socket.emit("members", { channel_id: this.channelId, text: text }, function (reply) {
      if (asked !== self.mentionAsked) { return; } // a later keystroke asked again
      var list = self.q("[data-mention-list]");
      self.closeMentions();
      if (!reply || !reply.ok || self.mentionQuery() === null) { return; }
      reply.members.forEach(function (member) {
        if (member.id === self.me) { return; }
        var item = el("li", "chat-mention-option", member.name);
        item.id = "chat-mention-" + member.id;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.userId = String(member.id);
        item.setAttribute("data-action", "mention");
        // mousedown, not click: the textarea keeps the focus and the caret
        item.addEventListener("mousedown", function (event) { event.preventDefault(); self.pickMention(member); });
        list.appendChild(item);
      });
      self.mentionMembers = reply.members;
      if (list.children.length) {
        list.hidden = false;
        self.body.setAttribute("aria-expanded", "true");
        self.moveMention(1);
      }
    });
  };

  Chat.prototype.pickActiveMention = function () {
    var options = this.mentionOptions();
    var option = options[this.mentionActive] || options[0];
    var id = option ? Number(option.dataset.userId) : null;
    var member = (this.mentionMembers || []).filter(function (m) { return m.id === id; })[0];
    if (member) { this.pickMention(member); }
  };

  Chat.prototype.pickMention = function (member) {
    var caret = this.body.selectionStart;
    var before = this.body.value.slice(0, caret).replace(/@([^\s@]{0,30})$/, "@" + member.name + " ");
    this.body.value = before + this.body.value.slice(caret);
    this.mentions[member.name] = member.id;
    this.mentionAsked = (this.mentionAsked || 0) + 1;
    this.closeMentions();
    this.body.focus();
    this.body.setSelectionRange(before.length, before.length);
  };

  // -- history ---------------------------------------------------------------------------------
  Chat.prototype.loadOlder = function () {
    var self = this;
    var first = this.list.firstElementChild;
    if (!first || this.loading) { return; }
    this.loading = true;
    this.emit("history", { before_id: Number(first.dataset.messageId) }, function (reply) {
      self.loading = false;
      if (!reply.ok) { return; }
      var height = self.scroller.scrollHeight;
      self.render(reply.messages, true);
      self.scroller.scrollTop += self.scroller.scrollHeight - height; // stay where the reader was
      self.q("[data-load-older]").hidden = !reply.full;
    });
  };

  Chat.prototype.loadNewer = function () {
    var self = this;
    var last = this.list.lastElementChild;
    if (this.loading) { return; }
    this.loading = true;
    this.emit("history", { after_id: last ? Number(last.dataset.messageId) : 0 }, function (reply) {
      self.loading = false;
      if (!reply.ok) { return; }
      reply.messages.forEach(function (m) { if (!self.find(m.id)) { self.list.appendChild(self.build(m)); } });
      self.atLiveEnd = !reply.full;
      self.q("[data-load-newer]").hidden = self.atLiveEnd;
      self.markRead();
    });
  };

  Chat.prototype.jumpToUnread = function () {
    var self = this;
    if (!this.firstUnread) { return; }
    var node = this.find(this.firstUnread);
    if (node) { this.reveal(node, "start"); node.classList.add("is-target"); return; }
    this.emit("history", { after_id: this.firstUnread - 1 }, function (reply) {
      if (!reply.ok) { return; }
      self.render(reply.messages, false);
      self.atLiveEnd = !reply.full;
      self.q("[data-load-newer]").hidden = self.atLiveEnd;
      self.q("[data-load-older]").hidden = false;
      var target = self.find(self.firstUnread);
      if (target) { self.reveal(target, "start"); target.classList.add("is-target"); }
    });
  };

  // -- controls --------------------------------------------------------------------------------
  Chat.prototype.bind = function () {
    var self = this;
    // the messages the server rendered get their actions once the page knows who may do what
    this.q("[data-load-older]").addEventListener("click", function () { self.loadOlder(); });
    this.q("[data-load-newer]").addEventListener("click", function () { self.loadNewer(); });
    this.q("[data-jump-unread]").addEventListener("click", function () { self.jumpToUnread(); });
    this.scroller.addEventListener("scroll", function () {
      if (self.scroller.scrollTop < 40 && !self.q("[data-load-older]").hidden) { self.loadOlder(); }
      if (self.nearBottom()) { self.markRead(); }
    });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { self.markRead(); } });
    if (this.composer) {
      this.composer.addEventListener("submit", function (event) { event.preventDefault(); self.send(); });
      this.body.addEventListener("keydown", function (event) {
        if (event.isComposing) { return; } // an input method is still choosing characters
        if (self.mentionOpen()) {
          if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            event.preventDefault();
            self.moveMention(event.key === "ArrowDown" ? 1 : -1);
            return;
          }
          if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
            event.preventDefault();
            self.pickActiveMention();
            return;
          }
          if (event.key === "Escape") { event.preventDefault(); self.closeMentions(); return; }
        }
        if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); self.send(); }
        if (event.key === "Escape") { self.cancelReply(); self.cancelEdit(); }
      });
      this.body.addEventListener("blur", function () { self.closeMentions(); });
      this.body.setAttribute("aria-controls", "chat-mention-list");
      this.body.setAttribute("aria-autocomplete", "list");
      this.body.addEventListener("input", function () { self.suggest(); });
      this.q("[data-cancel-reply]").addEventListener("click", function () { self.cancelReply(); });
      this.q("[data-cancel-edit]").addEventListener("click", function () { self.cancelEdit(); });
    }
    var mute = this.q("[data-mute-all]");
    if (mute) { mute.addEventListener("change", function () { self.emit("mute_all", { on: mute.checked }); }); }
    var slow = this.q("[data-slow-mode]");
    if (slow) { slow.addEventListener("change", function () { self.emit("slow_mode", { seconds: Number(slow.value) }); }); }
  };

  function start() {
    var root = document.querySelector("[data-chat]");
    if (root && typeof window.io === "function") { Circles.chat = new Chat(root); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
