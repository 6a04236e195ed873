// Consultant workspace: autocomplete, chips, inline rows, rich text, theme filter, tag suggestions.
// Every page works without it; this file only makes capture faster.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The page's language (<html lang>) picks the words this file writes itself.
  const LANG = (document.documentElement.lang || "fr").slice(0, 2);
  const WORDS = {
    fr: {
      locale: "fr-FR", inhabitants: "hab.", remove: "Retirer", similarTags: "Mots-clés proches :",
      relatedTags: "Souvent avec ces thèmes :", formatting: "Mise en forme", bold: "Gras", italic: "Italique",
      list: "• Liste", bulletList: "Liste à puces", numbered: "1. Liste", numberedList: "1. Liste numérotée",
      link: "Lien", clear: "Effacer", clearFormatting: "Effacer la mise en forme", linkPrompt: "Adresse du lien (https://…)",
    },
    en: {
      locale: "en-GB", inhabitants: "inhab.", remove: "Remove", similarTags: "Similar keywords:",
      relatedTags: "Often used with these themes:", formatting: "Formatting", bold: "Bold", italic: "Italic",
      list: "• List", bulletList: "Bulleted list", numbered: "1. List", numberedList: "1. List, numbered",
      link: "Link", clear: "Clear", clearFormatting: "Clear formatting", linkPrompt: "Link address (https://…)",
    },
  };
  const T = WORDS[LANG] || WORDS.fr;

  const debounce = (fn, ms) => {
    let timer;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  };
  let uid = 0;
  const nextId = (prefix) => `${prefix}-${++uid}`;

  async function fetchJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return null;
    return response.json();
  }

  // Results from our endpoints and from /territoires/autocomplete/ share one shape here.
  const normalise = (r) => ({
    value: r.value ?? r.slug,
    label: r.label,
    detail: r.detail ?? [r.kind, r.population ? `${Number(r.population).toLocaleString(T.locale)} ${T.inhabitants}` : ""].filter(Boolean).join(" · "),
  });

  // --- Listbox shared by single autocomplete and chips ----------------------------------------
  function attachListbox(input, list, url, onChoose) {
    let items = [];
    let active = -1;
    const close = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };
    const highlight = (index) => {
      const options = list.querySelectorAll("[role=option]");
      options.forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      }
    };
    const render = () => {
      list.replaceChildren();
      items.forEach((item, i) => {
        const li = document.createElement("li");
        li.id = nextId("opt");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const label = document.createElement("span");
        label.textContent = item.label;
        li.append(label);
        if (item.detail !== undefined && item.detail !== "") {
          const small = document.createElement("small");
          small.textContent = item.detail;
          li.append(small);
        }
        li.addEventListener("mousedown", (event) => {
          event.preventDefault();
          onChoose(items[i]);
          close();
        });
        list.append(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    };
    const search = debounce(async () => {
      const q = input.value.split(/[,;]/).pop().trim();
      if (!q) {
        items = [];
        render();
        return;
      }
      const data = await fetchJSON(`${url}${url.includes("?") ? "&" : "?"}q=${encodeURIComponent(q)}`);
      items = (data?.results || []).map(normalise);
      render();
    }, 180);
    input.addEventListener("input", search);
    input.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        onChoose(items[active]);
        close();
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 120));
    return { close, isOpen: () => !list.hidden, hasActive: () => active >= 0 };
  }

  // --- Single value: hidden slug + visible label ---------------------------------------------------
  function initAutocomplete(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    const input = root.querySelector("[data-ac-input]");
    const hidden = root.querySelector("[data-ac-value]");
    const list = root.querySelector(".ac-list");
    // Typing replaces the choice: the server then resolves the typed text.
    input.addEventListener("input", () => {
      hidden.value = "";
    });
    attachListbox(input, list, root.dataset.url, (item) => {
      hidden.value = item.value;
      input.value = item.label;
      input.classList.remove("is-invalid");
    });
  }

  // --- Several values as chips -------------------------------------------------------------------
  function initChips(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    const name = root.dataset.name;
    const input = root.querySelector("[data-ac-input]");
    const chipList = root.querySelector("[data-chip-list]");
    const list = root.querySelector(".ac-list");
    const allowCreate = root.hasAttribute("data-allow-create");

    const values = () => Array.from(chipList.querySelectorAll("input[type=checkbox]")).map((c) => c.value.toLowerCase());
    const decorate = (chip) => {
      if (chip.querySelector(".chip-remove")) return;
      const label = chip.querySelector("label").textContent;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chip-remove";
      button.setAttribute("aria-label", `${T.remove} ${label}`);
      button.textContent = "×";
      button.addEventListener("click", () => {
        chip.remove();
        input.focus();
        root.dispatchEvent(new CustomEvent("chips:change", { bubbles: true }));
      });
      chip.append(button);
    };
    const add = (value, label) => {
      value = value.trim();
      if (!value || values().includes(value.toLowerCase())) return;
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.dataset.chip = "";
      const id = nextId(`${name}-chip`);
      const box = document.createElement("input");
      Object.assign(box, { type: "checkbox", name, value, id, checked: true, className: "form-check-input chip-check" });
      const text = document.createElement("label");
      text.htmlFor = id;
      text.textContent = label || value;
      chip.append(box, text);
      decorate(chip);
      chipList.append(chip);
      root.dispatchEvent(new CustomEvent("chips:change", { bubbles: true }));
    };
    root.chipsAdd = add;
    chipList.querySelectorAll("[data-chip]").forEach(decorate);
    const listbox = attachListbox(input, list, root.dataset.url, (item) => {
      add(item.value, item.label);
      input.value = "";
    });
    input.addEventListener("keydown", (event) => {
      if (allowCreate && (event.key === "Enter" || event.key === ",") && !listbox.hasActive()) {
        if (input.value.trim()) {
          event.preventDefault();
          input.value.split(/[,;]/).forEach((part) => add(part));
          input.value = "";
          listbox.close();
        } else if (event.key === "Enter") {
          event.preventDefault();
        }
      } else if (event.key === "Backspace" && !input.value) {
        const chips = chipList.querySelectorAll("[data-chip]");
        if (chips.length) chips[chips.length - 1].remove();
      }
    });
    // A tag typed but not validated still counts when the form is sent.
    if (allowCreate) {
      input.closest("form")?.addEventListener("submit", () => {
        if (input.value.trim()) {
          input.value.split(/[,;]/).forEach((part) => add(part));
          input.value = "";
        }
      });
    }
  }

  // --- Tag suggestions: close names and tags used with the chosen themes --------------------------
  function initSuggestions(box) {
    const chipsRoot = box.closest("[data-chips]");
    const form = box.closest("form");
    const input = chipsRoot.querySelector("[data-ac-input]");
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
            chipsRoot.chipsAdd(name);
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
    chipsRoot.addEventListener("chips:change", refresh);
    input.addEventListener("input", refresh);
    refresh();
  }

  // --- Inline lists (Django formsets) --------------------------------------------------------------
  function initFormset(root) {
    const prefix = root.dataset.formset;
    const total = root.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const max = root.querySelector(`input[name="${prefix}-MAX_NUM_FORMS"]`);
    const rows = root.querySelector("[data-formset-rows]");
    const template = root.querySelector("template[data-formset-template]");
    const addButton = root.querySelector("[data-formset-add]");
    const wire = (row) => {
      const remove = row.querySelector("[data-formset-remove]");
      remove.hidden = false;
      remove.addEventListener("click", () => {
        // Marked for deletion, the row is neither validated nor saved (new rows included).
        row.querySelector(`input[name$="-DELETE"]`).checked = true;
        row.classList.add("is-deleted");
      });
      row.querySelectorAll("[data-autocomplete]").forEach(initAutocomplete);
    };
    // The blank row offered to browsers without JavaScript is replaced by the "add" button.
    const blank = (row) =>
      !row.querySelector(".is-invalid, .alert") &&
      !row.querySelector(`input[name$="-id"]`)?.value &&
      Array.from(row.querySelectorAll("input[type=text], input[type=email], input[type=url], input[type=number], input[type=date], input[type=file], textarea, [data-ac-value]")).every((el) => !el.value);
    let trailing = rows.querySelectorAll("[data-formset-row]");
    while (trailing.length && blank(trailing[trailing.length - 1])) {
      trailing[trailing.length - 1].remove();
      total.value = String(Number(total.value) - 1);
      trailing = rows.querySelectorAll("[data-formset-row]");
    }
    rows.querySelectorAll("[data-formset-row]").forEach(wire);
    addButton.hidden = false;
    addButton.addEventListener("click", () => {
      const index = Number(total.value);
      if (max && index >= Number(max.value)) return;
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const row = holder.firstElementChild;
      rows.append(row);
      total.value = String(index + 1);
      wire(row);
      row.querySelector("input:not([type=hidden]), select")?.focus();
    });
  }

  // --- Rich text: a small editor limited to what the server keeps -----------------------------------
  const ALLOWED = new Set(["P", "BR", "STRONG", "EM", "B", "I", "UL", "OL", "LI", "A", "DIV"]);
  function cleanInto(target, source) {
    // Rebuild the nodes instead of copying them: no attribute but a checked href survives.
    source.childNodes.forEach((node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        target.append(document.createTextNode(node.textContent));
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        if (!ALLOWED.has(node.tagName)) {
          if (!["SCRIPT", "STYLE", "IFRAME", "OBJECT"].includes(node.tagName)) cleanInto(target, node);
          return;
        }
        const el = document.createElement(node.tagName.toLowerCase());
        if (node.tagName === "A") {
          const href = node.getAttribute("href") || "";
          if (/^(https?:|mailto:)/i.test(href)) el.setAttribute("href", href);
        }
        cleanInto(el, node);
        target.append(el);
      }
    });
  }
  function toHTML(text) {
    if (/<\/?(p|br|strong|em|b|i|ul|ol|li|a|div)\b/i.test(text)) return text;
    const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
    return text
      .split(/\n\s*\n/)
      .filter((block) => block.trim())
      .map((block) => {
        const lines = block.split("\n").filter((l) => l.trim());
        if (lines.every((l) => /^\s*[-•*]\s+/.test(l))) {
          return `<ul>${lines.map((l) => `<li>${escape(l.replace(/^\s*[-•*]\s+/, ""))}</li>`).join("")}</ul>`;
        }
        return `<p>${lines.map(escape).join("<br>")}</p>`;
      })
      .join("");
  }
  function initRichText(textarea) {
    const label = document.querySelector(`label[for="${textarea.id}"]`);
    const toolbar = document.createElement("div");
    toolbar.className = "rte-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", `${T.formatting} : ${label ? label.textContent.trim() : ""}`);
    const editor = document.createElement("div");
    editor.className = "rte" + (textarea.classList.contains("is-invalid") ? " is-invalid" : "");
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    if (label) {
      label.id = label.id || nextId("lbl");
      editor.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", () => editor.focus());
    }
    const described = textarea.getAttribute("aria-describedby");
    if (described) editor.setAttribute("aria-describedby", described);
    const parsed = new DOMParser().parseFromString(toHTML(textarea.value), "text/html");
    cleanInto(editor, parsed.body);
    const buttons = [
      ["bold", T.bold.charAt(0), T.bold, "fw-bold"],
      ["italic", T.italic.charAt(0), T.italic, "fst-italic"],
      ["insertUnorderedList", T.list, T.bulletList, ""],
      ["insertOrderedList", T.numbered, T.numberedList, ""],
      ["createLink", T.link, T.link, "text-decoration-underline"],
      ["removeFormat", T.clear, T.clearFormatting, "text-muted"],
    ];
    buttons.forEach(([command, text, title, css]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      if (css) button.className = css;
      button.title = title;
      button.setAttribute("aria-label", title);
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => {
        editor.focus();
        if (command === "createLink") {
          const url = window.prompt(T.linkPrompt, "https://");
          if (url && /^(https?:\/\/|mailto:)/i.test(url)) document.execCommand("createLink", false, url);
        } else {
          document.execCommand(command, false, null);
        }
      });
      toolbar.append(button);
    });
    // Pasted content keeps its text only: no foreign styles or markup.
    editor.addEventListener("paste", (event) => {
      event.preventDefault();
      const text = (event.clipboardData || window.clipboardData).getData("text/plain");
      document.execCommand("insertText", false, text);
    });
    const sync = () => {
      const copy = document.createElement("div");
      cleanInto(copy, editor);
      textarea.value = copy.innerHTML;
    };
    editor.addEventListener("input", sync);
    textarea.form?.addEventListener("submit", sync);
    textarea.hidden = true;
    textarea.after(toolbar, editor);
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
    root.querySelectorAll("[data-autocomplete]").forEach(initAutocomplete);
    root.querySelectorAll("[data-chips]").forEach(initChips);
    root.querySelectorAll("[data-formset]").forEach(initFormset);
    root.querySelectorAll("textarea[data-richtext]").forEach(initRichText);
    root.querySelectorAll("[data-theme-tree]").forEach(initThemeFilter);
    root.querySelectorAll("[data-tag-suggestions]").forEach(initSuggestions);
    root.querySelector("[data-error-summary]")?.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => init(document));
  else init(document);
})();
