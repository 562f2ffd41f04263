// A worker that ticks at a steady pace for static/js/live/broadcast.js: a page's own timers slow to about one
// a second while its tab is in the background (the teacher showing another tab), a worker's do not.
var timer = null;
self.onmessage = function (event) {
  if (timer) { clearInterval(timer); }
  var interval = Math.max(16, Number(event.data && event.data.interval) || 66);
  timer = setInterval(function () { self.postMessage(0); }, interval);
};
