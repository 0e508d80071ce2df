// A link in a refused form's error summary (includes/error_summary.html for staff forms,
// paper/_error_summary.html for a teller's) takes the reader to the field itself: its
// control focused, with its label, or its question's legend, in view. A link to an id
// alone only scrolls there and leaves the focus on the link; without JavaScript that is
// what it still does.
const CONTROLS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#']");
  if (!link) return;
  const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
  const control = target && (target.matches(CONTROLS) ? target : target.querySelector(CONTROLS));
  if (!control) return;
  event.preventDefault();
  const legend = control.closest("fieldset")?.querySelector("legend");
  let label = control.id ? document.querySelector(`label[for="${CSS.escape(control.id)}"]`) : null;
  if (label && label.getBoundingClientRect().width <= 1) label = null; // visually hidden: the control shows
  // A group of buttons (radio, checkbox) or a question is named by its legend.
  const choice = control.type === "radio" || control.type === "checkbox" || target.matches("fieldset");
  ((choice && legend) || label || legend || control).scrollIntoView({ block: "start" });
  control.focus({ preventScroll: true });
  history.replaceState(history.state, "", link.hash);
});
