// Small progressive enhancements; every page works without them.
// Forms with data-confirm ask before submitting (inline handlers are blocked by the CSP).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
