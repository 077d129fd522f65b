//! Markdown bodies to HTML: CommonMark with tables, footnotes, strikethrough, task lists,
//! smart punctuation, heading anchors, highlighted code, `@/` links and poll shortcodes.
//!
//! Takes a body and a [`Context`] (where links may point, which polls exist), gives
//! [`Rendered`] HTML with its summary, or problems located at lines of the whole file.
//! Poll shortcodes are read in `shortcodes`, links in `links`, code in `highlight`;
//! [`polish()`] and [`sanitize`] (in `polish`) finish the HTML for the web.

mod highlight;
mod links;
mod polish;
mod shortcodes;

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::diagnostics::Problem;
use highlight::highlight;
use links::{link_target, points_at_site, position, resolve_link};
use shortcodes::replace_poll_shortcodes;

pub use highlight::highlight_css;
pub use links::{Reference, has_scheme};
pub use polish::{localize_quotes, polish, sanitize};
pub use shortcodes::{PollPlacement, poll_marker, poll_placements};

/// What a body may refer to, and where its problems are reported.
pub struct Context<'a> {
    /// The file, relative to the site root.
    pub source: &'a str,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
    /// `@/` link targets: content paths to site paths.
    pub link_targets: &'a HashMap<String, String>,
    /// Content files that are not link targets for a reason of their own, by content path.
    pub withheld: &'a HashMap<String, Withheld>,
    /// The ids of the site's polls.
    pub polls: &'a HashSet<String>,
    /// Prefix for resolved links: the base URL without its trailing `/`.
    pub base_url: &'a str,
}

/// Why a content file that exists is not an `@/` link target in this build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withheld {
    /// Marked `draft: true` (and drafts are not built).
    Draft,
    /// Dated after the build's present: when it comes out, in the site's timezone.
    Scheduled(String),
    /// It failed to load; its own problems are reported, so a link to it is not.
    Failed,
}

/// A rendered body.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    /// The whole body as HTML.
    pub html: String,
    /// The summary as HTML: the text before `<!-- more -->`, else the first paragraph.
    pub summary: String,
    /// Whether the body has highlighted code (its page then needs the highlight stylesheet).
    pub has_code: bool,
    /// Poll ids placed by `{{ poll(id="...") }}`, in order.
    pub polls: Vec<String>,
    /// Images and links that point at a local file or site path, for the check that the
    /// files exist (URLs, `mailto:`, `#fragment` and `@/` links are not among them).
    pub references: Vec<Reference>,
    /// The content paths that `@/` links looked up (found or not), in order: what the HTML
    /// read of the site's link targets, so a rebuild knows when a move changes it.
    pub links: Vec<String>,
}

const MORE: &str = "<!-- more -->";

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders a body; problems (broken `@/` links, unknown polls) are returned beside the HTML.
pub fn render(body: &str, cx: &Context) -> (Rendered, Vec<Problem>) {
    let mut problems = Vec::new();
    let (text, polls) = replace_poll_shortcodes(body, cx, &mut problems);
    let (html, first_paragraph, has_code, references, links) = to_html(&text, cx, &mut problems);
    let summary = match find(&text, MORE).or_else(|| find(&text, "<!--more-->")) {
        Some(at) => to_html(&text[..at], cx, &mut Vec::new()).0,
        None => first_paragraph,
    };
    (
        Rendered {
            html,
            summary,
            has_code,
            polls,
            references,
            links,
        },
        problems,
    )
}

/// Renders a short Markdown text (a summary or a description) with no links to check.
pub fn render_snippet(text: &str) -> String {
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(text, options()));
    html
}

