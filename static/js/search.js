// Search page enhancements (the "ma collectivité" combobox is combobox.js, shared by every form).
// Without JavaScript the page still works: the form submits with GET.
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

  function setup(root) {
    setupPanel(root);
  }

  document.addEventListener("DOMContentLoaded", () => setup(document));
  // htmx replaces #search-page after each change: wire the new content.
  document.addEventListener("htmx:afterSettle", () => setup(document));
  // The query box is typed into: search on submit (Enter), not on every change event.
  document.addEventListener("change", (event) => {
    if (event.target.id === "q") event.stopPropagation();
  }, true);
})();
