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

  // A tab bar (nav.tabs[data-tabs]) keeps to one row at any width: the tabs that do not fit move, from the
  // end, into its "More" menu (a disclosure button and a list of links); the current tab always stays in
  // the row. Without this script the row wraps instead (app.css), so no tab is ever out of sight.
  function fitTabs(nav) {
    var more = nav.querySelector("[data-tabs-more]");
    if (!more) { return; }
    var menu = more.querySelector("[data-tabs-menu]");
    if (!nav.hasAttribute("data-tabs-ready")) {  // the tabs' own order, to put them back in on a refit
      Array.prototype.forEach.call(nav.querySelectorAll(":scope > a"), function (link, n) {
        link.setAttribute("data-tab", String(n));
      });
      nav.setAttribute("data-tabs-ready", "");
    }
    var links = Array.prototype.slice.call(nav.querySelectorAll("a[data-tab]"));
    links.sort(function (a, b) { return a.getAttribute("data-tab") - b.getAttribute("data-tab"); });
    links.forEach(function (link) { nav.insertBefore(link, more); });
    more.hidden = true;
    nav.classList.remove("is-fitted");
    var fits = function () {
      // the row's end, and never past the screen's (a More button a fraction of a pixel over made the page wobble)
      var edge = Math.min(nav.getBoundingClientRect().right + 0.5, document.documentElement.clientWidth);
      var last = more.hidden ? links[links.length - 1] : more;
      return !last || last.getBoundingClientRect().right <= edge;
    };
    if (!fits()) {
      more.hidden = false;
      for (var n = links.length - 1; n >= 0 && !fits(); n -= 1) {
        if (links[n].getAttribute("aria-current") !== "page") { menu.insertBefore(links[n], menu.firstChild); }
      }
    }
    nav.classList.add("is-fitted");
  }

  function openTabsMenu(more, open, focusButton) {
    var button = more.querySelector("button");
    button.setAttribute("aria-expanded", open ? "true" : "false");
    more.querySelector("[data-tabs-menu]").hidden = !open;
    if (!open && focusButton) { button.focus(); }
  }

  // A refit (the window resized, the fonts arrived late) keeps an open menu open while it still has tabs: a late
  // one closed it under someone about to Tab into it.
  function fitAllTabs() {
    document.querySelectorAll("nav.tabs[data-tabs]").forEach(function (nav) {
      var more = nav.querySelector("[data-tabs-more]");
      var open = !!more && more.querySelector("button").getAttribute("aria-expanded") === "true";
      if (more) { openTabsMenu(more, false, false); }
      fitTabs(nav);
      if (open && !more.hidden) { openTabsMenu(more, true, false); }
    });
  }

  // a tab that changes its width after the fit (an unread badge put in by static/js/chat_badge.js, a count
  // going up) refits the row, so the More button never ends past the screen
  function watchTabs() {
    if (!window.MutationObserver) { return; }
    document.querySelectorAll("nav.tabs[data-tabs]").forEach(function (nav) {
      var pending = false;
      var observer = new MutationObserver(function () {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () {
          pending = false;
          fitTabs(nav);
          observer.takeRecords();  // the fit's own moves are not changes to refit for
        });
      });
      observer.observe(nav, { subtree: true, childList: true, characterData: true, attributes: true,
                              attributeFilter: ["hidden", "class"] });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fitAllTabs();
    watchTabs();
    var pending = false;
    window.addEventListener("resize", function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; fitAllTabs(); });
    });
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fitAllTabs); }
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-tabs-more] > button");
    document.querySelectorAll("[data-tabs-more]").forEach(function (more) {
      if (toggle && more.contains(toggle)) {
        openTabsMenu(more, toggle.getAttribute("aria-expanded") !== "true", false);
      } else if (!more.contains(event.target)) {
        openTabsMenu(more, false, false);
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var more = event.target.closest && event.target.closest("[data-tabs-more]");
    if (more && more.querySelector("button").getAttribute("aria-expanded") === "true") {
      openTabsMenu(more, false, true);
    }
  });

  document.addEventListener("focusout", function (event) {
    var more = event.target.closest && event.target.closest("[data-tabs-more]");
    if (more && event.relatedTarget && !more.contains(event.relatedTarget)) { openTabsMenu(more, false, false); }
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
  // A form refused because of its writer, not its text (over the circle's write limit, muted: lms.core.errors)
  // comes back to the page it was on with the message; the text written is put back here. Each posting form's
  // text fields are kept for this tab (sessionStorage) as it is sent, and given back once, on the next page,
  // only when that page shows an error and has the same form with those fields empty.
  var KEPT = "circles:kept-form";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || (form.getAttribute("method") || "").toLowerCase() !== "post") { return; }
    var fields = {};
    var any = false;
    form.querySelectorAll("textarea[name], input[type=text][name]").forEach(function (field) {
      if (field.value.trim()) { fields[field.name] = field.value; any = true; }
    });
    if (!any) { return; }
    try {
      window.sessionStorage.setItem(KEPT, JSON.stringify({ action: new URL(form.action, location.href).pathname, fields: fields }));
    } catch (e) { /* storage off: nothing kept */ }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var kept = null;
    try {
      kept = JSON.parse(window.sessionStorage.getItem(KEPT) || "null");
      window.sessionStorage.removeItem(KEPT);
    } catch (e) { return; }
    if (!kept || !document.querySelector(".flashes .flash-error")) { return; }
    document.querySelectorAll("form").forEach(function (form) {
      if (!kept || (form.getAttribute("method") || "").toLowerCase() !== "post" ||
          new URL(form.action, location.href).pathname !== kept.action) { return; }
      Object.keys(kept.fields).forEach(function (name) {
        var field = form.querySelector('[name="' + name.replace(/"/g, "") + '"]');
        if (field && !field.value.trim() && (field.tagName === "TEXTAREA" || field.type === "text")) {
          field.value = kept.fields[name];
          field.dispatchEvent(new Event("input", { bubbles: true }));
        }
      });
      kept = null;  // one form only
    });
  });
})();
