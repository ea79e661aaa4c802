/* Characters left under every text area that has a maximum length.
   The count is shown as the writer types; screen readers hear it only when
   a threshold is crossed, not at every key press. Without this script the
   form works the same: maxlength and the server still limit the text. */
(function () {
  "use strict";

  var THRESHOLDS = [1000, 500, 100, 0];

  function band(left) {
    for (var i = THRESHOLDS.length - 1; i >= 0; i -= 1) {
      if (left <= THRESHOLDS[i]) { return i; }
    }
    return -1;
  }

  function enhance(area) {
    var max = parseInt(area.getAttribute("maxlength"), 10);
    var template = area.getAttribute("data-counter");
    if (!max || !template) { return; }
    var lang = document.documentElement.lang || undefined;
    var numbers;
    try { numbers = new Intl.NumberFormat(lang); } catch (e) { numbers = new Intl.NumberFormat(); }

    var shown = document.createElement("p");
    shown.className = "form-text char-counter";
    shown.id = area.id + "-counter";
    shown.setAttribute("aria-hidden", "true");
    var spoken = document.createElement("p");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", shown);
    shown.insertAdjacentElement("afterend", spoken);

    var lastBand = band(max - area.value.length);
    function text(left) { return template.replace("{count}", numbers.format(Math.max(left, 0))); }
    function update() {
      var left = max - area.value.length;
      shown.textContent = text(left);
      shown.classList.toggle("char-counter-low", left <= 100);
      var now = band(left);
      if (now !== lastBand) {
        if (now > lastBand) { spoken.textContent = text(left); }
        lastBand = now;
      }
    }
    area.addEventListener("input", update);
    update();
  }

  function start() {
    var areas = document.querySelectorAll("textarea[maxlength][data-counter]");
    for (var i = 0; i < areas.length; i += 1) { enhance(areas[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
