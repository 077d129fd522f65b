//! The one place that knows the YAML library: parses data files and front matter into typed
//! values, and finds where keys and values stand in YAML text so problems can point at them.
//!
//! Takes YAML text, gives typed values or a [`YamlError`] with a 1-based line and column
//! relative to the text it was given (callers shift it to lines of the whole file).

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

/// A YAML text that could not be read as the expected value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line within the parsed text, when the parser knows it.
    pub line: Option<usize>,
    /// 1-based column, when the parser knows it.
    pub column: Option<usize>,
    /// The parser's message, without its own "at line N" suffix.
    pub message: String,
}

impl YamlError {
    /// The field name when the error is about a key the type does not have.
    pub fn unknown_field(&self) -> Option<&str> {
        let rest = self.message.strip_prefix("unknown field `")?;
        rest.split('`').next()
    }

    /// The field name when the error is about a required key that is missing.
    pub fn missing_field(&self) -> Option<&str> {
        let rest = self.message.strip_prefix("missing field `")?;
        rest.split('`').next()
    }
}

/// [`convert`], for an error in `text`. A quote left open on its line is closed by the next
/// quote the parser meets, often lines below, and the parser then stumbles further on (`did
/// not find expected key`, or a quote that seems to open at the end): a syntax error after a
/// line whose quoted value does not end on it is shown at that quote. A quoted value followed
/// by more text (`title: 'Less talk' edited`, or `"` used inside `"..."`) is shown at that
/// text, rather than as the key the parser expected after it.
fn convert_in(error: serde_yaml::Error, text: &str) -> YamlError {
    let converted = convert(error);
    let syntax = SYNTAX_ERRORS
        .iter()
        .any(|p| converted.message.starts_with(p))
        || converted.message == QUOTE_NEVER_CLOSED;
    if !syntax {
        return converted;
    }
    // An open quote is the cause of an error on a later line; text after a closing quote, of
    // one on its own line or later.
    let before_the_error = |line: usize, same_line_too: bool| {
        converted
            .line
            .is_none_or(|seen| line < seen || (same_line_too && line == seen))
    };
    let first_slip = quoted_values(text).find_map(|value| match value.end {
        QuoteEnd::Open => Some((
            value.line,
            value.quote_column,
            QUOTE_OPEN_ON_ITS_LINE,
            false,
        )),
        QuoteEnd::TextAfter(column) => Some((value.line, column, TEXT_AFTER_QUOTE, true)),
        QuoteEnd::Closed => None,
    });
    match first_slip {
        Some((line, column, message, same_line_too)) if before_the_error(line, same_line_too) => {
            YamlError {
                line: Some(line),
                column: Some(column),
                message: message.to_string(),
            }
        }
        _ => converted,
    }
}

/// How the parser's syntax errors begin (type errors do not).
const SYNTAX_ERRORS: [&str; 5] = [
    "found ",
    "did not find expected",
    "could not find expected",
    "mapping values are not allowed",
    "block sequence entries are not allowed",
];

const QUOTE_OPEN_ON_ITS_LINE: &str = "the quote opened here is not closed on its line";
const QUOTE_NEVER_CLOSED: &str = "the quote opened here is never closed";
const TEXT_AFTER_QUOTE: &str = "text after the closing quote of a value";

/// A value (after `key: ` or `- `) that starts with a quote.
struct QuotedValue {
    /// 1-based line of the text.
    line: usize,
    /// 1-based column, in characters, of the opening quote.
    quote_column: usize,
    end: QuoteEnd,
}

enum QuoteEnd {
    /// Closed, with nothing after it but spaces, a comment or what a key or a flow list may
    /// have there.
    Closed,
    /// Closed, then more text starts at this 1-based column.
    TextAfter(usize),
    /// Not closed on its line.
    Open,
}

/// The values of `text` that start with a quote, line by line.
fn quoted_values(text: &str) -> impl Iterator<Item = QuotedValue> + '_ {
    text.lines().enumerate().filter_map(|(index, line)| {
        let trimmed = line.trim_start();
        let value_at = match trimmed.strip_prefix("- ") {
            Some(_) => line.len() - trimmed.len() + 2,
            None => line.find(": ")? + 2,
        };
        let rest = &line[value_at..];
        let value = rest.trim_start();
        let quote_at = value_at + (rest.len() - value.len());
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let end = match closing_quote(&value[1..], quote) {
            None => QuoteEnd::Open,
            Some(close) => {
                let after_at = quote_at + 1 + close + 1;
                let after = &line[after_at..];
                let text_at = after_at + (after.len() - after.trim_start().len());
                match after.trim_start().chars().next() {
                    None | Some('#' | ':' | ',' | ']' | '}') => QuoteEnd::Closed,
                    Some(_) => QuoteEnd::TextAfter(line[..text_at].chars().count() + 1),
                }
            }
        };
        Some(QuotedValue {
            line: index + 1,
            quote_column: line[..quote_at].chars().count() + 1,
            end,
        })
    })
}

