//! Search records: what the index holds for one published article or page.
//!
//! Takes a [`Document`] (plain values the build fills in: no Markdown, no HTML, no birge
//! model types), gives the [`Record`] that becomes one Pagefind custom record: the text that
//! Pagefind splits into words and cuts excerpts from, and the metadata a result shows.
//!
//! Pagefind indexes every meta field's words too (1.6 ranks a match in `title` five times
//! higher by default), so the title, regions and tags are found without being repeated in
//! the text, and the text stays what a snippet should show: the summary and the body.
//!
//! Kazakh records carry the folded key ([`super::fold()`]) beside the original, because a
//! snippet must show the article's own words while a Latin query can only match the key:
//! - the text is the `n` original words, then the key of each of those words, one for one,
//!   so a match at word `n + i` is word `i` of the original. There is no marker between the
//!   halves. The index counts `2n` words (the fragment's `word_count`), but the fragment's
//!   `content` keeps the `n` original words only ([`Record::fragment_tokens`]): the search
//!   page cuts snippets from it, mapping a match at `n + i` back to `i`; the keys would only
//!   double the bytes a result downloads;
//! - each searchable meta field `F` gets a twin `F_key` holding its key (`title_key`,
//!   `region_key`, `tags_key`), which the search page never shows.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::fold::fold;

/// One published article or page of one language's tree, as the search index takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Where a result links to: the page's site path as the theme links it
    /// (`/kk/news/2020/03/masks/`).
    pub url: String,
    /// The language of the tree the page belongs to (`en`, `kk`, `ru`); one index per language.
    pub lang: String,
    /// The headline, as plain text.
    pub title: String,
    /// The date as the page shows it, in its language (`26 March 2020`, `26 наурыз 2020`);
    /// `None` for an undated page.
    pub date: Option<String>,
    /// The names of its regions in its language (`Атырау облысы`), in display order.
    pub regions: Vec<String>,
    /// Its tags as written.
    pub tags: Vec<String>,
    /// The summary as plain text (empty when it is the body's first paragraph anyway).
    pub summary: String,
    /// The body as plain text: Markdown rendered, markup stripped, blocks separated by
    /// whitespace (a shortcode's widget leaves nothing).
    pub body_text: String,
}

/// What a bundle asks of the documents it has made ([`super::index::TreePages::bundle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Whole documents, to be read into the index.
    Whole,
    /// Only what names their meta fields (title, date, regions, tags): their summary and
    /// body may be left empty, which spares rendering or reducing every body up front.
    Fields,
}

/// One Pagefind custom record: the arguments of `PagefindIndex::add_custom_record`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The result's URL, as the document gave it.
    pub url: String,
    /// The language whose stemmer Pagefind uses (none for Kazakh).
    pub language: String,
    /// The words Pagefind indexes and cuts excerpts from: whitespace-separated tokens, each
    /// joined to the next by one ASCII space.
    pub content: String,
    /// How many of `content`'s tokens the result's fragment keeps for snippets: all of them
    /// (`None`), or for Kazakh the original half.
    pub fragment_tokens: Option<usize>,
    /// What a result shows (`title`, `date`, `region`) and what it is also found by (`tags`
    /// and, for Kazakh, the `*_key` twins).
    pub meta: BTreeMap<String, String>,
}

/// Separates the names of several regions or tags in one meta field.
const LIST_SEPARATOR: &str = ", ";

/// The record of `doc`.
///
/// ```
/// use birge::search::{record, Document};
/// let doc = Document {
///     url: "/kk/news/2020/03/masks/".into(),
///     lang: "kk".into(),
///     title: "Қарағанды еріктілері".into(),
///     body_text: "Еріктілер маска таратты.".into(),
///     ..Document::default()
/// };
/// let record = record(&doc);
/// assert_eq!(record.content, "Еріктілер маска таратты. eriktiler maska taratty.");
/// assert_eq!(record.meta["title_key"], "karagandy eriktileri");
/// ```
pub fn record(doc: &Document) -> Record {
    let text = text(doc);
    let (content, fragment_tokens) = if doc.lang == "kk" {
        let mut content = String::with_capacity(text.len() * 2 + 1);
        content.push_str(&text);
        let mut count = 0;
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            content.push(' ');
            content.push_str(&key_token(token));
            count += 1;
        }
        (content, Some(count))
    } else {
        (text.into_owned(), None)
    };
    Record {
        url: doc.url.clone(),
        language: doc.lang.clone(),
        content,
        fragment_tokens,
        meta: meta(doc),
    }
}

