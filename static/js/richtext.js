// The editor of long texts (fiche, study, partnership): bold, italic, bulleted and numbered
// lists, links; nothing the server would not keep (core/richtext.py). Without JavaScript the
// textarea takes the readable text form (blank lines, "- " bullets, **bold**…); with it, this
// editor writes HTML into the textarea and says so (<name>__format=html). The server sanitises
// either way.
(function () {
  "use strict";
  const LANG = (document.documentElement.lang || "fr").slice(0, 2);
  const WORDS = {
    fr: {
      formatting: "Mise en forme", bold: "Gras", italic: "Italique", list: "• Liste", bulletList: "Liste à puces",
      numbered: "1. Liste", numberedList: "1. Liste numérotée", link: "Lien", clear: "Effacer",
      clearFormatting: "Effacer la mise en forme", linkPrompt: "Adresse du lien (https://…)",
    },
    en: {
      formatting: "Formatting", bold: "Bold", italic: "Italic", list: "• List", bulletList: "Bulleted list",
      numbered: "1. List", numberedList: "1. List, numbered", link: "Link", clear: "Clear",
      clearFormatting: "Clear formatting", linkPrompt: "Link address (https://…)",
    },
  };
  const T = WORDS[LANG] || WORDS.fr;
  const ALLOWED = new Set(["P", "BR", "STRONG", "EM", "B", "I", "UL", "OL", "LI", "A", "DIV"]);
  const DROPPED = new Set(["SCRIPT", "STYLE", "IFRAME", "OBJECT", "TEMPLATE"]);
  let uid = 0;

  // Rebuild the nodes instead of copying them: no attribute but a checked href survives.
  function cleanInto(target, source) {
    source.childNodes.forEach((node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        // Browsers type a no-break space at the edge of a text node (after bold text, at a
        // line's end) to keep it visible: it is an ordinary space for the person writing.
        target.append(document.createTextNode(node.textContent.replace(/^\u00a0|\u00a0$/g, " ")));
      } else if (node.nodeType === Node.ELEMENT_NODE && !DROPPED.has(node.tagName)) {
        if (!ALLOWED.has(node.tagName)) {
          cleanInto(target, node);
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

  function setup(textarea) {
    if (textarea.dataset.ready) return;
    textarea.dataset.ready = "1";
    const format = textarea.form?.elements.namedItem(`${textarea.name}__format`);
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
    editor.id = `${textarea.id || "rte"}-editor-${++uid}`;
    if (label) {
      label.id = label.id || `${editor.id}-label`;
      editor.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", () => editor.focus());
    }
    ["aria-describedby", "aria-invalid"].forEach((name) => {
      if (textarea.hasAttribute(name)) editor.setAttribute(name, textarea.getAttribute(name));
    });
    // The server hands the canonical HTML alongside the readable text the textarea shows.
    const parsed = new DOMParser().parseFromString(textarea.dataset.html || "", "text/html");
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
      button.dataset.command = command;
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => {
        editor.focus();
        if (command === "createLink") {
          const url = window.prompt(T.linkPrompt, "https://");
          if (url && /^(https?:\/\/|mailto:)/i.test(url)) document.execCommand("createLink", false, url);
        } else {
          document.execCommand(command, false, null);
        }
        sync();
      });
      toolbar.append(button);
    });
    // Pasted content keeps its text only: no foreign styles or markup.
    editor.addEventListener("paste", (event) => {
      event.preventDefault();
      const text = (event.clipboardData || window.clipboardData).getData("text/plain");
      document.execCommand("insertText", false, text);
    });
    function sync() {
      const copy = document.createElement("div");
      cleanInto(copy, editor);
      textarea.value = copy.innerHTML;
      if (format) format.value = "html";
    }
    editor.addEventListener("input", sync);
    textarea.form?.addEventListener("submit", sync);
    sync();
    // The textarea is hidden: the browser cannot point at it, the server checks instead.
    textarea.required = false;
    textarea.hidden = true;
    textarea.after(toolbar, editor);
  }

  function init(scope) {
    scope.querySelectorAll("textarea[data-richtext]").forEach(setup);
  }
  const start = () => init(document);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("periscope:content", (event) => init(event.target));
})();