/// The byte offset in `after` (the text after an opening `quote`) of the quote that closes
/// it: `''` inside single quotes and `\"` inside double quotes do not close.
fn closing_quote(after: &str, quote: char) -> Option<usize> {
    let mut chars = after.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            ('"', '\\') => {
                chars.next();
            }
            ('\'', '\'') if chars.peek().is_some_and(|&(_, next)| next == '\'') => {
                chars.next();
            }
            (q, c) if q == c => return Some(at),
            _ => {}
        }
    }
    None
}

fn convert(error: serde_yaml::Error) -> YamlError {
    let location = error.location();
    let mut message = error.to_string();
    if let Some(unclosed) = never_closed(&message) {
        return unclosed;
    }
    if let Some(at) = message.find(" at line ") {
        message.truncate(at);
    }
    let mut message = message.trim_start_matches(": ").to_string();
    if message.starts_with("repetition limit exceeded") {
        message.push_str(": its aliases (`*name`) expand to too much data; write the values out");
    } else if message.starts_with("recursion limit exceeded") {
        message.push_str(": lists and maps nest too deep (at most 128 levels)");
    }
    YamlError {
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
        message,
    }
}

/// A text that ends inside a quoted value: the parser notices at the end of the text, but the
/// editor needs to see where the quote opened, which the parser's context (`..., while
/// scanning a quoted scalar at line 1 column 8`) tells.
fn never_closed(message: &str) -> Option<YamlError> {
    let (problem, context) = message.split_once(", while ")?;
    if !problem.starts_with("found unexpected end of stream") {
        return None;
    }
    let (what, at) = context.split_once(" at line ")?;
    if what != "scanning a quoted scalar" {
        return None;
    }
    let (line, column) = at.split_once(" column ")?;
    Some(YamlError {
        line: line.trim().parse().ok(),
        column: column.trim().parse().ok(),
        message: QUOTE_NEVER_CLOSED.to_string(),
    })
}

/// How deep `[` and `{` may nest. The YAML scanner checks every open bracket on every
/// token, so its time grows with the square of the depth (50,000 levels took 23 s); the
/// deserialiser refuses anything past 128 levels anyway.
const MAX_FLOW_DEPTH: usize = 1000;

/// Refuses text whose flow collections (`[`, `{`) nest deeper than [`MAX_FLOW_DEPTH`], before
/// the scanner spends quadratic time on it. Quoted scalars are skipped; brackets inside plain
/// scalars are counted, which only makes the check stricter for absurd texts.
fn check_depth(text: &str) -> Result<(), YamlError> {
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    // The last character that was not a space: a quote right after one of these (or at the
    // start of a line) opens a quoted scalar; elsewhere it is part of a plain one (`don't`).
    let mut previous = '\n';
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            (line, column) = (line + 1, 0);
        }
        let opens_scalar = matches!(previous, '\n' | ':' | '-' | ',' | '[' | '{' | '?');
        if !matches!(c, ' ' | '\t') {
            previous = c;
        }
        match (quote, c) {
            (Some('"'), '\\') => {
                chars.next();
                column += 1;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if opens_scalar => quote = Some(c),
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err(YamlError {
                        line: Some(line),
                        column: Some(column),
                        message: format!(
                            "lists and maps nested more than {MAX_FLOW_DEPTH} levels deep"
                        ),
                    });
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses YAML text into `T`. Empty text parses as an empty mapping.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if text.trim().is_empty() {
        return serde_yaml::from_str("{}").map_err(convert);
    }
    check_depth(text)?;
    serde_yaml::from_str(text).map_err(|e| convert_in(e, text))
}

/// The top-level keys of a YAML mapping, in order, as text.
pub fn top_level_keys(text: &str) -> Result<Vec<String>, YamlError> {
    check_depth(text)?;
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| convert_in(e, text))?;
    let Some(mapping) = value.as_mapping() else {
        return Ok(Vec::new());
    };
    Ok(mapping
        .keys()
        .map(|key| match key {
            serde_yaml::Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        })
        .collect())
}

