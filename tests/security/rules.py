"""The expected GET status of every route, per role, as a small rule table.

A rule gives, per role, the status of the page for an object that role may see (or
of the page itself for a route without an object). For an object the role may NOT
see, no rule is needed: the answer must be exactly the answer for an object that
does not exist (404, not 403; or the same redirect to the sign-in page), and the
object's canary must not be in it.

Adding a route: add a line here. A route without a line makes
`test_every_route_has_a_rule` fail with its name; meanwhile the safe default still
applies to it (never a 500, hidden == unknown, no canary).
"""

from __future__ import annotations

import dataclasses
import fnmatch

V, R, M, MB, C, S = "visitor", "registered", "member", "member_b", "consultant", "staff"
ALL = (V, R, M, MB, C, S)
SIGNED_IN = (R, M, MB, C, S)


def statuses(default: int, **overrides: int) -> dict[str, int]:
    result = dict.fromkeys(ALL, default)
    result.update(overrides)
    return result


PUBLIC = statuses(200)
LOGIN_REQUIRED = statuses(200, visitor=302)
POST_ONLY = statuses(405)
POST_ONLY_SIGNED_IN = statuses(405, visitor=302)
CONSULTANT_PAGE = statuses(403, visitor=302, consultant=200, staff=200)
STAFF_PAGE = statuses(403, visitor=302, staff=200)
STAFF_POST_ONLY = statuses(403, visitor=302, staff=405)
ANONYMOUS_ONLY_OR_REDIRECT = statuses(302, visitor=200)  # the login page sends signed-in users home


@dataclasses.dataclass(frozen=True)
class Rule:
    pattern: str  # fnmatch on the route name
    expected: dict[str, int]  # role -> status for a visible object (or the page)
    model: str | None = None  # "app_label.Model" of the object the URL names, if any


