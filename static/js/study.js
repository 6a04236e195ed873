// Study workspace: autosave of notes, grid cells and conclusions, confirmations.
// Every form still works without JavaScript (its submit button posts it).
(() => {
  "use strict";
  const DELAY = 800;
  const RETRY = 5000;
  const lang = document.documentElement.lang || "fr";
  const t = {
    fr: { saving: "Enregistrement…", saved: "Enregistré à ", error: "Non enregistré — nouvel essai dans 5 s", invalid: "Non enregistré : ", leave: "Des modifications ne sont pas encore enregistrées." },
    en: { saving: "Saving…", saved: "Saved at ", error: "Not saved — retrying in 5 s", invalid: "Not saved: ", leave: "Some changes are not saved yet." },
  }[lang.slice(0, 2)] || {};

  const state = new WeakMap(); // form -> {timer, dirty, inflight}
  const pending = new Set();

  function status(form, text, kind) {
    const el = form.querySelector("[data-save-status]");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("text-danger", kind === "error");
    el.classList.toggle("text-success", kind === "ok");
  }

  async function save(form) {
    const s = state.get(form);
    if (s.inflight) { s.again = true; return; }
    s.inflight = true;
    s.dirty = false;
    status(form, t.saving);
    const body = new FormData(form);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { "X-Autosave": "1", "X-CSRFToken": body.get("csrfmiddlewaretoken") || "" },
        credentials: "same-origin",
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok && data.ok) {
        status(form, t.saved + data.saved_at, "ok");
        if (!s.dirty) pending.delete(form);
      } else if (response.status === 400) {
        // Invalid input: keep it in the field and say why; the next edit saves again.
        const messages = Object.values(data.errors || {}).flat().join(" ");
        status(form, t.invalid + messages, "error");
        s.dirty = true;
      } else {
        throw new Error(String(response.status));
      }
    } catch (err) {
      s.dirty = true;
      status(form, t.error, "error");
      clearTimeout(s.timer);
      s.timer = setTimeout(() => save(form), RETRY);
    } finally {
      s.inflight = false;
      if (s.again) { s.again = false; save(form); }
    }
  }

  function schedule(form) {
    const s = state.get(form);
    s.dirty = true;
    pending.add(form);
    clearTimeout(s.timer);
    s.timer = setTimeout(() => save(form), DELAY);
  }

  document.querySelectorAll("form[data-autosave]").forEach((form) => {
    state.set(form, { timer: null, dirty: false, inflight: false, again: false });
    form.addEventListener("input", () => schedule(form));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(state.get(form).timer);
      save(form);
    });
  });

  window.addEventListener("beforeunload", (event) => {
    if (pending.size) {
      pending.forEach((form) => save(form));
      event.preventDefault();
      event.returnValue = t.leave;
      return t.leave;
    }
    return undefined;
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("[data-confirm]") && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
