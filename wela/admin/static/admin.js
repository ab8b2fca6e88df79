// Small helpers; every page works without them.
(function () {
  "use strict";
  // Ask before a form that cannot be undone (data-confirm="question").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // One click is enough: a second click while the page loads does nothing.
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  // After a refused form, the cursor goes to the first field that needs fixing.
  var wrong = document.querySelector("[aria-invalid=true]");
  if (wrong) { wrong.focus(); }
  // The announcement form shows only the fields of the chosen template.
  var form = document.getElementById("announce-form");
  if (form) {
    var show = function () {
      var chosen = form.querySelector("input[name=template]:checked");
      form.querySelectorAll(".part").forEach(function (part) {
        part.hidden = !chosen || part.getAttribute("data-template") !== chosen.value;
      });
    };
    form.addEventListener("change", show);
    show();
  }
})();
