// Follow mode of the logs page: polls /logs/follow with the byte cursor the
// server gave us and appends new lines as text (never as HTML).
(function () {
  "use strict";
  var button = document.getElementById("follow-toggle");
  var out = document.getElementById("log-lines");
  var status = document.getElementById("follow-status");
  if (!button || !out) { return; }
  var timer = null;
  var cursor = button.getAttribute("data-cursor");
  var MAX_SHOWN = 5000;

  function poll() {
    var url = button.getAttribute("data-follow-url");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "cursor=" + encodeURIComponent(cursor || "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data.error) { status.textContent = data.error; }
        if (data.cursor) { cursor = data.cursor; }
        if (data.lines && data.lines.length) {
          out.appendChild(document.createTextNode(data.lines.join("\n") + "\n"));
          while (out.childNodes.length > 1 && out.textContent.length > MAX_SHOWN * 200) {
            out.removeChild(out.firstChild);
          }
          out.scrollTop = out.scrollHeight;
        }
        if (timer !== null) { status.textContent = "Following…"; }
      })
      .catch(function (err) { status.textContent = "Follow paused: " + err.message; stop(); });
  }

  function start() {
    timer = window.setInterval(poll, 2000);
    button.textContent = "Stop following";
    status.textContent = "Following…";
    poll();
  }

  function stop() {
    if (timer !== null) { window.clearInterval(timer); }
    timer = null;
    button.textContent = "Follow new lines";
  }

  button.hidden = false;
  button.addEventListener("click", function () { if (timer === null) { start(); } else { stop(); status.textContent = ""; } });
}());
