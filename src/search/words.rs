//! The words under which the index files a token, so that Pagefind's browser core finds them.
//!
//! Takes one whitespace-free token of a record (and the stemmer of its language), gives the
//! [`Word`]s to index: the token's letters lowercased, with diacritics dropped and stemmed (the
//! way the core treats a query, `ё` and `й` included), then the parts of a compound token
//! (`COVID-19`, `e-mail`, `ThreeWords`) and the tails after its dots. A word whose diacritics
//! were dropped remembers the form it had, which the core ranks above a mere match.
//!
//! Learned from Pagefind 1.6's indexer, with one deliberate difference: a compound's parts are
//! cut at every character that is not a letter or a digit, so `«Жаңғыру-2020»` gives
//! `жаңғыру` and `2020` where Pagefind also files `«жаңғыру` and `2020»`, words that no query
//! can reach (the core strips quotes and dashes from queries). Emoji and katakana suffixes,
//! which Pagefind also files, are left out: birge's languages have neither.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Characters that count as letters beside Unicode's: the connector punctuation, which the
/// entry file lists as `include_characters` for the core's query parser.
pub const INCLUDE_CHARACTERS: [char; 10] = [
    '_', '\u{203F}', '\u{2040}', '\u{2054}', '\u{FE33}', '\u{FE34}', '\u{FE4D}', '\u{FE4E}',
    '\u{FE4F}', '\u{FF3F}',
];

/// Tails after a dot are cut to this many characters.
const MAX_TAIL_CHARS: usize = 64;

/// One word to index for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word as the index holds it: lowercase, without diacritics, stemmed.
    pub key: String,
    /// The lowercase form before its diacritics were dropped, when that differs.
    pub original: Option<String>,
    /// Whether it is a part of a compound token (which shares the token's weight).
    pub part: bool,
}

/// The stemmer of a language, as the core's WebAssembly for that language has it: English and
/// Russian stem; the other languages (Kazakh among them) load the core without a stemmer.
pub struct Stemmer(Option<pagefind_stem::Stemmer>);

impl Stemmer {
    /// The stemmer for `lang` (`en`, `ru`, `en-GB`), none for other languages.
    pub fn for_language(lang: &str) -> Stemmer {
        use pagefind_stem::{Algorithm, Stemmer as Snowball};
        Stemmer(match lang.split('-').next().unwrap_or("") {
            "en" => Some(Snowball::create(Algorithm::English)),
            "ru" => Some(Snowball::create(Algorithm::Russian)),
            _ => None,
        })
    }

    /// The name of the core's WebAssembly that stems like this (`en`, `ru`), `None` for the
    /// core without a stemmer.
    pub fn wasm(lang: &str) -> Option<&'static str> {
        match lang.split('-').next().unwrap_or("") {
            "en" => Some("en"),
            "ru" => Some("ru"),
            _ => None,
        }
    }

    fn stem(&self, word: &str) -> String {
        match &self.0 {
            Some(stemmer) => stemmer.stem(word).into_owned(),
            None => word.to_string(),
        }
    }
}

/// The words of a token of the text: its word, its compound parts and its dotted tails.
pub fn text_words(token: &str, stemmer: &Stemmer) -> Vec<Word> {
    let mut words = token_words(token, stemmer);
    let tails = dotted_tails(token, stemmer, &words);
    words.extend(tails);
    words
}

/// The words of a token of a meta field (a title, a region): its word and compound parts.
pub fn token_words(token: &str, stemmer: &Stemmer) -> Vec<Word> {
    let mut words = Vec::new();
    let normalized = letters(token);
    if normalized.is_empty() {
        return words;
    }
    words.push(stem(&normalized, stemmer, false));
    let parts = parts(token);
    if parts.len() > 1
        || parts
            .first()
            .is_some_and(|p| !normalized.starts_with(p.as_str()))
    {
        for part in parts.iter().filter(|p| p.len() > 1) {
            let bare = without_diacritics(part);
            let key = stemmer.stem(bare.as_deref().unwrap_or(part));
            words.push(Word {
                key,
                original: bare.map(|_| part.clone()),
                part: true,
            });
        }
    }
    words
}

