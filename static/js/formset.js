// The one script for inline lists (Django formsets): funding lines, actors, contacts, sources,
// attachments, partnership parties, deliverables… Every form works without it (the server
// offers a blank row at each save); with it, "add" clones the empty form and "remove" marks
// a row for deletion.
//
// Markup: <div data-formset="<prefix>"> management form, <… data-formset-rows> rows marked
// data-formset-row (with a <prefix>-N-DELETE checkbox and, optionally, a [data-formset-remove]
// button), <template data-formset-template> the empty form, <button data-formset-add hidden>.
(function () {
  "use strict";

  const FILLED = "input[type=text], input[type=email], input[type=url], input[type=number], input[type=date], input[type=file], textarea, [data-combobox-value]";

  function setup(box) {
    if (box.dataset.ready) return;
    const prefix = box.dataset.formset;
    const total = box.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const max = box.querySelector(`input[name="${prefix}-MAX_NUM_FORMS"]`);
    const rows = box.querySelector("[data-formset-rows]");
    const template = box.querySelector("template[data-formset-template]");
    const add = box.querySelector("[data-formset-add]");
    if (!total || !rows || !template || !add) return;
    box.dataset.ready = "1";

    function wire(row) {
      const remove = row.querySelector("[data-formset-remove]");
      if (!remove) return;
      remove.hidden = false;
      remove.addEventListener("click", () => {
        // Marked for deletion, the row is neither validated nor saved (new rows included).
        const deleted = row.querySelector('input[name$="-DELETE"]');
        if (deleted) deleted.checked = true;
        row.classList.add("is-deleted");
        add.focus();
      });
    }
    // The blank rows offered to browsers without JavaScript give way to the "add" button.
    const blank = (row) =>
      !row.querySelector(".is-invalid, .alert, .invalid-feedback") &&
      !row.querySelector('input[name$="-id"]')?.value &&
      Array.from(row.querySelectorAll(FILLED)).every((el) => !el.value.trim());
    let all = rows.querySelectorAll("[data-formset-row]");
    while (all.length && blank(all[all.length - 1])) {
      all[all.length - 1].remove();
      total.value = String(Number(total.value) - 1);
      all = rows.querySelectorAll("[data-formset-row]");
    }
    all.forEach(wire);
    add.hidden = false;
    add.classList.remove("d-none");
    add.addEventListener("click", () => {
      const index = Number(total.value);
      if (max && index >= Number(max.value)) return;
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
      const row = rows.lastElementChild;
      total.value = String(index + 1);
      wire(row);
      row.dispatchEvent(new CustomEvent("periscope:content", { bubbles: true }));
      row.querySelector("input:not([type=hidden]), select, textarea")?.focus();
    });
  }

  const start = () => document.querySelectorAll("[data-formset]").forEach(setup);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
