// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Move focus to the error summary so screen-reader and keyboard users hear what went wrong.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // Ask before destructive actions (forms marked data-confirm="...").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  // A "Show password" button after each password field, so people can check what they typed (ASVS 2.1.12).
  // It only switches the field between type=password and type=text; the field is hidden again on submit,
  // so the browser never offers to keep the typed text as form history.
  var fields = document.querySelectorAll("input[type=password]");
  Array.prototype.forEach.call(fields, function (input) {
    if (!input.id) { return; }
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "link-button password-toggle";
    toggle.textContent = "Show password";
    toggle.setAttribute("aria-controls", input.id);
    toggle.addEventListener("click", function () {
      var shown = input.type === "password";
      input.type = shown ? "text" : "password";
      toggle.textContent = shown ? "Hide password" : "Show password";
    });
    input.insertAdjacentElement("afterend", toggle);
    if (input.form) {
      input.form.addEventListener("submit", function () {
        input.type = "password";
        toggle.textContent = "Show password";
      });
    }
  });
})();