/// The text a record indexes, as its [`tokens`] joined by single spaces: the summary (unless
/// the body already holds it) and the body; the title alone when both are empty, since
/// Pagefind leaves out a record without words.
fn text(doc: &Document) -> Cow<'_, str> {
    let body = single_spaced(&doc.body_text);
    let summary = single_spaced(&doc.summary);
    if summary.is_empty() || body.contains(&*summary) {
        if body.is_empty() {
            return single_spaced(&doc.title);
        }
        return body;
    }
    if body.is_empty() {
        return summary;
    }
    format!("{summary} {body}").into()
}

/// `text`'s [`tokens`] joined by single spaces: `text` itself when it is that already (the
/// plain text of a rendered body usually is).
fn single_spaced(text: &str) -> Cow<'_, str> {
    let clean = !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !text.contains("___")
        && if text.is_ascii() {
            !text.bytes().any(|b| b != b' ' && b.is_ascii_whitespace())
        } else {
            !text
                .chars()
                .any(|c| (c != ' ' && c.is_whitespace()) || c == '\u{200B}')
        };
    if clean {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(tokens(text).join(" "))
    }
}

/// The whitespace-separated tokens of `text` exactly as Pagefind will count them: it drops
/// zero-width spaces and would read a token starting with `___PAGEFIND_` or
/// `___END_PAGEFIND_` as one of its own directives, so such a token loses one underscore.
fn tokens(text: &str) -> Vec<Cow<'_, str>> {
    let mut tokens = Vec::with_capacity(text.len() / 6);
    for ascii_run in text.split_ascii_whitespace() {
        if ascii_run.is_ascii() {
            tokens.push(token(ascii_run));
        } else {
            tokens.extend(ascii_run.split_whitespace().map(token));
        }
    }
    tokens.retain(|t| !t.is_empty());
    tokens
}

/// One whitespace-free piece of text as Pagefind will count it (see [`tokens`]).
fn token(piece: &str) -> Cow<'_, str> {
    let piece = if piece.contains('\u{200B}') {
        Cow::Owned(piece.replace('\u{200B}', ""))
    } else {
        Cow::Borrowed(piece)
    };
    if piece.starts_with("___PAGEFIND_") || piece.starts_with("___END_PAGEFIND_") {
        match piece {
            Cow::Borrowed(p) => Cow::Borrowed(&p[1..]),
            Cow::Owned(p) => Cow::Owned(p[1..].to_string()),
        }
    } else {
        piece
    }
}

/// The key of one token, itself one token: `-` when the token has nothing left (`ь` alone),
/// so the key half keeps one token per word of the original.
fn key_token(token: &str) -> String {
    let key = fold(token);
    if key.trim().is_empty() {
        "-".to_string()
    } else {
        key
    }
}

/// The meta fields of `doc`: those a result shows, the tags, and for Kazakh the key twins
/// of the searchable ones. Empty fields are left out.
pub(super) fn meta(doc: &Document) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::new();
    let mut add = |name: &str, value: String, searchable: bool| {
        if value.trim().is_empty() {
            return;
        }
        if searchable && doc.lang == "kk" {
            meta.insert(format!("{name}_key"), fold(&value));
        }
        meta.insert(name.to_string(), value);
    };
    add("title", doc.title.clone(), true);
    add("date", doc.date.clone().unwrap_or_default(), false);
    add("region", doc.regions.join(LIST_SEPARATOR), true);
    add("tags", doc.tags.join(LIST_SEPARATOR), true);
    meta
}

#[cfg(test)]
mod tests {
    use super::{Document, record, tokens};

