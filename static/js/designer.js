// The designer's pages work as plain forms; this module makes them quicker to use.
const form = document.querySelector("[data-kind-form]");

// Show only the settings that belong to the chosen kind of question. Without JavaScript
// the server renders the right groups for the kind it knows; this keeps them in step when
// the organiser changes the kind before saving.
if (form) {
  const select = form.querySelector("select[name=kind]");
  // The kind whose settings are on show: the server saves only a form whose settings
  // were shown for the kind chosen (without JavaScript it shows them first).
  const rendered = form.querySelector("input[name=rendered_kind]");
  const update = () => {
    for (const group of form.querySelectorAll("[data-kinds]")) {
      group.hidden = !group.dataset.kinds.split(" ").includes(select.value);
    }
    if (rendered) rendered.value = select.value;
  };
  select.addEventListener("change", update);
  update();
}

// "Add a row" adds an empty option row on the page instead of sending the form (which is
// what it does without JavaScript). The formset's count of rows is kept in step.
const rows = form?.querySelector("[data-option-rows]");
const rowTemplate = form?.querySelector("template[data-option-template]");
const addButton = form?.querySelector("[data-add-option]");
if (rows && rowTemplate && addButton) {
  const total = form.querySelector("input[name$='-TOTAL_FORMS']");
  const maximum = Number(form.querySelector("input[name$='-MAX_NUM_FORMS']").value);
  addButton.addEventListener("click", (event) => {
    event.preventDefault();
    const index = Number(total.value);
    if (index >= maximum) return;
    const html = rowTemplate.innerHTML
      .replaceAll("__prefix__", String(index))
      .replaceAll("__n__", String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    addButton.disabled = index + 1 >= maximum;
    rows.lastElementChild.querySelector("input[type=text]").focus();
  });
}

// The process form's timeline and panel: "Add a row" (hidden without JavaScript, where
// the form has a few empty rows instead) adds an empty row from the formset's template
// and keeps its count of rows in step; the new row's first field gets the focus.
for (const group of document.querySelectorAll("[data-formset]")) {
  const prefix = group.dataset.formset;
  const body = group.querySelector("[data-rows]");
  const template = group.querySelector("template[data-row-template]");
  const button = group.querySelector("[data-add-row]");
  const total = group.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
  const most = group.querySelector(`input[name="${prefix}-MAX_NUM_FORMS"]`);
  if (!body || !template || !button || !total || !most) continue;
  const maximum = Number(most.value);
  button.disabled = Number(total.value) >= maximum;
  button.hidden = false;
  button.addEventListener("click", () => {
    const index = Number(total.value);
    if (index >= maximum) return;
    const html = template.innerHTML
      .replaceAll("__prefix__", String(index))
      .replaceAll("__n__", String(index + 1));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    button.disabled = index + 1 >= maximum;
    body.lastElementChild.querySelector("input, select")?.focus();
  });
}

// Publish, close and remove first ask. Without JavaScript their button leads to a page
// that asks; here that page's question is shown in a dialog, so nothing happens until the
// organiser confirms there. If the question cannot be fetched, the page opens instead.
const dialog = document.getElementById("confirm-dialog");
if (dialog && typeof dialog.showModal === "function") {
  let opener = null;
  const show = (section) => {
    const heading = section.querySelector("h1");
    if (heading) {
      const h2 = document.createElement("h2");
      h2.id = heading.id;
      h2.append(...heading.childNodes);
      heading.replaceWith(h2);
      dialog.setAttribute("aria-labelledby", h2.id);
    }
    dialog.replaceChildren(section);
    for (const cancel of dialog.querySelectorAll("[data-confirm-cancel]")) {
      cancel.addEventListener("click", (event) => {
        event.preventDefault();
        dialog.close();
      });
    }
    dialog.showModal();
    // The safe choice has the focus: Enter or a stray click does not act.
    dialog.querySelector("[data-confirm-cancel]")?.focus();
  };
  dialog.addEventListener("close", () => opener?.focus());
  for (const ask of document.querySelectorAll("form[data-confirm-form]")) {
    const button = ask.querySelector("button");
    button?.setAttribute("aria-haspopup", "dialog");
    ask.addEventListener("submit", async (event) => {
      event.preventDefault();
      opener = button;
      try {
        const response = await fetch(ask.action, { credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const section = page.querySelector("[data-confirm]");
        if (!section) throw new Error("no question on the page");
        show(document.adoptNode(section));
      } catch {
        ask.submit();
      }
    });
  }
}
