"""The one rich-text format: sanitising, the plain-text form, and the exact round trip between them."""

import html

from hypothesis import given
from hypothesis import strategies as st

from core.richtext import clean_plain, from_text, looks_like_html, render, sanitize, to_excerpt, to_text

A = ' rel="noopener noreferrer nofollow"'

# --- What people bring -----------------------------------------------------------------------


def test_editor_html_with_a_list_bold_and_a_link_is_kept_as_such():
    typed = (
        "<div>Bâtiment SNCF vacant depuis <b>2015</b>.</div>"
        "<ul><li>Rachat du bâtiment</li><li>Travaux <i>par tranches</i></li></ul>"
        '<div>Voir <a href="https://www.commune.fr/gare">le dossier</a>.</div>'
    )
    assert sanitize(typed) == (
        "<p>Bâtiment SNCF vacant depuis <strong>2015</strong>.</p>"
        "<ul><li>Rachat du bâtiment</li><li>Travaux <em>par tranches</em></li></ul>"
        f'<p>Voir <a href="https://www.commune.fr/gare"{A}>le dossier</a>.</p>'
    )


def test_plain_text_of_a_spreadsheet_becomes_paragraphs_and_lists():
    text = "Contexte rural.\nDeux lignes.\n\nActions :\n- rachat\n- travaux\n\n1. étude\n2. chantier\n\nFin."
    assert from_text(text) == (
        "<p>Contexte rural.<br>Deux lignes.</p><p>Actions :</p><ul><li>rachat</li><li>travaux</li></ul>"
        "<ol><li>étude</li><li>chantier</li></ol><p>Fin.</p>"
    )


def test_the_plain_text_form_is_readable():
    h = sanitize(
        "<p>Un <strong>tiers-lieu</strong> dans la <em>gare</em></p><ul><li>café</li><li>fab-lab</li></ul>"
        '<ol><li>2019</li><li>2021</li></ol><p><a href="https://a.fr/x">Le site</a> et <a href="https://b.fr">https://b.fr</a></p>'
    )
    assert to_text(h) == (
        "Un **tiers-lieu** dans la *gare*\n\n- café\n- fab-lab\n\n1. 2019\n2. 2021\n\n"
        "[Le site] <https://a.fr/x> et <https://b.fr>"
    )


def test_text_that_would_read_as_markup_gets_a_backslash_and_comes_back():
    h = sanitize("<p>- pas une puce<br>1. pas un numéro<br>**pas du gras** [crochets] a\\b 5 * 3</p>")
    text = to_text(h)
    assert text == "\\- pas une puce\n1\\. pas un numéro\n\\*\\*pas du gras\\*\\* \\[crochets] a\\\\b 5 * 3"
    assert from_text(text) == h


def test_a_year_at_the_start_of_a_line_is_not_a_numbered_list():
    assert from_text("2024. Une année de travaux") == "<p>2024. Une année de travaux</p>"


def test_formula_like_text_stays_text():
    h = from_text('=HYPERLINK("http://evil")\n-1 point\n+33 1 23\n@moi')
    assert h == '<p>=HYPERLINK("http://evil")<br>-1 point<br>+33 1 23<br>@moi</p>'
    assert from_text(to_text(h)) == h


def test_scripts_handlers_and_unsafe_links_are_removed():
    h = sanitize(
        '<script>alert(1)</script><p onclick="x()" style="color:red">ok '
        '<a href="javascript:alert(1)">bad</a> <a href="/relative">rel</a> <img src=x onerror=alert(1)></p>'
    )
    assert h == "<p>ok bad rel</p>"


def test_nested_lists_are_flattened_and_headings_become_bold_paragraphs():
    h = sanitize("<h2>Titre</h2><ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>")
    assert h == "<p><strong>Titre</strong></p><ul><li>a</li><li>b</li><li>c</li></ul>"


def test_whitespace_is_canonical():
    assert sanitize("<p>  a <strong> b </strong>\n\t c  </p><p><br></p><p></p>") == "<p>a <strong>b</strong> c</p>"
    assert sanitize("<p>a<br><br>b</p>") == "<p>a</p><p>b</p>"


