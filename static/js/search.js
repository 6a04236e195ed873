// Search page enhancements. Without JavaScript the page still works: the form
// submits with GET, the "ma collectivité" field sends the typed name (ref_q),
// which the server resolves to the best matching territory.
(function () {
  "use strict";

  const MOBILE = window.matchMedia("(max-width: 991.98px)");
  let panelOpen = !MOBILE.matches;

  function setupPanel(root) {
    const panel = root.querySelector("[data-facet-panel]");
    if (!panel) return;
    panel.open = panelOpen;
    panel.addEventListener("toggle", () => { panelOpen = panel.open; });
  }

  function setupAutocomplete(root) {
    const input = root.querySelector("[data-territory-autocomplete]");
    if (!input || input.dataset.ready) return;
    input.dataset.ready = "1";
    const form = input.form;
    const slug = form.querySelector("[data-ref-slug]");
    const listbox = document.getElementById(input.getAttribute("aria-controls"));
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
        li.id = "ref-option-" + index;
        li.className = "list-group-item list-group-item-action" + (index === active ? " active" : "");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", index === active ? "true" : "false");
        const name = document.createElement("span");
        name.textContent = item.display || item.label;
        const meta = document.createElement("small");
        meta.className = "ms-2 text-muted";
        const lang = (document.documentElement.lang || "fr").slice(0, 2);
        const inhabitants = lang === "en" ? "inhab." : "hab.";
        meta.textContent = item.kind_label + (item.population ? " · " + item.population.toLocaleString(lang === "en" ? "en-GB" : "fr-FR") + " " + inhabitants : "");
        li.append(name, meta);
        li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(index); });
        listbox.append(li);
      });
      listbox.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      if (active >= 0) input.setAttribute("aria-activedescendant", "ref-option-" + active);
    }

    function choose(index) {
      const item = items[index];
      if (!item) return;
      input.value = item.name;
      slug.value = item.slug;
      close();
      form.requestSubmit();
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
        active = items.length ? 0 : -1;
        render();
      } catch (error) {
        if (error.name !== "AbortError") throw error;
      }
    }

    input.addEventListener("input", () => {
      slug.value = "";  // the typed name is what counts until a territory is chosen
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    // Typing alone must not launch a search: only choosing (or Enter) does.
    input.addEventListener("change", (event) => event.stopPropagation());
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
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
  }

  function setup(root) {
    setupPanel(root);
    setupAutocomplete(root);
  }

  document.addEventListener("DOMContentLoaded", () => setup(document));
  // htmx replaces #search-page after each change: wire the new content.
  document.addEventListener("htmx:afterSettle", () => setup(document));
  // The query box is typed into: search on submit (Enter), not on every change event.
  document.addEventListener("change", (event) => {
    if (event.target.id === "q") event.stopPropagation();
  }, true);
})();
