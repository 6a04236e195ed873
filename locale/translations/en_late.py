# English translations added after the first pass (see scripts/fill_translations.py).
T = {
    "Fiche PDF": "PDF fiche",
}
