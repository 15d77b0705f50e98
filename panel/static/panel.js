// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // A generated password field selects itself so it can be copied at once.
  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  // "Generate a password" makes the typed password fields irrelevant.
  var generate = document.getElementById("f-generate");
  if (generate) {
    var typed = [document.getElementById("f-password"), document.getElementById("f-password_confirm")];
    var sync = function () {
      typed.forEach(function (input) { if (input) { input.disabled = generate.checked; } });
    };
    generate.addEventListener("change", sync);
    sync();
  }
  // A copy button shows only where the clipboard API works.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { navigator.clipboard.writeText(source.textContent); });
  });
  // "Print this sheet": the print stylesheet does the rest (style.css, @media print).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});
