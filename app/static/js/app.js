// Small progressive enhancements; every page works without them.

// The strings scripts show, in the reader's language (app.i18n.locale.register_js_messages).
const dgMessages = JSON.parse(document.getElementById("dg-messages")?.textContent || "{}");
window.dgText = (name, fallback) => dgMessages[name] || fallback || name;
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
// data-show-when="state:on_hold,resolved" shows the part while the form's `state` is one of them
// (a checkbox's value counts only while it is checked: "resolved_on_call:y").
function showWhen() {
  document.querySelectorAll("[data-show-when]").forEach((part) => {
    const [name, values] = part.getAttribute("data-show-when").split(":");
    const control = part.closest("form")?.elements.namedItem(name);
    if (control) {
      const value = control.type === "checkbox" && !control.checked ? "" : control.value;
      part.hidden = !values.split(",").includes(value);
    }
  });
}
document.addEventListener("change", showWhen);
showWhen();

// People pickers (_macros/people.html): a suggestion fills in its username; arrow keys move
// between the input and the suggestions, Escape closes them. Typing a username works without.
function peopleList(input) {
  return document.getElementById(input.id + "-suggestions");
}

document.addEventListener("click", (event) => {
  const choice = event.target.closest("[data-pick]");
  const input = choice && document.getElementById(choice.dataset.pickFor);
  if (!input) {
    return;
  }
  if (input.dataset.peoplePicker === "multiple") {
    const words = input.value.split(/[\s,]+/).filter(Boolean);
    if (!/[\s,]$/.test(input.value)) {
      words.pop(); // the word being typed becomes the choice
    }
    words.push(choice.dataset.pick);
    input.value = words.join(", ") + ", ";
  } else {
    input.value = choice.dataset.pick;
  }
  peopleList(input).replaceChildren();
  input.focus();
});

document.addEventListener("keydown", (event) => {
  const target = event.target;
  const input = target.dataset && target.dataset.peoplePicker
    ? target
    : document.getElementById((target.dataset && target.dataset.pickFor) || "");
  if (!input) {
    return;
  }
  const options = [...peopleList(input).querySelectorAll("[data-pick]")];
  const at = options.indexOf(target);
  if (event.key === "Escape") {
    peopleList(input).replaceChildren();
    input.focus();
  } else if (event.key === "ArrowDown" && options.length) {
    options[Math.min(at + 1, options.length - 1)].focus();
  } else if (event.key === "ArrowUp" && at >= 0) {
    (at === 0 ? input : options[at - 1]).focus();
  } else {
    return;
  }
  event.preventDefault();
});
