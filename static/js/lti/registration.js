// LTI Dynamic Registration §3.6: tell the platform's window that registration is over, so it closes
// the frame or window it opened for Circles.
(function () {
  var target = window.opener || (window.parent !== window ? window.parent : null);
  if (target) {
    target.postMessage({subject: "org.imsglobal.lti.close"}, "*");
  }
})();