RULES: list[Rule] = [
    # --- API -------------------------------------------------------------------------
    Rule("api-root", PUBLIC),
    Rule("api-schema", PUBLIC),
    Rule("api-docs", PUBLIC),
    Rule("api-redoc", PUBLIC),
    Rule("experience-list", PUBLIC),
    Rule("experience-detail", PUBLIC, model="experiences.Experience"),
    Rule("territory-list", PUBLIC),
    Rule("territory-detail", PUBLIC, model="territories.Territory"),
    Rule("theme-list", PUBLIC),
    Rule("theme-detail", PUBLIC, model="experiences.Theme"),
    Rule("tag-list", PUBLIC),
    Rule("tag-detail", PUBLIC, model="experiences.Tag"),
    Rule("organisation-list", PUBLIC),
    Rule("organisation-detail", PUBLIC, model="experiences.Organisation"),
    # --- Accounts ----------------------------------------------------------------------
    Rule("login", ANONYMOUS_ONLY_OR_REDIRECT),
    Rule("logout", POST_ONLY),
    Rule("password_change", LOGIN_REQUIRED),
    Rule("password_change_done", LOGIN_REQUIRED),
    Rule("password_reset", PUBLIC),
    Rule("password_reset_done", PUBLIC),
    Rule("password_reset_complete", PUBLIC),
    Rule("privacy", PUBLIC),
    Rule("accounts:profile", LOGIN_REQUIRED),
    Rule("accounts:profile_edit", LOGIN_REQUIRED),
    Rule("accounts:token_create", POST_ONLY_SIGNED_IN),
    Rule("accounts:token_revoke", POST_ONLY_SIGNED_IN),
    Rule("accounts:data_export", LOGIN_REQUIRED),
    Rule("accounts:account_delete", LOGIN_REQUIRED),
    Rule("accounts:users", STAFF_PAGE),
    Rule("accounts:invite", STAFF_PAGE),
    Rule("accounts:user_role", STAFF_POST_ONLY, model="core.User"),
    Rule("accounts:contact_erase", STAFF_PAGE),
    # --- Pages -------------------------------------------------------------------------
    Rule("home", PUBLIC),
    Rule("experiences:list", PUBLIC),
    Rule("experiences:detail", PUBLIC, model="experiences.Experience"),
    Rule("experiences:organisation", PUBLIC, model="experiences.Organisation"),
    Rule("territories:autocomplete", PUBLIC),
    Rule("territory_detail", PUBLIC, model="territories.Territory"),
    Rule("territory_directory", PUBLIC),
    Rule("studies:list", LOGIN_REQUIRED),
    Rule("studies:detail", PUBLIC, model="studies.Study"),
    Rule("partnerships:list", PUBLIC),
    Rule("partnerships:detail", PUBLIC, model="partnerships.Partnership"),
    # --- Consultant workspace ----------------------------------------------------------
    Rule("experiences:workspace", CONSULTANT_PAGE),
    Rule("experiences:create", CONSULTANT_PAGE),
    Rule("experiences:import", CONSULTANT_PAGE),
    Rule("experiences:import_*", CONSULTANT_PAGE, model="experiences.ImportRun"),
    Rule("experiences:tag_list", CONSULTANT_PAGE),
    Rule("experiences:tag_autocomplete", CONSULTANT_PAGE),
    Rule("experiences:tag_suggestions", CONSULTANT_PAGE),
    # The fiche form's semantic hints (htmx POST): consultants and staff only.
    Rule("experiences:semantic_form_hints", statuses(403, visitor=302, consultant=405, staff=405)),
    Rule("experiences:tag_detail", CONSULTANT_PAGE, model="experiences.Tag"),
    Rule("experiences:organisation_autocomplete", CONSULTANT_PAGE),
    Rule("experiences:edit", CONSULTANT_PAGE, model="experiences.Experience"),
    Rule("experiences:history", CONSULTANT_PAGE, model="experiences.Experience"),
    Rule("experiences:transition", POST_ONLY_SIGNED_IN, model="experiences.Experience"),
    Rule("experiences:restore", POST_ONLY_SIGNED_IN, model="experiences.Experience"),
    Rule("experiences:attachment", PUBLIC, model="experiences.Attachment"),
    Rule("experiences:reference_remember", POST_ONLY),
    Rule("experiences:export", LOGIN_REQUIRED),
    Rule("experiences:export_*", LOGIN_REQUIRED, model="experiences.ExportJob"),
    # --- Reader's tools: map of the results, selection, saved searches ------------------
    Rule("experiences:map", PUBLIC),
    Rule("experiences:selection", PUBLIC),
    Rule("experiences:selection_clear", POST_ONLY),
    Rule("experiences:selection_export", PUBLIC),
    Rule("experiences:selection_toggle", POST_ONLY, model="experiences.Experience"),
    Rule("experiences:saved_searches", LOGIN_REQUIRED),
    Rule("experiences:saved_search_create", LOGIN_REQUIRED),
    Rule("experiences:saved_search_update", POST_ONLY_SIGNED_IN),
    # Only its owner's: anyone else's (or no) saved search is 404, as if it did not exist.
    Rule("experiences:saved_search_edit", statuses(404, visitor=302)),
    Rule("experiences:saved_search_delete", POST_ONLY_SIGNED_IN),
    Rule("studies:from_selection", STAFF_PAGE),
    # --- Studies and reports -----------------------------------------------------------
    Rule("studies:create", STAFF_PAGE),
    Rule("studies:compare", PUBLIC),
    Rule("studies:compare_add", POST_ONLY),
    Rule("studies:fiche_pdf", PUBLIC, model="experiences.Experience"),
    # Grid exports: a study's (as its page; only the fiches the reader may read, tests/studies/
    # test_grid_export.py) and the comparison page's (404 without two readable fiches in ?ids=).
    Rule("studies:grid_export", PUBLIC, model="studies.Study"),
    Rule("studies:compare_export", statuses(404)),
    # A study is visible to its team and to staff only: for them, its pages open.
    Rule("studies:edit", PUBLIC, model="studies.Study"),
    Rule("studies:candidates", PUBLIC, model="studies.Study"),
    Rule("studies:report_download", PUBLIC, model="studies.ReportVersion"),
    Rule("studies:report_version", PUBLIC, model="studies.ReportVersion"),
    Rule("studies:report_job", PUBLIC, model="studies.ReportJob"),
    Rule("studies:item_*", POST_ONLY, model="studies.StudyExperience"),
    Rule("studies:criterion_*", POST_ONLY, model="studies.Criterion"),
    Rule("studies:cell_save", POST_ONLY, model="studies.Criterion"),
    Rule("studies:texts_save", POST_ONLY, model="studies.Study"),
    Rule("studies:report_generate", POST_ONLY, model="studies.Study"),
    # --- Partnerships ------------------------------------------------------------------
    Rule("partnerships:create", STAFF_PAGE),
    Rule("partnerships:dashboard", STAFF_PAGE),
    Rule("partnerships:experience_autocomplete", STAFF_PAGE),
    Rule("partnerships:edit", STAFF_PAGE, model="partnerships.Partnership"),
    Rule("partnerships:map", PUBLIC),
    Rule("partnerships:export_csv", PUBLIC),
    Rule("partnerships:export_xlsx", PUBLIC),
    Rule("partnerships:deliverable_file", PUBLIC, model="partnerships.Deliverable"),
    Rule("partnerships:document_file", PUBLIC, model="partnerships.PartnershipDocument"),
    Rule("partnership-list", PUBLIC),
    Rule("partnership-export", PUBLIC),
    Rule("partnership-detail", PUBLIC, model="partnerships.Partnership"),
    Rule("study-list", statuses(200, visitor=401)),
    Rule("study-detail", PUBLIC, model="studies.Study"),
    Rule("report-job-list", statuses(200, visitor=401)),
    Rule("report-job-detail", PUBLIC, model="studies.ReportJob"),
]


def rule_for(name: str | None) -> Rule | None:
    if name is None:
        return None
    for rule in RULES:
        if fnmatch.fnmatchcase(name, rule.pattern):
            return rule
    return None
