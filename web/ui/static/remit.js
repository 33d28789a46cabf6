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
