// Voting: say why an htmx vote did not go through (a 4xx/5xx answer is not swapped in).
// Every vote also works without this file, as a plain form.
(function () {
  "use strict";
  if (window.kindlingVoting) { return; }
  window.kindlingVoting = true;
  var BOXES = ".support-box, #dot-board, #pairwise-pair";
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    var box = target && target.closest ? target.closest(BOXES) : null;
    if (!box) { return; }
    var xhr = event.detail.xhr;
    var note = box.querySelector(".voting-alert") || document.createElement("p");
    note.className = "error voting-alert";
    note.setAttribute("role", "alert");
    if (xhr.status === 429) {
      var wait = xhr.getResponseHeader("Retry-After");
      note.textContent = "Slow down: too many votes in a minute." + (wait ? " Try again in " + wait + " seconds." : "");
    } else if (xhr.status === 403) {
      note.textContent = "You are not allowed to do that.";
    } else {
      note.textContent = "That did not go through. Reload the page and try again.";
    }
    box.appendChild(note);
  });
})();
