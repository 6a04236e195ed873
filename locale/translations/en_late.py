# English translations added after the first pass (see scripts/fill_translations.py).
T = {
    "Fiche PDF": "PDF fiche",
    "langue du rapport": "report language",
    "Langue du rapport": "Report language",
    "Langue de rapport inconnue : %(code)s": "Unknown report language: %(code)s",
}