    fn doc(lang: &str) -> Document {
        Document {
            url: format!("/{lang}/news/2020/03/masks/"),
            lang: lang.to_string(),
            title: "Masks for free".to_string(),
            date: Some("26 March 2020".to_string()),
            regions: vec!["Atyrau Region".to_string(), "Astana".to_string()],
            tags: vec!["masks".to_string(), "volunteers".to_string()],
            summary: "Volunteers sewed masks.".to_string(),
            body_text: "Volunteers sewed masks.\n\nThey gave   them away.".to_string(),
        }
    }

    #[test]
    fn english_record_holds_the_text_once_and_the_fields_to_show() {
        let r = record(&doc("en"));
        assert_eq!(r.url, "/en/news/2020/03/masks/");
        assert_eq!(r.language, "en");
        assert_eq!(r.content, "Volunteers sewed masks. They gave them away.");
        let meta: Vec<(&str, &str)> = r
            .meta
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            meta,
            [
                ("date", "26 March 2020"),
                ("region", "Atyrau Region, Astana"),
                ("tags", "masks, volunteers"),
                ("title", "Masks for free"),
            ]
        );
    }

    #[test]
    fn a_summary_that_is_not_in_the_body_comes_first() {
        let mut d = doc("ru");
        d.summary = "Маски бесплатно.".to_string();
        d.body_text = "Волонтёры   сшили маски.".to_string();
        assert_eq!(
            record(&d).content,
            "Маски бесплатно. Волонтёры сшили маски."
        );
    }

    #[test]
    fn a_page_without_text_is_found_by_its_title() {
        let d = Document {
            url: "/about/".to_string(),
            lang: "en".to_string(),
            title: "About the Assembly".to_string(),
            ..Document::default()
        };
        let r = record(&d);
        assert_eq!(r.content, "About the Assembly");
        assert_eq!(r.meta.len(), 1);
    }

    /// The key half has one token per original token, so a location in it maps back.
    #[test]
    fn kazakh_record_holds_the_words_then_their_keys() {
        let d = Document {
            url: "/kk/news/2020/03/qaragandy/".to_string(),
            lang: "kk".to_string(),
            title: "Қарағанды жастары".to_string(),
            date: Some("26 наурыз 2020".to_string()),
            regions: vec!["Қарағанды облысы".to_string()],
            tags: vec!["Жаңғыру жолы".to_string()],
            summary: String::new(),
            body_text: "«Жаңғыру жолы» жастары — 2020 ж. ь маска таратты".to_string(),
        };
        let r = record(&d);
        let words: Vec<&str> = r.content.split(' ').collect();
        assert_eq!(words.len() % 2, 0);
        let (original, keys) = words.split_at(words.len() / 2);
        assert_eq!(
            original,
            [
                "«Жаңғыру",
                "жолы»",
                "жастары",
                "—",
                "2020",
                "ж.",
                "ь",
                "маска",
                "таратты"
            ]
        );
        assert_eq!(
            keys,
            [
                "«jangyru",
                "joly»",
                "jastary",
                "—",
                "2020",
                "j.",
                "-",
                "maska",
                "taratty"
            ]
        );
        assert_eq!(r.meta["title"], "Қарағанды жастары");
        assert_eq!(r.meta["title_key"], "karagandy jastary");
        assert_eq!(r.meta["region_key"], "karagandy oblysy");
        assert_eq!(r.meta["tags_key"], "jangyru joly");
        assert_eq!(r.meta["date"], "26 наурыз 2020");
        assert!(!r.meta.contains_key("date_key"));
    }

    /// Tokens are Pagefind's: no zero-width spaces, no empty tokens, no directives.
    #[test]
    fn tokens_cannot_be_read_as_pagefind_directives() {
        assert_eq!(
            tokens("a\u{200B}b \u{200B} ___PAGEFIND_WEIGHT___0 ___END_PAGEFIND_WEIGHT___ ___x"),
            [
                "ab",
                "__PAGEFIND_WEIGHT___0",
                "__END_PAGEFIND_WEIGHT___",
                "___x"
            ]
        );
    }
}
