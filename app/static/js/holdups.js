// Hold-ups. Three small things, all optional: pages work without them.
// 1. The browser's time zone, as a cookie: the server shows times in it
//    until the member chooses a zone of their own (UTC without JavaScript).
// 2. The live board polls with If-None-Match; an unchanged board answers
//    304 and nothing is swapped.
// 3. The countdown ticks every second from the server's step end, so every
//    screen shows the same time left.
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_+\-\/]+$/.test(zone) && document.cookie.indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (error) { /* no Intl: the server uses UTC */ }

  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    var etag = element && element.getAttribute && element.getAttribute("data-etag");
    if (etag && event.detail.verb === "get") {
      event.detail.headers["If-None-Match"] = etag;
    }
  });

  // What someone is typing survives a poll that brings a changed board
  // (a posted form, by contrast, comes back empty).
  var typing = null;
  var FIELDS = "textarea[id], input[id]:not([type=hidden]):not([type=submit])";

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 304) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      return;
    }
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    typing = null;
    if (target && target.id === "board" && config && config.verb === "get") {
      typing = [];
      target.querySelectorAll(FIELDS).forEach(function (field) {
        if (field.value) {
          typing.push({id: field.id, value: field.value, focused: document.activeElement === field,
                       start: field.selectionStart, end: field.selectionEnd});
        }
      });
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    if (!typing) { return; }
    typing.forEach(function (kept) {
      var field = document.getElementById(kept.id);
      if (!field || field.value) { return; }
      field.value = kept.value;
      if (kept.focused) {
        field.focus();
        try { field.setSelectionRange(kept.start, kept.end); } catch (error) { /* not a text field */ }
      }
    });
    typing = null;
  });

  function format(seconds) {
    var over = seconds < 0;
    var value = Math.abs(seconds);
    var text = Math.floor(value / 60) + ":" + String(value % 60).padStart(2, "0");
    return over ? "+" + text : text;
  }

  function tick() {
    var timers = document.querySelectorAll(".timer[data-ends-at]");
    for (var i = 0; i < timers.length; i++) {
      var timer = timers[i];
      if (!timer.dataset.offset) {
        timer.dataset.offset = String(Number(timer.dataset.serverNow) - Date.now());
      }
      var left = timer.dataset.paused !== undefined ? Number(timer.dataset.paused)
        : Math.round((Number(timer.dataset.endsAt) - (Date.now() + Number(timer.dataset.offset))) / 1000);
      var value = timer.querySelector(".timer-value");
      var label = timer.querySelector(".timer-label");
      if (value) { value.textContent = format(left); }
      if (label) {
        label.textContent = (left < 0 ? "over time" : "left") + (timer.dataset.paused !== undefined ? " (paused)" : "");
      }
      timer.classList.toggle("timer-over", left < 0);
    }
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
})();