/// Renders Markdown to HTML; gives the HTML, the first top-level paragraph's HTML, whether
/// code was highlighted, and the images and links that point at site paths.
fn to_html(
    text: &str,
    cx: &Context,
    problems: &mut Vec<Problem>,
) -> (String, String, bool, Vec<Reference>, Vec<String>) {
    let parser = Parser::new_ext(text, options()).into_offset_iter();
    let mut events: Vec<Event> = Vec::new();
    let mut references: Vec<Reference> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    let mut heading: Option<usize> = None;
    let mut code: Option<(String, String)> = None;
    let mut has_code = false;
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut heading_text = String::new();

    for (event, range) in parser {
        if let Some((lang, buffer)) = &mut code {
            match event {
                Event::Text(t) => buffer.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let html = highlight(lang, buffer);
                    has_code |= html.1;
                    events.push(Event::Html(html.0.into()));
                    code = None;
                }
                _ => {}
            }
            continue;
        }
        if let Event::Start(
            tag @ (Tag::Link {
                link_type,
                dest_url,
                ..
            }
            | Tag::Image {
                link_type,
                dest_url,
                ..
            }),
        ) = &event
        {
            let image = matches!(tag, Tag::Image { .. });
            if points_at_site(dest_url, *link_type, image) {
                let (line, column) = position(text, range.start, cx.body_line);
                references.push(Reference {
                    dest: dest_url.to_string(),
                    image,
                    line,
                    column,
                    raw_html: false,
                });
            }
        }
        if let Event::Html(html) | Event::InlineHtml(html) = &event {
            for (at, dest, image) in links::raw_html_references(html) {
                let (line, column) = position(text, range.start + at, cx.body_line);
                references.push(Reference {
                    dest,
                    image,
                    line,
                    column,
                    raw_html: true,
                });
            }
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Event::Start(start @ Tag::Heading { .. }) => {
                heading = Some(events.len());
                heading_text.clear();
                events.push(Event::Start(start));
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some(at) = heading.take()
                    && let Event::Start(Tag::Heading { id, .. }) = &mut events[at]
                {
                    let chosen = id.as_ref().map(|i| i.to_string()).unwrap_or_else(|| {
                        let base = crate::slug::slugify(&heading_text, "");
                        let base = if base.is_empty() {
                            "section".to_string()
                        } else {
                            base
                        };
                        unique_id(base, &used_ids)
                    });
                    used_ids.insert(chosen.clone());
                    *id = Some(chosen.into());
                }
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if dest_url.starts_with("@/") => {
                links.push(link_target(&dest_url).to_string());
                let dest = resolve_link(&dest_url, range.start, text, cx, problems);
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest.into(),
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) if dest_url.starts_with("@/") => {
                links.push(link_target(&dest_url).to_string());
                let dest = resolve_link(&dest_url, range.start, text, cx, problems);
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: dest.into(),
                    title,
                    id,
                }));
            }
            Event::Text(t) | Event::Code(t) if heading.is_some() => {
                heading_text.push_str(&t);
                events.push(Event::Text(t));
            }
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.iter().cloned());
    let mut summary = String::new();
    if let Some(paragraph) = first_paragraph(&events) {
        pulldown_cmark::html::push_html(&mut summary, paragraph.iter().cloned());
    }
    (html, summary, has_code, references, links)
}

fn unique_id(base: String, used: &HashSet<String>) -> String {
    if !used.contains(&base) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !used.contains(id))
        .expect("an unused id")
}

/// The events of the first paragraph that is not inside a list, quote or table.
fn first_paragraph<'a, 'e>(events: &'a [Event<'e>]) -> Option<&'a [Event<'e>]> {
    let mut depth = 0usize;
    let mut start = None;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Paragraph) if depth == 0 => start = Some(i),
            Event::End(TagEnd::Paragraph) if depth == 0 => return start.map(|s| &events[s..=i]),
            Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {}
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Where `needle` first occurs in `haystack` (SIMD substring search: bodies are scanned
/// several times each, and the standard library's search showed in profiles).
fn find(haystack: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(haystack.as_bytes(), needle.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn cx<'a>(
        targets: &'a HashMap<String, String>,
        polls: &'a HashSet<String>,
    ) -> Context<'a> {
        static NONE: std::sync::LazyLock<HashMap<String, Withheld>> =
            std::sync::LazyLock::new(HashMap::new);
        Context {
            source: "content/news/a.md",
            body_line: 5,
            link_targets: targets,
            withheld: &NONE,
            polls,
            base_url: "https://x.kz",
        }
    }

    #[test]
    fn headings_get_anchors_and_summary_is_first_paragraph() {
        let (t, p) = (HashMap::new(), HashSet::new());
        let (r, problems) = render(
            "> quote\n\nFirst \"one\".\n\n## Second part\n\n## Second part\n",
            &cx(&t, &p),
        );
        assert!(problems.is_empty());
        assert_eq!(r.summary, "<p>First “one”.</p>\n");
        assert!(r.html.contains("<h2 id=\"second-part\">Second part</h2>"));
        assert!(r.html.contains("<h2 id=\"second-part-1\">"));
    }

    #[test]
    fn more_marker_cuts_the_summary() {
        let (t, p) = (HashMap::new(), HashSet::new());
        let (r, _) = render(
            "Lead one.\n\nLead two.\n\n<!-- more -->\n\nRest.\n",
            &cx(&t, &p),
        );
        assert_eq!(r.summary, "<p>Lead one.</p>\n<p>Lead two.</p>\n");
    }
}
