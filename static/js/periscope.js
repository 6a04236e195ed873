// Small progressive enhancements; every page works without JavaScript.
document.documentElement.classList.add("js");  // shows the controls that need JavaScript (.js-only)
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]")) el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
});
// The account menu (a <details>) closes on Escape and on a click elsewhere.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.account-menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.open = false;
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.account-menu[open]").forEach((menu) => {
    menu.open = false;
    menu.querySelector("summary").focus();
  });
});
// Long forms (marked data-enter-guard): Enter in a single-line field does not send the form;
// its buttons do. Comboboxes handle their own Enter first (combobox.js).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.defaultPrevented || event.isComposing) return;
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.form?.hasAttribute("data-enter-guard")) return;
  if (["submit", "button", "image", "reset", "checkbox", "radio", "file"].includes(field.type)) return;
  event.preventDefault();
});
