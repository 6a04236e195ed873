// Consultant workspace: tag suggestions, theme filter, confirmations. Every page works
// without it. Comboboxes, inline rows and the text editor have their own scripts
// (combobox.js, formset.js, richtext.js), shared with the rest of the portal.
(function () {
  "use strict";
  const LANG = (document.documentElement.lang || "fr").slice(0, 2);
  const WORDS = {
    fr: { similarTags: "Mots-clés proches :", relatedTags: "Souvent avec ces thèmes :" },
    en: { similarTags: "Similar keywords:", relatedTags: "Often used with these themes:" },
  };
  const T = WORDS[LANG] || WORDS.fr;

  const debounce = (fn, ms) => {
    let timer;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  };

  async function fetchJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return null;
    return response.json();
  }

  // --- Tag suggestions: close names and tags used with the chosen themes --------------------------
  function initSuggestions(box) {
    const chipsRoot = document.getElementById(box.dataset.for)?.closest("[data-combobox]");
    const form = box.closest("form");
    if (!chipsRoot || !form) return;
    const input = chipsRoot.querySelector("[data-combobox-input]");
    const refresh = debounce(async () => {
      const params = new URLSearchParams();
      form.querySelectorAll("input[name=themes]:checked").forEach((c) => params.append("themes", c.value));
      chipsRoot.querySelectorAll(`input[name="${chipsRoot.dataset.name}"]`).forEach((c) => params.append("tags", c.value));
      params.set("q", input.value.split(/[,;]/).pop().trim());
      const data = await fetchJSON(`${box.dataset.url}?${params}`);
      box.replaceChildren();
      if (!data) return;
      const group = (title, names) => {
        if (!names.length) return;
        const wrapper = document.createElement("div");
        const label = document.createElement("span");
        label.className = "text-muted me-1";
        label.textContent = title;
        wrapper.append(label);
        names.forEach((name) => {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-outline-secondary";
          button.textContent = `+ ${name}`;
          button.addEventListener("click", () => {
            chipsRoot.combobox?.add(name);
            button.remove();
          });
          wrapper.append(button);
        });
        box.append(wrapper);
      };
      group(T.similarTags, data.similar || []);
      group(T.relatedTags, data.related || []);
    }, 300);
    form.addEventListener("change", (event) => {
      if (event.target.name === "themes") refresh();
    });
    chipsRoot.addEventListener("combobox:change", refresh);
    input.addEventListener("input", refresh);
    refresh();
  }

  // --- Theme filter ---------------------------------------------------------------------------------
  function initThemeFilter(tree) {
    const filter = tree.querySelector("[data-theme-filter]");
    if (!filter) return;
    filter.hidden = false;
    const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    filter.addEventListener("input", () => {
      const q = fold(filter.value.trim());
      tree.querySelectorAll("[data-theme-item]").forEach((item) => {
        const match = !q || fold(item.textContent).includes(q) || item.querySelector("input").checked;
        item.classList.toggle("theme-hidden", !match);
      });
    });
  }

  // --- Confirmations -----------------------------------------------------------------------------------
  document.addEventListener("submit", (event) => {
    const message = event.submitter?.dataset.confirm || event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  function init(root) {
    root.querySelectorAll("[data-theme-tree]").forEach(initThemeFilter);
    root.querySelectorAll("[data-tag-suggestions]").forEach(initSuggestions);
    root.querySelector("[data-error-summary]")?.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => init(document));
  else init(document);
})();
