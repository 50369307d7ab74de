// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Flash messages fade after a while, but stay readable for slow readers.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".flash").forEach(function (flash) {
      setTimeout(function () { flash.classList.add("flash-old"); }, 8000);
    });
  });
})();