/// Serialises a value as YAML text (used for files that birge writes for editors).
pub fn to_string<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_yaml::to_string(value)?)
}

/// `text` with the top-level entries of `keys` blanked: each key's line and the lines
/// indented under it become empty lines, so the lines left keep their numbers.
pub fn without_top_level_keys(text: &str, keys: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dropping = false;
    for line in text.split_inclusive('\n') {
        let starts_entry = line.starts_with(|c: char| !c.is_whitespace() && c != '#');
        if starts_entry {
            dropping = keys.iter().any(|key| {
                line.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with(':'))
            });
        }
        if dropping {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        } else {
            out.push_str(line);
        }
    }
    out
}

/// 1-based line and column of a top-level `key:` in YAML text.
pub fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let rest = line.strip_prefix(key)?;
        // Only YAML's own blanks may stand before the colon (not any Unicode space).
        rest.trim_start_matches([' ', '\t'])
            .starts_with(':')
            .then_some((i + 1, 1))
    })
}

/// 1-based line and column of `value` under the top-level `key`: on the key's own line
/// (`key: value`, `key: [a, value]`) or on the indented lines that follow it (`- value`).
pub fn value_position(text: &str, key: &str, value: &str) -> Option<(usize, usize)> {
    let (key_line, _) = key_position(text, key)?;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate().skip(key_line - 1) {
        let is_continuation = i + 1 == key_line || line.starts_with([' ', '\t', '-']);
        if !is_continuation {
            break;
        }
        let searchable_from = if i + 1 == key_line {
            line.find(':').map_or(line.len(), |colon| colon + 1)
        } else {
            0
        };
        if let Some(found) = find_token(&line[searchable_from..], value) {
            let column = line[..searchable_from + found].chars().count() + 1;
            return Some((i + 1, column));
        }
    }
    Some((key_line, 1))
}

/// Every 1-based position where `needle` starts in `text`.
pub fn occurrences(text: &str, needle: &str) -> Vec<(usize, usize)> {
    text.lines()
        .enumerate()
        .flat_map(|(i, line)| {
            line.match_indices(needle)
                .map(move |(at, _)| (i + 1, line[..at].chars().count() + 1))
        })
        .collect()
}

/// Finds `token` in `line` where it stands alone (not inside a longer word).
fn find_token(line: &str, token: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    line.match_indices(token).map(|(at, _)| at).find(|&at| {
        let before = line[..at].chars().next_back();
        let after = line[at + token.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// Deserialises any YAML scalar (string, number, boolean) as a string, so that
/// `title: 2020` or `tags: [2020]` read as editors mean them.
pub fn scalar_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(ScalarString)
}

/// Like [`scalar_string`], for optional fields.
pub fn opt_scalar_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    scalar_string(deserializer).map(Some)
}

/// Like [`scalar_string`], for one string or a list of them.
pub fn scalar_strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_any(ScalarStrings)
}

/// One scalar or a list of them, as written: for keys where the form tells a mistake apart
/// (`tags: masks, volunteers` is one text, not two tags; `region: [a, b]` wants `regions:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrList {
    /// A single scalar, read as a string.
    One(String),
    /// A list (`~` and a missing key read as an empty one).
    List(Vec<String>),
}

impl Default for OneOrList {
    fn default() -> Self {
        OneOrList::List(Vec::new())
    }
}

impl OneOrList {
    /// The values, one or many.
    pub fn items(&self) -> &[String] {
        match self {
            OneOrList::One(one) => std::slice::from_ref(one),
            OneOrList::List(list) => list,
        }
    }
}

/// Deserialises one scalar or a list of scalars, remembering which it was.
pub fn one_or_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OneOrList, D::Error> {
    deserializer.deserialize_any(OneOrListVisitor)
}

struct OneOrListVisitor;

