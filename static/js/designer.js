// Show only the settings that belong to the chosen kind of question. Without JavaScript
// the server renders the right groups for the kind it knows; this keeps them in step when
// the organiser changes the kind before saving.
const form = document.querySelector("[data-kind-form]");
if (form) {
  const select = form.querySelector("select[name=kind]");
  const update = () => {
    for (const group of form.querySelectorAll("[data-kinds]")) {
      group.hidden = !group.dataset.kinds.split(" ").includes(select.value);
    }
  };
  select.addEventListener("change", update);
  update();
}
