"""OpenAPI schema additions: the error answers every operation can give.

drf-spectacular documents the success answer of each operation; DRF itself answers
400 (invalid filter), 401 (bad token), 403, 404 (unknown object or page) and 429
(rate limit) everywhere. Documenting them lets clients — and Schemathesis — check
those answers against the schema too.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# The text of SPECTACULAR_SETTINGS["DESCRIPTION"], translated for each reader below.
API_DESCRIPTION = _("Expériences territoriales, études de benchmarking et partenariats.")
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": _("Un message par paramètre invalide."),
    "additionalProperties": {},
}
ERRORS = {
    "400": (_("Paramètres invalides."), "ValidationError"),
    "401": (_("Jeton invalide ou absent alors qu'il est requis."), "Error"),
    "403": (_("Droits insuffisants."), "Error"),
    "404": (_("Objet inconnu ou non visible, ou page inexistante."), "Error"),
    "429": (_("Trop de requêtes : voir l'en-tête Retry-After."), "Error"),
}


def add_error_responses(result, generator, request, public):  # noqa: ARG001 - drf-spectacular hook signature
    # The settings' description is French; the schema is written in the reader's language.
    result.setdefault("info", {})["description"] = str(API_DESCRIPTION)
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    components.setdefault(
        "ValidationError",
        {**VALIDATION_ERROR_SCHEMA, "description": str(VALIDATION_ERROR_SCHEMA["description"])},
    )
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, component) in ERRORS.items():
                responses.setdefault(
                    status,
                    {
                        "description": str(description),
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
                    },
                )
    return result
