"""Signals of the territories app.

The app is a leaf: it imports no other portal app, so it cannot refresh what
others copied from its rows. It announces the change instead; the experiences
app listens (experiences/apps.py) and recomputes its fiches' territory columns.
"""

from django.dispatch import Signal

# Sent inside the import's transaction when it created, updated or retired rows.
# Arguments: result (territories.services.ImportResult).
territories_imported = Signal()
