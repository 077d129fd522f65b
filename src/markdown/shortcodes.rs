//! Poll shortcodes: `{{ poll(id="x") }}` on a line of its own places a poll in a body.
//!
//! Takes a body, gives it with each such line replaced by a marker ([`poll_marker`]) that
//! the renderer turns into the poll's widget, the polls placed and where
//! ([`poll_placements`]), and problems for unknown polls and for shortcodes that would be
//! printed as text (inside a sentence, or unreadable). Fenced code is left alone.

use std::borrow::Cow;

use crate::diagnostics::{Problem, did_you_mean};

use super::{Context, find};

/// Where a poll shortcode stands in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollPlacement {
    /// The poll's id.
    pub id: String,
    /// 0-based line of the body.
    pub line: usize,
    /// 1-based column of its `{{`.
    pub column: usize,
}

/// The marker a poll shortcode leaves in the HTML, for the renderer to replace by the widget.
pub fn poll_marker(id: &str) -> String {
    format!("<!--birge:poll:{id}-->")
}

/// The lines of a body with their 0-based index, each marked when it belongs to a code block
/// (fenced or indented, as the Markdown parser reads them, in lists and quotes too).
fn body_lines(body: &str) -> impl Iterator<Item = (usize, &str, bool)> {
    let code = code_block_lines(body);
    body.split_inclusive('\n')
        .enumerate()
        .map(move |(i, line)| (i, line, code.get(i).copied().unwrap_or(false)))
}

/// Per 0-based line of `body`, whether a code block holds it.
fn code_block_lines(body: &str) -> Vec<bool> {
    use pulldown_cmark::{Event, Parser, Tag};
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&start| start <= offset) - 1;
    let mut code = vec![false; line_starts.len()];
    for (event, range) in Parser::new(body).into_offset_iter() {
        if let Event::Start(Tag::CodeBlock(_)) = event {
            let last = range.end.saturating_sub(1).max(range.start);
            for line in &mut code[line_of(range.start)..=line_of(last)] {
                *line = true;
            }
        }
    }
    code
}

/// The 1-based column of byte offset `at` in `line`.
fn column_of(line: &str, at: usize) -> usize {
    line[..at].chars().count() + 1
}

/// The polls a body places with `{{ poll(id="x") }}` lines, where they stand.
pub fn poll_placements(body: &str) -> Vec<PollPlacement> {
    if find(body, "poll(").is_none() {
        return Vec::new();
    }
    body_lines(body)
        .filter(|(_, _, code)| !code)
        .filter_map(|(i, line, _)| {
            let id = parse_poll_shortcode(line.trim())?;
            Some(PollPlacement {
                id: id.to_string(),
                line: i,
                column: column_of(line, line.find("{{").unwrap_or(0)),
            })
        })
        .collect()
}

/// Replaces each line that is only `{{ poll(id="x") }}` by a marker, keeping line numbers.
/// A poll shortcode anywhere else (inside a sentence, or one that cannot be read) would be
/// printed as text, so it is reported.
pub(super) fn replace_poll_shortcodes<'a>(
    body: &'a str,
    cx: &Context,
    problems: &mut Vec<Problem>,
) -> (Cow<'a, str>, Vec<String>) {
    if find(body, "poll(").is_none() {
        return (Cow::Borrowed(body), Vec::new());
    }
    let mut out = String::with_capacity(body.len());
    let mut polls = Vec::new();
    for (i, line, code) in body_lines(body) {
        if code {
            out.push_str(line);
            continue;
        }
        match parse_poll_shortcode(line.trim()) {
            Some(id) => {
                if !cx.polls.contains(id) {
                    let column = column_of(line, line.find("{{").unwrap_or(0));
                    problems.push(
                        Problem::new(cx.source, format!("unknown poll `{id}`"))
                            .at(cx.body_line + i, column)
                            .hint(match did_you_mean(id, cx.polls.iter().map(String::as_str)) {
                                Some(close) => format!("did you mean `{close}`? Polls are the files in content/polls/"),
                                None => format!("polls are the files in content/polls/; there is no content/polls/{id}.yaml"),
                            }),
                    );
                }
                out.push_str(&poll_marker(id));
                out.push_str(if line.ends_with('\n') { "\n" } else { "" });
                polls.push(id.to_string());
            }
            None => {
                problems.extend(misplaced_shortcodes(line, cx.source, cx.body_line + i));
                out.push_str(line);
            }
        }
    }
    (Cow::Owned(out), polls)
}

