// The scripts' words in the page's language: gettext/ngettext over the catalog script that base.html
// loads first (/i18n/<locale>/<digest>.js sets Circles.catalog), and Intl formats for numbers.
//
//   var gettext = Circles.i18n.gettext, ngettext = Circles.i18n.ngettext;
//   gettext("%(time)s left", { time: "1:05" });
//   ngettext("%(num)d file", "%(num)d files", n);          // num defaults to n, as in Flask-Babel
//
// Messages use Python's %(name)s / %(name)d placeholders, so one catalog (and one placeholder test)
// serves the templates and the scripts; scripts/i18n extracts these calls from static/js. Call gettext
// with a literal string: a message built at run time is never extracted, so never translated.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  if (Circles.i18n) { return; }

  function catalog() { return (Circles.catalog && Circles.catalog.messages) || {}; }

  // The page's language for Intl: <html lang> ("en", "zh-Hans", "zh-Hant").
  function locale() { return document.documentElement.lang || undefined; }

  function number(value, digits) {
    try {
      return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits === undefined ? 2 : digits }).format(value);
    } catch (e) {
      return String(digits === undefined ? value : Number(value).toFixed(digits));
    }
  }

  function percent(value) {
    try {
      return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }).format(value / 100);
    } catch (e) {
      return Math.round(value) + "%";
    }
  }

  // %(name)s takes the value as it is; %(name)d a number written the page's way.
  function interpolate(text, values) {
    if (!values) { return text; }
    return text.replace(/%\((\w+)\)([sdif])/g, function (whole, key, type) {
      if (!Object.prototype.hasOwnProperty.call(values, key)) { return whole; }
      var value = values[key];
      return type === "s" ? String(value) : number(Number(value), type === "d" ? 0 : 2);
    }).replace(/%%/g, "%");
  }

  function gettext(msgid, values) {
    var found = catalog()[msgid];
    return interpolate(typeof found === "string" ? found : msgid, values);
  }

  // A catalog's plural entry lists its forms: one for Chinese, two (one, other) for English-like rules.
  function ngettext(singular, plural, n, values) {
    var found = catalog()[singular];
    var text;
    if (Array.isArray(found) && found.length) {
      text = found.length === 1 ? found[0] : found[n === 1 ? 0 : 1];
    } else {
      text = n === 1 ? singular : plural;
    }
    var all = { num: n };
    Object.keys(values || {}).forEach(function (key) { all[key] = values[key]; });
    return interpolate(text, all);
  }

  // Translated sentences one after another, as the reader's language writes them (English with a space,
  // Chinese without): the joiner is a message of its own, the same as lms.core.i18n.join_sentences.
  function sentences() {
    var parts = Array.prototype.filter.call(arguments, function (part) { return part; });
    return parts.reduce(function (text, part) {
      return gettext("%(sentence)s %(next_sentence)s", { sentence: text, next_sentence: part });
    });
  }

  Circles.i18n = {
    sentences: sentences,
    gettext: gettext,
    ngettext: ngettext,
    interpolate: interpolate,
    locale: locale,
    number: number,
    percent: percent
  };
})();
