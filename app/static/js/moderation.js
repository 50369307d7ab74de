// Keyboard triage on the moderation queue. Every action is also a button,
// and the page works without this file.
//   j / k  next / previous item      a  approve (restore, keep)
//   r      reject with a reason      h  hide
//   m      merge into another idea   o  open the item's page    Esc  close a form
(function () {
  "use strict";

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-case]:not([data-decided])"));
  }

  function current() {
    return document.querySelector("[data-case].is-current:not([data-decided])");
  }

  function select(card) {
    document.querySelectorAll("[data-case].is-current").forEach(function (c) { c.classList.remove("is-current"); });
    if (!card) { return; }
    card.classList.add("is-current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function move(step) {
    var all = cards();
    if (!all.length) { return; }
    var index = all.indexOf(current());
    var next = index === -1 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[next]);
  }

  function openForm(card, key) {
    var details = card.querySelector('details[data-key="' + key + '"]');
    if (!details) { return false; }
    details.open = true;
    var field = details.querySelector("select, input:not([type=hidden]), textarea");
    if (field) { field.focus(); }
    return true;
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = event.target.closest && event.target.closest("details[open]");
      if (open) {
        open.open = false;
        var card = open.closest("[data-case]");
        if (card) { card.focus(); }
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "j") { move(1); event.preventDefault(); return; }
    if (key === "k") { move(-1); event.preventDefault(); return; }
    var card = current();
    if (!card) { return; }
    if (key === "a" || key === "h") {
      var button = card.querySelector('button[data-key="' + key + '"]');
      if (button) { button.click(); event.preventDefault(); }
    } else if (key === "r" || key === "m") {
      if (openForm(card, key)) { event.preventDefault(); }
    } else if (key === "o") {
      var link = card.querySelector(".case-more a");
      if (link) { window.location.href = link.href; }
    }
  });

  // A decided card is replaced in place: carry on with the next one.
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail && event.detail.target;
    if (!swapped || !swapped.id || swapped.id.indexOf("case-") !== 0) {
      if (swapped && swapped.id === "queue-list") { select(cards()[0]); }
      return;
    }
    var fresh = document.getElementById(swapped.id) || swapped;
    if (fresh.hasAttribute && fresh.hasAttribute("data-decided")) {
      if (!fresh.hasAttribute("data-counted")) {  // htmx may report one swap more than once
        fresh.setAttribute("data-counted", "");
        countDown();
      }
      var following = cards().filter(function (c) {
        return fresh.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING;
      });
      select(following[0] || cards()[cards().length - 1]);
    } else {
      select(fresh);
    }
  });

  // "N items waiting" follows the decisions made on this page (the nav badge comes from the server).
  function countDown() {
    var count = document.getElementById("queue-count");
    if (!count) { return; }
    var left = Math.max(0, parseInt(count.getAttribute("data-count"), 10) - 1);
    count.setAttribute("data-count", String(left));
    count.textContent = left + (left === 1 ? " item" : " items") + " waiting";
  }

  document.addEventListener("click", function (event) {
    var card = event.target.closest && event.target.closest("[data-case]:not([data-decided])");
    if (card) { select(card); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // On an item's own page the keys act on its one set of actions, without scrolling to it.
    var single = document.querySelector("[data-case-single]");
    if (single) { single.classList.add("is-current"); return; }
    select(cards()[0]);
  });
})();