/// Poll shortcodes of a line that is not exactly one shortcode: inside a sentence, or
/// written so that they cannot be read. Code spans and indented code are left alone.
fn misplaced_shortcodes(line: &str, source: &str, line_number: usize) -> Vec<Problem> {
    if line.starts_with('\t') || line.starts_with("    ") || find(line, "{{").is_none() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (at, _) in line.match_indices("{{") {
        let Some(length) = line[at..].find("}}") else {
            break;
        };
        let shortcode = &line[at..at + length + 2];
        let inner = shortcode[2..shortcode.len() - 2].trim();
        let is_poll = inner
            .strip_prefix("poll")
            .is_some_and(|rest| rest.trim_start().starts_with('('));
        let in_code_span = line[..at].matches('`').count() % 2 == 1;
        if !is_poll || in_code_span {
            continue;
        }
        let (message, hint) = match parse_poll_shortcode(shortcode) {
            Some(_) => (
                format!("poll shortcode `{shortcode}` inside a sentence would be printed as text"),
                format!("a shortcode stands on a line of its own: move `{shortcode}` to a line by itself"),
            ),
            None => (
                format!("cannot read the poll shortcode `{shortcode}`: it would be printed as text"),
                "write it as `{{ poll(id=\"ID\") }}` on a line of its own, ID being the name of a file in content/polls/ without `.yaml`".to_string(),
            ),
        };
        found.push(
            Problem::new(source, message)
                .at(line_number, column_of(line, at))
                .hint(hint),
        );
    }
    found
}

/// The id in `{{ poll(id="x") }}`, when the text is exactly such a shortcode.
fn parse_poll_shortcode(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let args = inner
        .strip_prefix("poll")?
        .trim_start()
        .strip_prefix('(')?
        .strip_suffix(')')?
        .trim();
    let value = args
        .strip_prefix("id")?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let id = value.strip_prefix(quote)?.strip_suffix(quote)?;
    crate::slug::is_valid_poll_id(id).then_some(id)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::super::render;
    use super::super::tests::cx;
    use super::*;

    #[test]
    fn shortcodes_in_indented_code_or_code_in_lists_are_text() {
        let t = HashMap::new();
        let p = HashSet::from(["mothers-forum".to_string()]);
        let body = "How to place a poll:\n\n    {{ poll(id=\"nope\") }}\n\n- In a list:\n\n  ```\n  {{ poll(id=\"nope2\") }}\n  ```\n\n{{ poll(id=\"mothers-forum\") }}\n";
        let (r, problems) = render(body, &cx(&t, &p));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(r.polls, ["mothers-forum"]);
        assert!(
            r.html.contains("{{ poll(id=&quot;nope&quot;) }}"),
            "{}",
            r.html
        );
        assert_eq!(poll_placements(body).len(), 1);
    }

    #[test]
    fn poll_shortcodes_stand_on_their_own_line() {
        let t = HashMap::new();
        let p = HashSet::from(["mothers-forum".to_string()]);
        let body = "Vote {{ poll(id=\"mothers-forum\") }} now.\n\n`{{ poll(id=\"mothers-forum\") }}`\n\n```\nA {{ poll(id=\"x\") }} b\n```\n\n  {{ poll(id=\"mothers-forum\") }}\n";
        let (r, problems) = render(body, &cx(&t, &p));
        assert_eq!(r.polls, ["mothers-forum"]);
        let at: Vec<(Option<usize>, Option<usize>)> =
            problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(at, [(Some(5), Some(6))]);
        assert_eq!(
            poll_placements(body),
            [PollPlacement {
                id: "mothers-forum".into(),
                line: 8,
                column: 3
            }]
        );
    }

    #[test]
    fn poll_shortcodes() {
        let t = HashMap::new();
        let p = HashSet::from(["mothers-forum".to_string()]);
        let (r, problems) = render(
            "Text\n\n{{ poll(id=\"mothers-forum\") }}\n\n{{ poll(id=\"nope\") }}\n",
            &cx(&t, &p),
        );
        assert_eq!(r.polls, ["mothers-forum", "nope"]);
        assert!(r.html.contains(&poll_marker("mothers-forum")));
        assert_eq!(problems[0].line, Some(9));
    }
}
