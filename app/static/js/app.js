// Small progressive enhancements; every page works without them.
// Forms with data-confirm ask before submitting (inline handlers are blocked by the CSP).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A page answering a refused form post names its own address (data-replace-url): showing it
// makes a reload ask for the page again instead of sending the form a second time.
const replaceUrl = document.querySelector("[data-replace-url]");
if (replaceUrl) {
  window.history.replaceState(null, "", replaceUrl.getAttribute("data-replace-url"));
}

// Parts of a form that only matter for some values of a field:
// data-show-when="state:on_hold,resolved" shows the part while the form's `state` is one of them.
function showWhen() {
  document.querySelectorAll("[data-show-when]").forEach((part) => {
    const [name, values] = part.getAttribute("data-show-when").split(":");
    const control = part.closest("form")?.elements.namedItem(name);
    if (control) {
      part.hidden = !values.split(",").includes(control.value);
    }
  });
}
document.addEventListener("change", showWhen);
showWhen();
