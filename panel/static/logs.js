// Follow mode of the logs page: polls /logs/follow with the byte cursor the
// server gave us and appends new lines as text nodes (never as HTML), marked
// and linked as the server renders them.
(function () {
  "use strict";
  var button = document.getElementById("follow-toggle");
  var out = document.getElementById("log-lines");
  var status = document.getElementById("follow-status");
  if (!button || !out) { return; }
  var empty = document.getElementById("log-empty");
  var journeyUrl = out.getAttribute("data-journey-url");
  var timer = null;

  // One line as the page renders it (logs/_line.html): text nodes only, the
  // queue id a link to its journey, the kind in data-kind.
  function append(marked) {
    var line = document.createElement("span");
    line.className = "ll";
    if (marked[3]) { line.setAttribute("data-kind", marked[3]); }
    line.appendChild(document.createTextNode(marked[0]));
    if (marked[1]) {
      var link = document.createElement("a");
      link.href = journeyUrl + "?queue_id=" + encodeURIComponent(marked[1]);
      link.textContent = marked[1];
      line.appendChild(link);
    }
    line.appendChild(document.createTextNode(marked[2]));
    out.appendChild(line);
    out.appendChild(document.createTextNode("\n"));
  }
  var cursor = button.getAttribute("data-cursor");
  // The words, in the page's language (logs/index.html).
  function word(name) { return button.getAttribute("data-word-" + name); }
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
        if (data.marked && data.marked.length) {
          data.marked.forEach(append);
          while (out.childNodes.length > 2 && out.textContent.length > MAX_SHOWN * 200) {
            out.removeChild(out.firstChild);
          }
          out.hidden = false;
          if (empty) { empty.hidden = true; }
          out.scrollTop = out.scrollHeight;
        }
        if (timer !== null) { status.textContent = word("following"); }
      })
      .catch(function (err) { status.textContent = word("paused").replace("{problem}", err.message); stop(); });
  }

  function start() {
    timer = window.setInterval(poll, 2000);
    button.textContent = word("stop");
    status.textContent = word("following");
    poll();
  }

  function stop() {
    if (timer !== null) { window.clearInterval(timer); }
    timer = null;
    button.textContent = word("follow");
  }

  // The newest line is what a postmaster came for: start at the end.
  out.scrollTop = out.scrollHeight;
  button.hidden = false;
  button.addEventListener("click", function () { if (timer === null) { start(); } else { stop(); status.textContent = ""; } });
}());