def test_old_plain_text_and_its_html_give_the_same_text():
    old = "Premier paragraphe.\n\n- un\n- deux"
    assert to_text(old) == to_text(from_text(old)) == "Premier paragraphe.\n\n- un\n- deux"


def test_excerpt_has_no_tag_no_entity_no_list_sign():
    h = sanitize("<p>L&#39;été &amp; <b>l’hiver</b></p><ul><li>un</li></ul>")
    assert to_excerpt(h) == "L'été & l’hiver un"


def test_render_applies_a_text_function_and_escapes_its_result():
    out = render("<p>a <b>b</b> &lt;c&gt;</p>", text=str.upper)
    assert out == "<p>A <strong>B</strong> &lt;C&gt;</p>"


def test_looks_like_html():
    assert looks_like_html("<p>x</p>")
    assert not looks_like_html("5 < 6 and 7 > 3")


def test_clean_plain_normalises_newlines_and_controls():
    assert clean_plain("  Titre\r\nsuite\x00\x07\rfin \t") == "Titre\nsuite\nfin"


# --- Properties ----------------------------------------------------------------------------------

URLS = st.sampled_from(
    [
        "https://www.commune.fr/gare",
        "http://a.fr/x?y=1&z=2",
        "mailto:contact@ville.fr",
        "https://é.fr/a b",
        "javascript:x",
    ]
)
WORDS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=25),
    st.sampled_from(
        [
            "- ", "* ", "1. ", "2) ", "• ", "– ", "**", "*", "[x] <https://a.fr>", "<https://b.fr>", "\\", "\\*",
            " ", "\n", "\t", "\r", "=SUM(A1)", "+1", "-1", "@x", "é", "😀", "&", "<", ">", "\xa0", "]", "[",
        ]
    ),
)  # fmt: skip


def _element(tag_and_children):
    tag, children, href = tag_and_children
    inner = "".join(children)
    if tag == "a":
        return f'<a href="{html.escape(href)}">{inner}</a>'
    if tag == "br":
        return "<br>" + inner
    return f"<{tag}>{inner}</{tag}>"


HTML = st.recursive(
    WORDS.map(lambda w: html.escape(w, quote=False)),
    lambda children: st.tuples(
        st.sampled_from(["p", "div", "strong", "b", "em", "i", "a", "ul", "ol", "li", "br", "span", "h3"]),
        st.lists(children, max_size=4),
        URLS,
    ).map(_element),
    max_leaves=25,
)
TEXT = st.lists(WORDS, max_size=20).map("".join)


@given(HTML)
def test_sanitize_is_idempotent_and_its_text_comes_back_identical(value):
    h = sanitize(value)
    assert sanitize(h) == h
    assert from_text(to_text(h)) == h


@given(TEXT)
def test_any_plain_text_gives_canonical_html_that_round_trips(text):
    h = from_text(text)
    assert sanitize(h) == h
    assert from_text(to_text(h)) == h
    assert "<script" not in h


def _canonical_element(tag_and_children):
    tag, children = tag_and_children
    inner = "".join(children)
    if tag == "a":
        return f'<a href="https://x.fr"{A}>{inner}</a>'
    return "<br>" + inner if tag == "br" else f"<{tag}>{inner}</{tag}>"


CANONICAL_TAGS = st.recursive(
    st.text(max_size=8).map(lambda w: html.escape(w, quote=False)),
    lambda children: st.tuples(
        st.sampled_from(["p", "ul", "ol", "li", "strong", "em", "a", "br"]), st.lists(children, max_size=3)
    ).map(_canonical_element),
    max_leaves=12,
)


@given(CANONICAL_TAGS)
def test_the_fast_reader_of_stored_html_reads_like_the_full_sanitiser(value):
    from core.richtext import _normalise, _read_canonical, _read_html, _to_html

    fast = _read_canonical(value)
    if fast is not None:
        assert _to_html(_normalise(fast)) == _to_html(_normalise(_read_html(value)))
