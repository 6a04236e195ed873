// The one combobox of the portal (WAI-ARIA 1.2 combobox with a listbox popup), for every
// autocomplete: territories, organisations, funders, partnership parties, tags, linked
// experiences, "ma collectivité". Every form works without it: the text typed is sent
// (`<name>_label` for one value, `<name>_add` for several) and the server resolves it.
//
// Markup (rendered by core/combobox.py, or by hand on the search pages):
//   <div data-combobox data-url="…" [data-multiple data-name="…"] [data-allow-create] [data-submit-on-choose]>
//     [<input type="hidden" data-combobox-value>]            one value: the chosen identifier
//     [<span data-combobox-chips> chips: checked checkboxes named <name> </span>]   several values
//     <input role="combobox" aria-controls="<list id>" data-combobox-input>
//     <ul id="<list id>" role="listbox" hidden></ul>
//   </div>
// Keys: ↓/↑ move through the suggestions, Enter picks the highlighted one and never sends the
// form (with data-allow-create it adds what was typed), Escape closes, Backspace in an empty
// box removes the last chip. With data-autoselect (territories) the first suggestion is
// highlighted as it comes; with data-submit-on-choose (the search pages) choosing applies it.
(function () {
  "use strict";
  const LANG = (document.documentElement.lang || "fr").slice(0, 2);
  const WORDS = {
    fr: { locale: "fr-FR", inhabitants: "hab.", remove: "Retirer", none: "Aucune suggestion", count: (n) => `${n} suggestion${n > 1 ? "s" : ""}, flèches haut et bas pour choisir` },
    en: { locale: "en-GB", inhabitants: "inhab.", remove: "Remove", none: "No suggestion", count: (n) => `${n} suggestion${n > 1 ? "s" : ""}, use up and down arrows to choose` },
  };
  const T = WORDS[LANG] || WORDS.fr;
  let uid = 0;

  // Our endpoints answer {value|slug, label|display|name, detail|kind(_label), population}.
  function normalise(r) {
    const kind = r.kind_label || r.kind || "";
    const people = r.population ? `${Number(r.population).toLocaleString(T.locale)} ${T.inhabitants}` : "";
    return {
      value: r.value ?? r.slug,
      label: r.label ?? r.display ?? r.name,
      detail: r.detail ?? [kind, people].filter(Boolean).join(" · "),
    };
  }

  function setup(root) {
    if (root.dataset.ready) return;
    const input = root.querySelector("[data-combobox-input]");
    const list = document.getElementById(input?.getAttribute("aria-controls") || "");
    if (!input || !list) return;
    root.dataset.ready = "1";
    const multiple = root.hasAttribute("data-multiple");
    const allowCreate = root.hasAttribute("data-allow-create");
    const submitOnChoose = root.hasAttribute("data-submit-on-choose");
    // Territories: the first suggestion is highlighted as it comes (Enter takes it). Not for
    // organisations and keywords, where what is typed may be a new name.
    const autoselect = submitOnChoose || root.hasAttribute("data-autoselect");
    const minChars = Number(root.dataset.minChars || 1);
    const hidden = root.querySelector("[data-combobox-value]");
    const chips = root.querySelector("[data-combobox-chips]");
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    root.append(status);
    let items = [];
    let active = -1;
    let timer = null;
    let controller = null;

    const isOpen = () => !list.hidden;
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      active = index;
      list.querySelectorAll("[role=option]").forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
      const option = list.children[index];
      if (option) {
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function render() {
      list.replaceChildren();
      items.forEach((item, i) => {
        const li = document.createElement("li");
        li.id = `${list.id}-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const label = document.createElement("span");
        label.textContent = item.label;
        li.append(label);
        if (item.detail) {
          const small = document.createElement("small");
          small.textContent = item.detail;
          li.append(small);
        }
        li.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the box
          choose(i);
        });
        list.append(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      highlight(autoselect && items.length ? 0 : -1);
      status.textContent = items.length ? T.count(items.length) : input.value.trim() ? T.none : "";
    }
    const typed = () => (multiple ? input.value.split(/[,;]/).pop() : input.value).trim();
    async function lookup() {
      const q = typed();
      if (q.length < minChars) {
        items = [];
        render();
        return;
      }
      controller?.abort();
      controller = new AbortController();
      try {
        const url = `${root.dataset.url}${root.dataset.url.includes("?") ? "&" : "?"}q=${encodeURIComponent(q)}`;
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal });
        if (!response.ok) return;
        const data = await response.json();
        const taken = multiple ? values() : [];
        items = (Array.isArray(data) ? data : data.results || []).map(normalise).filter((i) => !taken.includes(String(i.value).toLowerCase())).slice(0, 10);
        render();
      } catch (error) {
        if (error.name !== "AbortError") throw error;
      }
    }

    // --- Several values: chips -----------------------------------------------------------------
    const values = () => Array.from(chips?.querySelectorAll("input[type=checkbox]") || []).map((c) => c.value.toLowerCase());
    function decorate(chip) {
      if (chip.querySelector(".chip-remove")) return;
      const text = chip.querySelector("label")?.textContent || "";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chip-remove";
      button.setAttribute("aria-label", `${T.remove} ${text}`);
      button.textContent = "×";
      button.addEventListener("click", () => {
        chip.remove();
        input.focus();
        root.dispatchEvent(new CustomEvent("combobox:change", { bubbles: true }));
      });
      chip.append(button);
    }
    function addChip(value, label) {
      value = String(value).trim();
      if (!value || values().includes(value.toLowerCase())) return;
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.dataset.chip = "";
      const box = document.createElement("input");
      Object.assign(box, { type: "checkbox", name: root.dataset.name, value, id: `${input.id}-chip-${++uid}`, checked: true, className: "form-check-input chip-check" });
      const text = document.createElement("label");
      text.htmlFor = box.id;
      text.textContent = label || value;
      chip.append(box, text);
      decorate(chip);
      chips.append(chip);
      root.dispatchEvent(new CustomEvent("combobox:change", { bubbles: true }));
    }
    function addTyped() {
      input.value.split(/[,;]/).forEach((part) => addChip(part));
      input.value = "";
    }
    if (multiple) {
      chips.querySelectorAll("[data-chip]").forEach(decorate);
      root.combobox = { add: addChip, input };
      if (allowCreate) {
        // A keyword typed but not validated still counts when the form is sent.
        input.form?.addEventListener("submit", () => input.value.trim() && addTyped());
      }
    }

    function choose(index) {
      const item = items[index];
      if (!item) return;
      if (multiple) {
        addChip(item.value, item.label);
        input.value = "";
      } else {
        hidden.value = item.value;
        input.value = item.label;
        input.classList.remove("is-invalid");
        input.removeAttribute("aria-invalid");
      }
      items = [];
      close();
      status.textContent = item.label;
      if (submitOnChoose) input.form?.requestSubmit();
      else input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.addEventListener("input", () => {
      if (hidden) hidden.value = ""; // the typed text counts until a suggestion is chosen
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    if (submitOnChoose) {
      // htmx searches on "change": typing a name alone must not launch a search.
      input.addEventListener("change", (event) => event.stopPropagation());
    }
    input.addEventListener("keydown", (event) => {
      switch (event.key) {
        case "ArrowDown":
        case "ArrowUp":
          event.preventDefault();
          if (!isOpen()) {
            lookup();
          } else if (items.length) {
            const step = event.key === "ArrowDown" ? 1 : -1;
            highlight((active + step + items.length) % items.length);
          }
          break;
        case "Enter":
          if (event.isComposing) break;
          if (isOpen() && active >= 0) {
            event.preventDefault();
            choose(active);
          } else if (multiple && allowCreate && input.value.trim()) {
            event.preventDefault();
            addTyped();
            close();
          } else if (!submitOnChoose) {
            event.preventDefault(); // a combobox never sends its form
          }
          break;
        case ",":
          if (multiple && allowCreate && input.value.trim()) {
            event.preventDefault();
            addTyped();
            close();
          }
          break;
        case "Escape":
          if (isOpen()) {
            event.preventDefault();
            close();
          }
          break;
        case "Backspace":
          if (multiple && !input.value) {
            const last = chips.querySelectorAll("[data-chip]");
            if (last.length) {
              last[last.length - 1].remove();
              root.dispatchEvent(new CustomEvent("combobox:change", { bubbles: true }));
            }
          }
          break;
        default:
          break;
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  function init(scope) {
    (scope.matches?.("[data-combobox]") ? [scope] : []).concat(Array.from(scope.querySelectorAll("[data-combobox]"))).forEach(setup);
  }
  const start = () => init(document);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // Rows added to a formset, htmx swaps: wire the new comboboxes.
  document.addEventListener("periscope:content", (event) => init(event.target));
  document.addEventListener("htmx:afterSettle", (event) => init(event.target));
})();
