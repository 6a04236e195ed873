// Partnership edit form: "add a row" for the inline formsets and suggestions for the
// territory / experience boxes. The form works without it (one blank row per save,
// names or codes typed by hand).
(() => {
  const script = document.currentScript;
  const urls = {
    territories: script && script.dataset.territoryUrl,
    experiences: script && script.dataset.experienceUrl,
  };

  document.querySelectorAll("[data-formset]").forEach((fieldset) => {
    const prefix = fieldset.dataset.formset;
    const total = fieldset.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const body = fieldset.querySelector("[data-formset-body]");
    const template = fieldset.querySelector("template[data-formset-template]");
    const button = fieldset.querySelector("[data-formset-add]");
    if (!total || !body || !template || !button) return;
    button.classList.remove("d-none");
    button.addEventListener("click", () => {
      const index = parseInt(total.value, 10);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const first = body.lastElementChild && body.lastElementChild.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    });
  });

  document.querySelectorAll("textarea[data-autocomplete]").forEach((box) => {
    const url = urls[box.dataset.autocomplete];
    if (!url) return;
    const list = document.createElement("ul");
    list.className = "list-unstyled suggestions mt-1";
    list.setAttribute("aria-live", "polite");
    list.setAttribute("aria-label", "Suggestions");
    box.insertAdjacentElement("afterend", list);
    let timer = null;
    let controller = null;

    const lastLine = () => box.value.split("\n").pop().trim();
    const choose = (slug) => {
      const lines = box.value.split("\n");
      lines[lines.length - 1] = slug;
      box.value = lines.join("\n") + "\n";
      list.replaceChildren();
      box.focus();
    };

    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const query = lastLine();
        if (query.length < 2) { list.replaceChildren(); return; }
        if (controller) controller.abort();
        controller = new AbortController();
        try {
          const response = await fetch(`${url}?q=${encodeURIComponent(query)}`, { signal: controller.signal, headers: { Accept: "application/json" } });
          if (!response.ok) return;
          const data = await response.json();
          list.replaceChildren(...data.results.slice(0, 8).map((item) => {
            const li = document.createElement("li");
            const button = document.createElement("button");
            button.type = "button";
            button.className = "btn btn-link btn-sm p-0 text-start";
            button.textContent = item.kind ? `${item.label} — ${item.kind}` : item.label;
            button.addEventListener("click", () => choose(item.slug));
            li.append(button);
            return li;
          }));
        } catch (error) {
          if (error.name !== "AbortError") list.replaceChildren();
        }
      }, 200);
    });
  });
})();
