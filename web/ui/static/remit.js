// Remit's only script, and an optional one: every action works without it.
// It disables a form's submit buttons once the form is sent, so a
// double-click sends it once (the one-time token makes a second send
// harmless anyway), and moves focus to the error summary when there is one.
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (form.dataset.sent) { e.preventDefault(); return; }
  form.dataset.sent = "1";
  setTimeout(function () {
    form.querySelectorAll("button[type=submit],button:not([type])").forEach(function (b) { b.disabled = true; });
  }, 0);
});
document.addEventListener("DOMContentLoaded", function () {
  var s = document.getElementById("errors");
  if (s) { s.focus(); }
});
// The navigation's menus are <details>: they open and close without this
// script. With it, one menu is open at a time, and a click elsewhere or
// Escape closes it (Escape returning focus to the menu's button).
(function () {
  function menus() { return document.querySelectorAll("nav.main details[open]"); }
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!d.matches || !d.matches("nav.main details") || !d.open) { return; }
    menus().forEach(function (o) { if (o !== d) { o.open = false; } });
  }, true);
  document.addEventListener("click", function (e) {
    menus().forEach(function (d) { if (!d.contains(e.target)) { d.open = false; } });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") { return; }
    menus().forEach(function (d) {
      var inside = d.contains(document.activeElement);
      d.open = false;
      if (inside) { d.querySelector("summary").focus(); }
    });
  });
})();