impl<'de> Visitor<'de> for OneOrListVisitor {
    type Value = OneOrList;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string or a list of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrList, E> {
        ScalarString.visit_str(v).map(OneOrList::One)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<OneOrList, E> {
        Ok(OneOrList::One(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<OneOrList, E> {
        ScalarString.visit_i64(v).map(OneOrList::One)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<OneOrList, E> {
        ScalarString.visit_u64(v).map(OneOrList::One)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<OneOrList, E> {
        ScalarString.visit_f64(v).map(OneOrList::One)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<OneOrList, E> {
        ScalarString.visit_bool(v).map(OneOrList::One)
    }
    fn visit_unit<E: de::Error>(self) -> Result<OneOrList, E> {
        Ok(OneOrList::default())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<OneOrList, A::Error> {
        ScalarStrings.visit_seq(seq).map(OneOrList::List)
    }
}

struct ScalarString;

impl Visitor<'_> for ScalarString {
    type Value = String;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

struct ScalarStrings;

impl<'de> Visitor<'de> for ScalarStrings {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string or a list of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<String>, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<String>, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Scalar>()? {
            out.push(item.0);
        }
        Ok(out)
    }
}

struct Scalar(String);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar_string(deserializer).map(Scalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_never_closed_is_shown_where_it_opens() {
        let err = parse::<serde_yaml::Value>("title: \"Unclosed\ndate: 2020-03-20\n").unwrap_err();
        assert_eq!(
            (err.line, err.column, err.message.as_str()),
            (Some(1), Some(8), "the quote opened here is never closed")
        );
        let err = parse::<serde_yaml::Value>("title: A\nsummary: 'Unclosed\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(10)));
        assert_eq!(err.message, "the quote opened here is never closed");
        // The parser pairs the open quote with the next one and sees `""`'s second open;
        // the editor's mistake is the first line.
        let text = "title: \"Open\ndate: 2020-03-20\nauthor: \"\"\ntags: [\"a\", b]\n";
        let err = parse::<serde_yaml::Value>(text).unwrap_err();
        assert_eq!(
            (err.line, err.column, err.message.as_str()),
            (
                Some(1),
                Some(8),
                "the quote opened here is not closed on its line"
            )
        );
        // A quoted value may go on over lines when nothing else is wrong.
        let text = "title: \"Two\n  lines\"\ndate: 2020-03-20\n";
        assert!(parse::<serde_yaml::Value>(text).is_ok());
    }

    #[test]
    fn positions_of_keys_and_values() {
        let text = "title: A\nregions: [atyrau, kostanay]\ntags:\n  - masks\n  - youth\n";
        assert_eq!(key_position(text, "regions"), Some((2, 1)));
        assert_eq!(value_position(text, "regions", "kostanay"), Some((2, 19)));
        assert_eq!(value_position(text, "tags", "youth"), Some((5, 5)));
        assert_eq!(key_position(text, "author"), None);
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let deep = format!("a: {}{}", "[".repeat(50_000), "]".repeat(50_000));
        let started = std::time::Instant::now();
        let err = parse::<serde_json::Value>(&deep).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!((err.line, err.column), (Some(1), Some(1004)));
        assert!(err.message.contains("nested more than 1000 levels"));
        // Brackets in quoted strings are text.
        let quoted = format!("a: [\"{}\", '{}']", "[".repeat(2000), "{".repeat(2000));
        assert!(parse::<serde_json::Value>(&quoted).is_ok());
        let block = format!(
            "a: \"{}\"\nb: it's [fine]\nc: '{}'",
            "[".repeat(2000),
            "{".repeat(2000)
        );
        assert!(parse::<serde_json::Value>(&block).is_ok());
        let err =
            parse::<serde_json::Value>(&format!("a: {}1{}", "[".repeat(200), "]".repeat(200)));
        assert!(err.unwrap_err().message.contains("recursion limit"));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (p, n) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            bomb.push_str(&format!(
                "{n}: &{n} [{}]\n",
                vec![format!("*{p}"); 9].join(", ")
            ));
        }
        let err = parse::<serde_json::Value>(&bomb).unwrap_err();
        assert!(
            err.message
                .contains("aliases (`*name`) expand to too much data"),
            "{}",
            err.message
        );
    }

    #[test]
    fn unicode_space_before_a_colon_is_not_a_key() {
        // Found by fuzzing (article): this line was taken for the key `region`, and the
        // search for its value started inside the ideographic space, a panic.
        let text = "title: \"A\nregion\u{3000}: x\"\nregion: nope\n";
        assert_eq!(key_position(text, "region"), Some((3, 1)));
        assert_eq!(value_position(text, "region", "nope"), Some((3, 9)));
        assert_eq!(
            value_position("region  :  nope", "region", "nope"),
            Some((1, 12))
        );
    }

    #[test]
    fn errors_carry_positions() {
        let err = parse::<std::collections::BTreeMap<String, String>>("a: [1\nb: 2").unwrap_err();
        assert!(err.line.is_some());
        assert!(!err.message.contains(" at line "));
    }
}
