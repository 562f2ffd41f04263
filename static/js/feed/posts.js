// The feed: a like (or taking it back) is sent without leaving the page; the button and its count show
// what the server answered. Without this script the form posts and the page reloads, as it should.
(function () {
  "use strict";

  function setUp(form) {
    var input = form.querySelector("input[name=liked]");
    var button = form.querySelector("button");
    var label = form.querySelector("[data-like-label]");
    var count = form.querySelector("[data-like-count]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (answer) {
          input.value = answer.liked ? "0" : "1";
          label.textContent = form.getAttribute(answer.liked ? "data-label-liked" : "data-label-like");
          count.textContent = String(answer.count);
          button.classList.toggle("is-liked", answer.liked);
          button.setAttribute("aria-pressed", answer.liked ? "true" : "false");
        })
        .catch(function () { form.submit(); })  // let the page do it the plain way
        .then(function () { button.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-like-form]"), setUp);
  });
})();
