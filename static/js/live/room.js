// The lesson's room beside the video (templates/live/_room_panel.html): chat, questions, raised hands,
// likes, the poll and, for hosts, moderation, over Socket.IO namespace /live (lms/live/events.py).
//
// Everything people typed is written with textContent (never as HTML). The page joins the lesson when
// the connection opens (again after every reconnect, rebuilding what it shows from the server's state),
// sends a heartbeat every 30 s (a background tab too: it counts as watching), and marks the panel
// `data-room-ready` while it is in the room (what browser tests wait for). The server checks every event;
// the host controls are shown to hosts only to keep other pages simple.
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

  function button(text, cls, onClick) {
    var b = el("button", "small" + (cls ? " " + cls : ""), text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // A person as lms.circles.display.member_name shows them: avatar (or first letter) and circle name.
  function person(who) {
    var span = el("span", "member");
    if (!who) { span.appendChild(el("span", "member-name", "?")); return span; }
    span.setAttribute("data-member-id", who.id);
    if (who.avatar) {
      var img = el("img", "avatar");
      img.src = who.avatar;
      img.alt = "";
      span.appendChild(img);
    } else {
      var letter = el("span", "avatar avatar-letter", who.letter || "?");
      letter.setAttribute("aria-hidden", "true");
      span.appendChild(letter);
    }
    span.appendChild(el("span", "member-name", who.name));
    if (who.host) {
      // the circle role (a teacher and an assistant told apart); an overseer without one is a host
      var badge = who.role === "assistant" ? gettext("Assistant") : who.role === "teacher" ? gettext("Teacher") : gettext("Host");
      span.appendChild(el("span", "badge live-host-badge", badge));
    }
    return span;
  }

  function timeOf(iso) {
    var zone = document.querySelector('meta[name="time-zone"]');
    var locale = i18n.locale ? i18n.locale() : undefined;
    var options = { hour: "numeric", minute: "2-digit", timeZone: zone ? zone.content : undefined };
    // Chinese 12-hour times name the part of the day as the server's dates do (23:29 is 晚上, not 下午)
    if (/^zh/i.test(locale || document.documentElement.lang || "")) { options.dayPeriod = "short"; }
    try {
      return new Date(iso).toLocaleTimeString(locale, options);
    } catch (e) {
      return "";
    }
  }

  // A pushed lesson state worded in this page's language (the server sends the state only).
  function stateText(d) {
    // the broadcasting teacher's own page speaks to them, not about them
    var own = Boolean(document.querySelector("[data-broadcast]"));
    if (d.state === "live") {
      if (d.reason !== "resumed") { return gettext("The lesson is live."); }
      return own ? gettext("Reconnected. You are live again.") : gettext("The teacher is back.");
    }
    if (d.state === "reconnecting") {
      return own ? gettext("Connection lost. Reconnecting… The lesson waits for you.")
                 : gettext("The teacher's connection dropped. Reconnecting…");
    }
    if (d.state === "cancelled") { return gettext("This lesson was cancelled."); }
    if (d.state === "ended") {
      return d.reason === "host_gone" ? gettext("The teacher did not come back in time. The lesson has ended.")
                                      : gettext("The lesson has ended. The replay is being prepared; it appears here within minutes.");
    }
    return "";
  }
  Circles.liveStateText = stateText;

  function Room(root) {
    this.root = root;
    this.lessonId = root.getAttribute("data-lesson-id");
    this.circleId = root.getAttribute("data-circle-id");
    this.me = null;
    this.heartbeat = null;
    this.closed = false;
    this.poll = null;
    this.socket = window.io("/live", Circles.socketOptions || {});
    this.bind();
    this.listen();
  }

  Room.prototype.q = function (selector) { return this.root.querySelector(selector); };

  Room.prototype.status = function (text) { this.q("[data-room-status]").textContent = text; };

  Room.prototype.notice = function (text) {
    var box = this.q("[data-room-notice]");
    box.textContent = text || "";
    box.hidden = !text;
  };

  Room.prototype.emit = function (event, data, done) {
    var self = this;
    this.socket.emit(event, data || {}, function (reply) {
      if (done) { done(reply || { ok: false, error: gettext("Something went wrong. Try again.") }); }
      else if (reply && !reply.ok && reply.error) { self.notice(reply.error); }
    });
  };

  // -- connection ------------------------------------------------------------------------------
  Room.prototype.listen = function () {
    var self = this, s = this.socket;
    s.on("connect", function () {
      if (self.following) { follow(self); } else if (self.removed) { self.join(true); } else { self.join(); }
    });
    s.on("disconnect", function () {
      self.root.removeAttribute("data-room-ready");
      self.setEnabled(false);
      if (!self.closed) { self.status(gettext("Connection lost. Reconnecting…")); }
      // removed: the server closed this connection; open it again to wait for a readmission
      if (self.removed && !s.connected) { setTimeout(function () { if (self.removed) { s.connect(); } }, 1000); }
    });
    s.on("chat_message", function (d) { self.addMessage(d.message, true); });
    s.on("message_changed", function (d) { self.replaceMessage(d.message); });
    s.on("message_deleted", function (d) { self.removeMessage(d.id); });
    s.on("pinned", function (d) { self.showPinned(d.message); });
    s.on("hands", function (d) { self.showHands(d.queue); });
    s.on("hand", function (d) {
      self.showMyHand(d.raised);
      if (d.lowered_by_host) { self.q("[data-hand-state]").textContent = gettext("The teacher lowered your hand."); }
    });
    s.on("likes", function (d) { self.q("[data-likes]").textContent = i18n.number ? i18n.number(d.count, 0) : d.count; });
    // a count pushed after the room closed (the last pages leaving as the lesson ends) is not shown
    s.on("viewers", function (d) { if (!self.closed) { self.showViewers(d.count); } });
    s.on("poll", function (d) { self.showPoll(d.poll); });
    s.on("poll_results", function (d) { self.showResults(d); });
    s.on("room_settings", function (d) {
      // an answer to the last message sent ("slow mode: wait 10 s") is stale once the settings change
      self.root.querySelectorAll("[data-compose] [data-error]").forEach(function (error) {
        error.textContent = "";
        error.hidden = true;
      });
      self.showSettings(d);
    });
    s.on("muted", function (d) { if (self.me) { self.me.muted = d.muted; self.showSettings(self.settings); } });
    s.on("sanctions", function (d) { self.showSanctions(d); });
    s.on("removed", function (d) { self.wasRemoved(d); });
    s.on("readmitted", function (d) {
      // let back in: this page rejoins without a reload (the player starts again too)
      if (!self.removed) { return; }
      self.removed = false;
      announce("readmitted", d || {});
      self.join(true);
    });
    s.on("replay_state", function (d) { announce("replay_state", d); });
    // the real-time stage (static/js/live/stage*.js): its state for everyone, and this person's own part
    s.on("stage", function (d) { announce("stage", d); });
    s.on("stage_you", function (d) { announce("stage_you", d); });
    s.on("stream_state", function (d) {
      announce("stream_state", d);
      var text = stateText(d || {});
      if (d && (d.state === "ended" || d.state === "cancelled")) {
        self.end(text);
      } else if (text) {
        self.status(text);
      }
    });
  };

  // A host removed this person: the page says so, the player stops, and the page waits (its connection
  // in the person's room on the server) for a "readmitted" push.
  Room.prototype.wasRemoved = function (d) {
    var first = !this.removed;
    this.removed = true;
    if (first) { announce("removed", d || { lesson_id: Number(this.lessonId) }); }
    this.close(gettext("You were removed from this lesson."), true);
  };

  Room.prototype.join = function (force) {
    var self = this;
    if (this.closed && !force) { return; }
    this.status(gettext("Joining…"));
    this.emit("join", { lesson_id: this.lessonId, circle_id: this.circleId }, function (state) {
      if (!state.ok && state.removed) { self.wasRemoved(); return; }
      if (!state.ok) { self.close(state.error); return; }
      self.closed = false;
      self.render(state);
      announce("stream_state", { lesson_id: Number(self.lessonId), state: state.state });
      if (state.stage) { announce("stage", state.stage); }
      self.status(gettext("In the room"));
      self.root.setAttribute("data-room-ready", "");
      if (self.heartbeat) { clearInterval(self.heartbeat); }
      self.heartbeat = setInterval(function () {
        self.emit("heartbeat", {}, function (reply) {
          if (!reply.ok) { self.join(); } // the server lost track of this page (a restart): join again
        });
      }, (state.heartbeat_seconds || 30) * 1000);
    });
  };

  // The lesson is over: the page leaves the room (its attendance row closes) and follows the lesson only,
  // to hear when its replay is ready.
  Room.prototype.end = function (message) {
    if (this.closed) { return; }
    // One end message on the page: the lesson's state line says it (countdown.js); the room only closes, and
    // what belonged to the live lesson (who watches, a mute, slow mode) goes with it.
    var said = document.querySelector("[data-live-state-line]");
    this.close(said ? "" : message, true);
    this.status(gettext("The lesson's room is closed."));
    var viewers = this.q("[data-viewers]"), settings = this.q("[data-chat-settings]");
    if (viewers) { viewers.hidden = true; }
    if (settings) { settings.hidden = true; }
    this.following = true;
    this.socket.emit("leave", {});
    follow(this);
  };

  Room.prototype.close = function (message, keepConnection) {
    this.closed = true;
    if (this.heartbeat) { clearInterval(this.heartbeat); }
    this.setEnabled(false);
    this.root.removeAttribute("data-room-ready");
    this.status(gettext("You are not in the room."));
    this.notice(message);
    if (!keepConnection) { this.socket.disconnect(); }
  };

  Room.prototype.setEnabled = function (on) {
    this.root.querySelectorAll("input, button, select, textarea").forEach(function (c) {
      if (!c.hasAttribute("data-tab")) { c.disabled = !on; }
    });
    if (on && this.settings) { this.showSettings(this.settings); }
  };

  // -- the whole state, on (re)joining -------------------------------------------------------------
  Room.prototype.render = function (state) {
    var self = this;
    this.me = state.me;
    this.root.classList.toggle("is-host", !!state.me.host);
    this.setEnabled(true); // before the lists: a closed poll's choices stay disabled
    this.q(".live-hand-line").hidden = !!state.me.host; // hosts lower hands, they do not raise them
    ["chat", "questions"].forEach(function (kind) {
      var list = self.q('[data-list="' + kind + '"]');
      list.querySelectorAll("[data-message-id]").forEach(function (li) { li.remove(); });
    });
    (state.chat || []).forEach(function (m) { self.addMessage(m, false); });
    (state.questions || []).forEach(function (m) { self.addMessage(m, false); });
    this.scrollDown(this.q('[data-list="chat"]'));
    this.showPinned(state.pinned);
    this.showViewers(state.viewers);
    this.q("[data-likes]").textContent = state.likes;
    this.showMyHand(state.me.hand);
    if (state.hands) { this.showHands(state.hands); }
    if (state.sanctions) { this.showSanctions(state.sanctions); }
    this.poll = null;
    this.showPoll(state.poll);
    this.showSettings(state.settings);
    this.notice("");
  };

  Room.prototype.showViewers = function (count) {
    var box = this.q("[data-viewers]");
    box.textContent = ngettext("%(num)d watching", "%(num)d watching", count);
    box.hidden = false;
    announce("viewers", { lesson_id: Number(this.lessonId), count: count }); // the broadcast page's waiting line
  };

  Room.prototype.showSettings = function (settings) {
    this.settings = settings;
    var me = this.me || {};
    var line = this.q("[data-chat-settings]");
    var chatInput = this.q('[data-compose="chat"] input'), chatButton = this.q('[data-compose="chat"] button');
    var questionInput = this.q('[data-compose="question"] input'), questionButton = this.q('[data-compose="question"] button');
    var text = "", chatOpen = true;
    if (me.muted) {
      text = gettext("A host has muted you in this lesson.");
      chatOpen = false;
    } else if (settings.all_muted && !me.host) {
      text = gettext("The chat is closed for now; you can still ask a question.");
      chatOpen = false;
    } else if (settings.slow_mode_seconds && !me.host) {
      text = settings.slow_mode_seconds >= 60 && settings.slow_mode_seconds % 60 === 0
        ? ngettext("Slow mode: one message every %(num)d minute.", "Slow mode: one message every %(num)d minutes.",
          settings.slow_mode_seconds / 60)
        : ngettext("Slow mode: one message every %(num)d second.", "Slow mode: one message every %(num)d seconds.",
          settings.slow_mode_seconds);
    } else if (settings.all_muted) {
      text = gettext("The chat is closed for everyone but the hosts.");
    }
    line.textContent = text;
    line.hidden = !text || this.closed;
    var connected = this.root.hasAttribute("data-room-ready") || this.socket.connected;
    chatInput.disabled = chatButton.disabled = !(connected && chatOpen && !this.closed);
    questionInput.disabled = questionButton.disabled = !(connected && !me.muted && !this.closed);
    var muteAll = this.q("[data-mute-all]"), slow = this.q("[data-slow-mode]");
    if (muteAll) { muteAll.checked = !!settings.all_muted; }
    if (slow) {
      var value = String(settings.slow_mode_seconds || 0);
      if (!slow.querySelector('option[value="' + value + '"]')) {
        var secs = settings.slow_mode_seconds;
        var extra = el("option", null, secs >= 60 && secs % 60 === 0
          ? ngettext("One message every %(num)d minute", "One message every %(num)d minutes", secs / 60)
          : ngettext("One message every %(num)d second", "One message every %(num)d seconds", secs));
        extra.value = value;
        slow.appendChild(extra);
      }
      slow.value = value;
    }
  };

  // -- messages --------------------------------------------------------------------------------
  Room.prototype.listOf = function (message) {
    return this.q('[data-list="' + (message.kind === "question" ? "questions" : "chat") + '"]');
  };

  Room.prototype.messageItem = function (m) {
    var self = this;
    var li = el("li", "live-message" + (m.answered ? " is-answered" : "") + (m.pinned ? " is-pinned" : ""));
    li.setAttribute("data-message-id", m.id);
    var head = el("div", "live-message-head");
    head.appendChild(person(m.author));
    var at = el("time", "muted", timeOf(m.at));
    at.dateTime = m.at;
    head.appendChild(at);
    if (m.kind === "question" && m.answered) { head.appendChild(el("span", "badge live-answered", gettext("Answered"))); }
    li.appendChild(head);
    li.appendChild(el("p", "live-message-body", m.body));
    if (this.me && this.me.host) {
      var tools = el("div", "live-message-tools");
      if (m.kind === "question") {
        tools.appendChild(button(m.answered ? gettext("Not answered") : gettext("Mark answered"), null, function () {
          self.emit("answer_question", { message_id: m.id, answered: !m.answered });
        }));
      }
      tools.appendChild(button(m.pinned ? gettext("Unpin") : gettext("Pin"), null, function () {
        self.emit("pin", { message_id: m.id, pinned: !m.pinned });
      }));
      tools.appendChild(button(gettext("Delete"), "danger", function () {
        self.emit("delete_message", { message_id: m.id });
      }));
      if (m.author && !m.author.host) {
        tools.appendChild(button(gettext("Mute"), null, function () { self.emit("mute", { user_id: m.author.id }); }));
        tools.appendChild(button(gettext("Remove"), "danger", function () {
          if (window.confirm(gettext("Remove %(name)s from this lesson?", { name: m.author.name }))) {
            self.emit("remove", { user_id: m.author.id });
          }
        }));
      }
      li.appendChild(tools);
    }
    return li;
  };

  Room.prototype.scrollDown = function (list) { list.scrollTop = list.scrollHeight; };

  Room.prototype.addMessage = function (m, live) {
    var list = this.listOf(m);
    if (list.querySelector('[data-message-id="' + m.id + '"]')) { return; }
    var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    list.appendChild(this.messageItem(m));
    while (list.querySelectorAll("[data-message-id]").length > 300) { list.querySelector("[data-message-id]").remove(); }
    this.updateEmpty(list);
    if (!live || nearBottom) { this.scrollDown(list); }
    if (live && m.kind === "question") { this.bump("questions"); }
    this.countQuestions();
  };

  Room.prototype.replaceMessage = function (m) {
    var old = this.root.querySelector('.live-messages [data-message-id="' + m.id + '"]');
    if (old) { old.replaceWith(this.messageItem(m)); }
    this.countQuestions();
  };

  Room.prototype.removeMessage = function (id) {
    var old = this.root.querySelector('.live-messages [data-message-id="' + id + '"]');
    if (old) {
      var list = old.parentNode;
      old.remove();
      this.updateEmpty(list);
    }
    var pinned = this.q("[data-pinned]");
    if (pinned.getAttribute("data-message-id") === String(id)) { this.showPinned(null); }
    this.countQuestions();
  };

  Room.prototype.updateEmpty = function (list) {
    var empty = list.querySelector("[data-empty]");
    if (empty) { empty.hidden = !!list.querySelector("[data-message-id], [data-user-id]"); }
  };

  Room.prototype.countQuestions = function () {
    var open = this.root.querySelectorAll('[data-list="questions"] [data-message-id]:not(.is-answered)').length;
    this.setCount("questions", open);
  };

  Room.prototype.setCount = function (tab, n) {
    var badge = this.q('[data-count="' + tab + '"]');
    if (!badge) { return; }
    badge.textContent = n ? String(n) : "";
    badge.hidden = !n;
  };

  Room.prototype.bump = function (tab) {
    var t = this.q('[data-tab="' + tab + '"]');
    if (t && t.getAttribute("aria-selected") !== "true") { t.classList.add("has-news"); }
  };

  Room.prototype.showPinned = function (m) {
    var box = this.q("[data-pinned]");
    box.hidden = !m;
    box.setAttribute("data-message-id", m ? m.id : "");
    var body = this.q("[data-pinned-body]");
    body.textContent = "";
    if (m) {
      body.appendChild(person(m.author));
      body.appendChild(el("span", "live-pinned-text", m.body));
    }
  };

  // -- hands -----------------------------------------------------------------------------------
  Room.prototype.showMyHand = function (raised) {
    var b = this.q("[data-hand]");
    this.handRaised = !!raised;
    b.textContent = raised ? gettext("Lower hand") : gettext("Raise hand");
    b.setAttribute("aria-pressed", raised ? "true" : "false");
    this.q("[data-hand-state]").textContent = raised ? gettext("Your hand is raised.") : "";
  };

  Room.prototype.showHands = function (queue) {
    var self = this, list = this.q('[data-list="hands"]');
    if (!list) { return; }
    list.querySelectorAll("[data-user-id]").forEach(function (li) { li.remove(); });
    queue.forEach(function (hand) {
      var li = el("li", "live-hand");
      li.setAttribute("data-user-id", hand.user.id);
      li.appendChild(person(hand.user));
      li.appendChild(el("time", "muted", timeOf(hand.raised_at)));
      li.appendChild(button(gettext("Lower"), null, function () { self.emit("lower_hand", { user_id: hand.user.id }); }));
      list.appendChild(li);
    });
    this.updateEmpty(list);
    this.setCount("hands", queue.length);
    if (queue.length) { this.bump("hands"); }
  };

  // -- the poll --------------------------------------------------------------------------------
  Room.prototype.showPoll = function (poll) {
    var self = this, box = this.q("[data-poll]");
    this.poll = poll;
    box.textContent = "";
    var form = this.q("[data-poll-form]");
    if (form) { form.hidden = !!(poll && !poll.closed); }
    this.setCount("poll", poll && !poll.closed ? 1 : 0);
    if (!poll) {
      box.appendChild(el("p", "muted", gettext("No poll open.")));
      return;
    }
    if (!poll.closed) { this.bump("poll"); }
    box.appendChild(el("p", "live-poll-question", poll.question));
    var list = el("ol", "live-poll-options");
    poll.options.forEach(function (label, index) {
      var li = el("li");
      var choice = el("button", "live-poll-choice");
      choice.type = "button";
      choice.setAttribute("data-option", index);
      choice.setAttribute("aria-pressed", poll.my_vote === index ? "true" : "false");
      choice.disabled = !!poll.closed;
      choice.appendChild(el("span", "live-poll-label", label));
      choice.appendChild(el("span", "live-poll-count"));
      var bar = el("span", "live-poll-bar");
      bar.appendChild(el("span"));
      choice.appendChild(bar);
      choice.addEventListener("click", function () {
        self.emit("vote", { poll_id: poll.id, option: index }, function (reply) {
          var error = self.q("[data-poll-error]");
          error.textContent = reply.ok ? "" : reply.error;
          error.hidden = !!reply.ok;
          if (reply.ok) {
            poll.my_vote = index;
            list.querySelectorAll("[data-option]").forEach(function (b) {
              b.setAttribute("aria-pressed", b.getAttribute("data-option") === String(index) ? "true" : "false");
            });
          }
        });
      });
      li.appendChild(choice);
      list.appendChild(li);
    });
    box.appendChild(list);
    var total = el("p", "muted live-poll-total");
    total.setAttribute("data-poll-total", "");
    box.appendChild(total);
    if (poll.closed) {
      box.appendChild(el("p", "live-poll-closed", gettext("The poll is closed.")));
    } else if (this.me && this.me.host) {
      box.appendChild(button(gettext("Close the poll"), null, function () { self.emit("poll_close", { poll_id: poll.id }); }));
    }
    this.showResults({ poll_id: poll.id, counts: poll.counts, total: poll.total });
  };

  Room.prototype.showResults = function (results) {
    if (!this.poll || this.poll.id !== results.poll_id) { return; }
    this.poll.counts = results.counts;
    this.poll.total = results.total;
    var box = this.q("[data-poll]");
    box.querySelectorAll("[data-option]").forEach(function (choice) {
      var n = results.counts[Number(choice.getAttribute("data-option"))] || 0;
      var share = results.total ? Math.round(100 * n / results.total) : 0;
      choice.querySelector(".live-poll-count").textContent =
        ngettext("%(num)d vote", "%(num)d votes", n) + " · " + (i18n.percent ? i18n.percent(share) : share + "%");
      choice.querySelector(".live-poll-bar > span").style.width = share + "%";
    });
    var total = box.querySelector("[data-poll-total]");
    if (total) { total.textContent = ngettext("%(num)d answer", "%(num)d answers", results.total); }
  };

  // -- moderation lists (hosts) ------------------------------------------------------------------
  Room.prototype.showSanctions = function (lists) {
    var self = this;
    [["muted", "unmute", gettext("Unmute")], ["removed", "readmit", gettext("Let back in")]].forEach(function (row) {
      var list = self.q('[data-list="' + row[0] + '"]');
      if (!list) { return; }
      list.querySelectorAll("[data-user-id]").forEach(function (li) { li.remove(); });
      (lists[row[0]] || []).forEach(function (who) {
        var li = el("li");
        li.setAttribute("data-user-id", who.id);
        li.appendChild(person(who));
        li.appendChild(button(row[2], null, function () { self.emit(row[1], { user_id: who.id }); }));
        list.appendChild(li);
      });
      self.updateEmpty(list);
    });
  };

  // -- the page's controls -------------------------------------------------------------------------
  Room.prototype.bind = function () {
    var self = this;
    var tabs = this.root.querySelectorAll("[data-tab]");
    function select(tab) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        if (on) { t.classList.remove("has-news"); }
        self.q('[data-panel="' + t.getAttribute("data-tab") + '"]').hidden = !on;
      });
    }
    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () { select(tab); });
      tab.addEventListener("keydown", function (e) {
        var step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
        if (!step) { return; }
        var next = tabs[(index + step + tabs.length) % tabs.length];
        select(next);
        next.focus();
      });
    });

    this.root.querySelectorAll("[data-compose]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var input = form.querySelector("input"), error = form.querySelector("[data-error]");
        var body = input.value.trim();
        if (!body) { return; }
        var send = form.querySelector("button");
        send.disabled = true;
        self.emit(form.getAttribute("data-compose"), { body: body }, function (reply) {
          send.disabled = false;
          error.textContent = reply.ok ? "" : reply.error;
          error.hidden = !!reply.ok;
          // only the words sent leave the box: what was typed while they were on their way stays
          if (reply.ok && input.value.trim() === body) { input.value = ""; }
          input.focus();
          if (self.settings) { self.showSettings(self.settings); }
        });
      });
    });

    this.q("[data-hand]").addEventListener("click", function () {
      var raise = !self.handRaised; // the server's `hand` push may come before this answer
      self.emit(raise ? "raise_hand" : "lower_hand", {}, function (reply) {
        if (!reply.ok) { self.notice(reply.error); } else { self.showMyHand(raise); }
      });
    });

    this.q("[data-like]").addEventListener("click", function () { self.emit("like"); });

    var pollForm = this.q("[data-poll-form]");
    if (pollForm) {
      pollForm.addEventListener("submit", function (e) {
        e.preventDefault();
        var error = pollForm.querySelector("[data-error]");
        var options = pollForm.elements.options.value.split("\n").map(function (s) { return s.trim(); })
          .filter(function (s) { return s; });
        self.emit("poll_open", { question: pollForm.elements.question.value, options: options }, function (reply) {
          error.textContent = reply.ok ? "" : reply.error;
          error.hidden = !!reply.ok;
          if (reply.ok) { pollForm.reset(); }
        });
      });
    }

    var muteAll = this.q("[data-mute-all]");
    if (muteAll) {
      muteAll.addEventListener("change", function () {
        self.emit(muteAll.checked ? "mute_all" : "unmute_all", {}, function (reply) { self.moderated(reply); });
      });
    }
    var slow = this.q("[data-slow-mode]");
    if (slow) {
      slow.addEventListener("change", function () {
        self.emit("slow_mode", { seconds: Number(slow.value) }, function (reply) { self.moderated(reply); });
      });
    }
  };

  Room.prototype.moderated = function (reply) {
    var error = this.q("[data-moderation-error]");
    if (!error) { return; }
    error.textContent = reply.ok ? "" : reply.error;
    error.hidden = !!reply.ok;
    if (!reply.ok && this.settings) { this.showSettings(this.settings); }
  };

  // What the player (static/js/live/player.js) listens to, instead of a /live connection of its own:
  // `live:stream_state` and `live:replay_state` on document, with the server's payload.
  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent("live:" + name, { detail: detail || {} }));
  }

  function follow(holder) {
    holder.socket.emit("follow", { lesson_id: holder.lessonId, circle_id: holder.circleId }, function (reply) {
      if (reply && reply.ok) {
        announce("stream_state", { lesson_id: Number(holder.lessonId), state: reply.state });
        if (reply.replay_state) { announce("replay_state", { lesson_id: Number(holder.lessonId), state: reply.replay_state }); }
      }
    });
  }

  // A page of a lesson that is over, whose replay is still being made: no room, only the lesson's news.
  function Follower(root) {
    var self = this;
    this.lessonId = root.getAttribute("data-lesson-id");
    this.circleId = root.getAttribute("data-circle-id");
    this.socket = window.io("/live", Circles.socketOptions || {});
    this.socket.on("connect", function () { follow(self); });
    this.socket.on("replay_state", function (d) {
      announce("replay_state", d);
      if (d && d.state !== "processing") { self.socket.disconnect(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof window.io !== "function") { return; }
    document.querySelectorAll("[data-live-room]").forEach(function (root) {
      root.liveRoom = root.hasAttribute("data-follow") ? new Follower(root) : new Room(root);
    });
  });
})();
