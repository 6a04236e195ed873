// Fiche form: a suggested theme (experiences/workspace/_semantic_hints.html) is ticked in one click.
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-suggest-theme]");
    if (!button) return;
    const box = document.querySelector(`input[name="themes"][value="${button.dataset.suggestTheme}"]`);
    if (box) {
      box.checked = true;
      box.closest("[data-theme-item]")?.classList.remove("theme-hidden");
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
    const hints = button.closest("#semantic-theme-hints");
    button.remove();
    // The last suggestion taken: no heading left above an empty list.
    if (hints && !hints.querySelector("[data-suggest-theme]")) hints.replaceChildren();
  });
})();