/// The letters, digits and connectors of `token`, lowercased.
fn letters(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    for c in token.chars() {
        if c.is_alphanumeric() || INCLUDE_CHARACTERS.contains(&c) {
            let c = c.to_ascii_lowercase();
            if c.is_uppercase() {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// A normalized word as indexed: without diacritics, stemmed.
fn stem(normalized: &str, stemmer: &Stemmer, part: bool) -> Word {
    let bare = without_diacritics(normalized);
    Word {
        key: stemmer.stem(bare.as_deref().unwrap_or(normalized)),
        original: bare.map(|_| normalized.to_string()),
        part,
    }
}

/// `word` without its combining marks (after canonical decomposition), when that changes it.
/// The kana sound marks stay, and then the word is recomposed, as the core does with a query.
pub fn without_diacritics(word: &str) -> Option<String> {
    if word.is_ascii() || !word.chars().any(decomposes) {
        return None;
    }
    let kana_mark = |c: char| matches!(c, '\u{3099}' | '\u{309A}');
    let stripped: String = word
        .nfd()
        .filter(|&c| !is_combining_mark(c) || kana_mark(c))
        .collect();
    let stripped = if stripped.chars().any(kana_mark) {
        stripped.nfc().collect()
    } else {
        stripped
    };
    (stripped != word).then_some(stripped)
}

/// Whether `c` is a combining mark or has a canonical decomposition.
fn decomposes(c: char) -> bool {
    if is_combining_mark(c) {
        return true;
    }
    let mut changes = false;
    decompose_canonical(c, |part| changes |= part != c);
    changes
}

/// How a character takes part in cutting a compound into parts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Upper,
    Lower,
    Digit,
    /// A letter without case (or a connector).
    Other,
}

fn kind(c: char) -> Kind {
    if c.is_ascii_digit() {
        Kind::Digit
    } else if c.is_uppercase() {
        Kind::Upper
    } else if c.is_lowercase() {
        Kind::Lower
    } else {
        Kind::Other
    }
}

/// The lowercase parts of a compound token: cut at every character that is neither a letter
/// nor a digit (combining marks stay with their letter), between a lowercase letter and an
/// uppercase one (`camelCase`), between letters and ASCII digits (`covid19`), and before the
/// last capital of a run of capitals followed by a lowercase letter (`HTMLPage`).
fn parts(token: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut previous: Option<Kind> = None;
    let chars: Vec<char> = token.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if is_combining_mark(c) && !current.is_empty() {
            current.push(c);
            continue;
        }
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous = None;
            continue;
        }
        let here = kind(c);
        let next = chars[i + 1..]
            .iter()
            .find(|c| !is_combining_mark(**c))
            .map(|&c| kind(c));
        let cut = match (previous, here) {
            (Some(Kind::Lower), Kind::Upper) => true,
            (Some(Kind::Lower | Kind::Upper), Kind::Digit) => true,
            (Some(Kind::Digit), Kind::Lower | Kind::Upper) => true,
            (Some(Kind::Upper), Kind::Upper) => next == Some(Kind::Lower),
            _ => false,
        };
        if cut && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
        previous = Some(here);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// The compound tails after the dots of `token` (`sysconfig.is_python` gives `is_python`)
/// that are not already among `existing`; a plain tail is already the token's last part.
fn dotted_tails(token: &str, stemmer: &Stemmer, existing: &[Word]) -> Vec<Word> {
    let mut tails: Vec<Word> = Vec::new();
    for (i, _) in token.match_indices('.') {
        let rest = &token[i + 1..];
        let tail = match rest.char_indices().nth(MAX_TAIL_CHARS) {
            Some((end, _)) => &rest[..end],
            None => rest,
        };
        let compound = tail.chars().any(|c| !c.is_alphanumeric())
            || tail.chars().skip(1).any(char::is_uppercase);
        let normalized = letters(tail);
        if !compound || normalized.chars().count() < 2 {
            continue;
        }
        let word = stem(&normalized, stemmer, true);
        let seen = existing.iter().chain(&tails).any(|w| w.key == word.key);
        if !seen {
            tails.push(word);
        }
    }
    tails
}

#[cfg(test)]
mod tests {
    use super::{Stemmer, Word, parts, text_words, token_words, without_diacritics};

    fn keys(words: &[Word]) -> Vec<(&str, bool)> {
        words.iter().map(|w| (w.key.as_str(), w.part)).collect()
    }

    #[test]
    fn a_plain_word_is_lowercased_and_stemmed() {
        let en = Stemmer::for_language("en");
        assert_eq!(keys(&token_words("Volunteers,", &en)), [("volunt", false)]);
        let ru = Stemmer::for_language("ru");
        let words = token_words("Ёлки", &ru);
        assert_eq!(keys(&words), [("елк", false)]);
        assert_eq!(words[0].original.as_deref(), Some("ёлки"));
        let kk = Stemmer::for_language("kk");
        assert_eq!(keys(&token_words("Қарағанды", &kk)), [("қарағанды", false)]);
        assert!(token_words("—", &kk).is_empty());
    }

    #[test]
    fn compounds_give_their_parts() {
        let en = Stemmer::for_language("en");
        assert_eq!(
            keys(&token_words("three-antelopes", &en)),
            [("threeantelop", false), ("three", true), ("antelop", true)]
        );
        assert_eq!(
            keys(&token_words("ThreeAntelopes", &en)),
            [("threeantelop", false), ("three", true), ("antelop", true)]
        );
        let kk = Stemmer::for_language("kk");
        assert_eq!(
            keys(&token_words("«Жаңғыру-2020»", &kk)),
            [("жаңғыру2020", false), ("жаңғыру", true), ("2020", true)]
        );
        // Quotes alone do not make parts.
        assert_eq!(keys(&token_words("«Жаңғыру»", &kk)), [("жаңғыру", false)]);
        assert_eq!(parts("HTMLPage2"), ["html", "page", "2"]);
        assert_eq!(parts("covid19"), ["covid", "19"]);
        assert_eq!(parts("и\u{306}ә-x"), ["и\u{306}ә", "x"]);
    }

    #[test]
    fn dotted_tails_are_indexed_once() {
        let en = Stemmer::for_language("en");
        let words = text_words("sysconfig.is_python", &en);
        assert!(words.iter().any(|w| w.key == "is_python" && w.part));
        assert_eq!(
            keys(&text_words("т.е.", &en)),
            [("те", false), ("т", true), ("е", true)]
        );
    }

    #[test]
    fn diacritics() {
        assert_eq!(without_diacritics("ёлка").as_deref(), Some("елка"));
        assert_eq!(without_diacritics("йод").as_deref(), Some("иод"));
        assert_eq!(without_diacritics("қазақ"), None);
        assert_eq!(without_diacritics("cafe"), None);
        assert_eq!(without_diacritics("ü").as_deref(), Some("u"));
    }
}
