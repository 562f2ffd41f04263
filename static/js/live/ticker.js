// A worker that ticks at a steady pace for static/js/live/broadcast.js: a page's own timers slow to about one
// a second while its tab is in the background (the teacher showing another tab), a worker's do not.
// {interval: ms}: a tick every interval; {after: ms}: one tick after that long (the page asks for each next one
// once it has done the last, so ticks never queue up behind a busy page).
var timer = null;
self.onmessage = function (event) {
  var data = event.data || {};
  if (timer) { clearInterval(timer); clearTimeout(timer); timer = null; }
  if (data.after !== undefined) {
    timer = setTimeout(function () { timer = null; self.postMessage(0); }, Math.max(0, Number(data.after) || 0));
    return;
  }
  var interval = Math.max(16, Number(data.interval) || 66);
  timer = setInterval(function () { self.postMessage(0); }, interval);
};
