// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Flash messages fade after a while, but stay readable for slow readers.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".flash").forEach(function (flash) {
      setTimeout(function () { flash.classList.add("flash-old"); }, 8000);
    });
  });

  // Phone header: the menu and the search field open in place (without
  // JavaScript the menu opens through :target and the icon leads to /search).
  document.addEventListener("click", function (event) {
    var menu = event.target.closest && event.target.closest("[data-menu]");
    if (menu) {
      event.preventDefault();
      var header = menu.closest(".site-header");
      var open = header.classList.toggle("menu-open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var opener = event.target.closest && event.target.closest("[data-opens]");
    var field = opener && document.getElementById(opener.getAttribute("data-opens"));
    if (field) {
      event.preventDefault();
      opener.closest(".site-header").classList.add("search-open");
      field.focus();
    }
  });
})();
