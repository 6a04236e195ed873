// The "ma collectivité" combobox (ARIA 1.2 combobox + listbox), on every form that has
// one: an input marked data-territory-combobox and, in the same form, a hidden
// field marked data-territory-slug. Choosing a territory fills that field. With
// data-submit-on-choose (the search page) the first option is preselected, choosing
// submits the form, and typing alone never does. Without JavaScript the typed name
// is sent as `ref_q` and the server resolves it.
(function () {
  "use strict";

  function setup(input) {
    if (input.dataset.ready) return;
    input.dataset.ready = "1";
    const slug = input.form.querySelector("[data-territory-slug]");
    const listbox = document.getElementById(input.getAttribute("aria-controls"));
    const lang = document.documentElement.lang || "fr";
    const inhabitants = input.dataset.inhabitants || "hab.";
    const submitOnChoose = "submitOnChoose" in input.dataset;
    let items = [];
    let active = -1;
    let timer = null;
    let controller = null;

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function render() {
      listbox.replaceChildren();
      items.forEach((item, index) => {
        const li = document.createElement("li");
        li.id = listbox.id + "-option-" + index;
        li.className = "list-group-item list-group-item-action" + (index === active ? " active" : "");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", index === active ? "true" : "false");
        const name = document.createElement("span");
        name.textContent = item.display || item.label || item.name;
        const meta = document.createElement("small");
        meta.className = "ms-2 option-meta";
        meta.textContent = item.kind_label + (item.population ? " · " + item.population.toLocaleString(lang) + " " + inhabitants : "");
        li.append(name, meta);
        li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(index); });
        listbox.append(li);
      });
      listbox.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      if (active >= 0) input.setAttribute("aria-activedescendant", listbox.id + "-option-" + active);
      else input.removeAttribute("aria-activedescendant");
    }

    function choose(index) {
      const item = items[index];
      if (!item) return;
      input.value = item.name;
      slug.value = item.slug;
      items = [];
      close();
      if (submitOnChoose) input.form.requestSubmit();
    }

    async function lookup() {
      const q = input.value.trim();
      if (q.length < 2) { items = []; render(); return; }
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch("/api/v1/territories/?q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" }, signal: controller.signal, credentials: "same-origin",
        });
        if (!response.ok) return;
        const data = await response.json();
        items = (Array.isArray(data) ? data : data.results || []).slice(0, 8);
        active = submitOnChoose && items.length ? 0 : -1;
        render();
      } catch (error) {
        if (error.name !== "AbortError") throw error;
      }
    }

    input.addEventListener("input", () => {
      slug.value = "";  // the typed name counts until a territory is chosen
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    if (submitOnChoose) {
      // htmx searches on "change": typing a name alone must not launch a search.
      input.addEventListener("change", (event) => event.stopPropagation());
    }
    input.addEventListener("keydown", (event) => {
      if (listbox.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        active = (active + step + items.length) % items.length;
        render();
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  function setupAll() {
    document.querySelectorAll("[data-territory-combobox]").forEach(setup);
  }

  document.addEventListener("DOMContentLoaded", setupAll);
  // htmx replaces the search page's content after each change: wire the new input.
  document.addEventListener("htmx:afterSettle", setupAll);
})();
