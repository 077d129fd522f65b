//! Markdown bodies to HTML: CommonMark with tables, footnotes, strikethrough, task lists,
//! smart punctuation, heading anchors, highlighted code, `@/` links and poll shortcodes.
//!
//! Takes a body and a [`Context`] (where links may point, which polls exist), gives
//! [`Rendered`] HTML with its summary, or problems located at lines of the whole file.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;

use crate::diagnostics::{Problem, did_you_mean};
use crate::html::escape_html;

/// What a body may refer to, and where its problems are reported.
pub struct Context<'a> {
    /// The file, relative to the site root.
    pub source: &'a str,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
    /// `@/` link targets: content paths to site paths.
    pub link_targets: &'a HashMap<String, String>,
    /// The ids of the site's polls.
    pub polls: &'a HashSet<String>,
    /// Prefix for resolved links: the base URL without its trailing `/`.
    pub base_url: &'a str,
}

/// A rendered body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
}

/// A Markdown image or link of a body that points at a path on the site, not a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The destination as written, e.g. `sewing.jpg`, `/files/report%20March.pdf#page=2`.
    pub dest: String,
    /// Whether it is an image (else a link).
    pub image: bool,
    /// 1-based line of the whole file.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

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
    let (html, first_paragraph, has_code, references) = to_html(&text, cx, &mut problems);
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
        },
        problems,
    )
}

/// Double quotes as the language writes them: smart punctuation gives English “…”; Russian
/// and Kazakh use «…», with „…“ inside. Code (`<pre>`, `<code>`) keeps its characters.
pub fn localize_quotes<'a>(html: &'a str, lang: &str) -> std::borrow::Cow<'a, str> {
    let guillemets = matches!(lang, "ru" | "kk");
    if !guillemets || (find(html, "“").is_none() && find(html, "”").is_none()) {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut depth = 0usize;
    let mut rest = html;
    while !rest.is_empty() {
        let next_code = ["<pre", "<code"]
            .iter()
            .filter_map(|open| find(rest, open).map(|at| (at, *open)))
            .min();
        let (text, code) = match next_code {
            Some((at, open)) => (&rest[..at], Some((at, open))),
            None => (rest, None),
        };
        for c in text.chars() {
            match c {
                '“' => {
                    depth += 1;
                    out.push(if depth == 1 { '«' } else { '„' });
                }
                '”' => {
                    out.push(if depth <= 1 { '»' } else { '“' });
                    depth = depth.saturating_sub(1);
                }
                _ => out.push(c),
            }
        }
        let Some((at, open)) = code else { break };
        let close = if open == "<pre" { "</pre>" } else { "</code>" };
        let end = find(&rest[at..], close).map_or(rest.len(), |e| at + e + close.len());
        out.push_str(&rest[at..end]);
        rest = &rest[end..];
    }
    std::borrow::Cow::Owned(out)
}

/// Finishes rendered HTML for the web: quotes as the language writes them
/// ([`localize_quotes`]); images get `loading="lazy"` and, where `size_of`
/// knows them, `width` and `height`; task-list check boxes get a label in `lang`; void
/// elements lose the XHTML-style ` />`.
pub fn polish(html: &str, lang: &str, size_of: impl Fn(&str) -> Option<(u32, u32)>) -> String {
    let quoted = localize_quotes(html, lang);
    let html = quoted.as_ref();
    let has_checkboxes = find(html, "type=\"checkbox\"").is_some();
    if !has_checkboxes && find(html, "<img ").is_none() {
        return html.to_string();
    }
    let (done, open) = match lang {
        "ru" => ("выполнено", "не выполнено"),
        "kk" => ("орындалды", "орындалмады"),
        _ => ("done", "not done"),
    };
    let html = if !has_checkboxes {
        std::borrow::Cow::Borrowed(html)
    } else {
        std::borrow::Cow::Owned(checkboxes_labelled(html, done, open))
    };
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html.as_ref();
    while let Some(at) = find(rest, "<img src=\"") {
        out.push_str(&rest[..at]);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..tag_end];
        let src = tag["<img src=\"".len()..].split('"').next().unwrap_or("");
        let mut tag = tag
            .trim_end_matches('>')
            .trim_end_matches('/')
            .trim_end()
            .to_string();
        if !tag.contains(" loading=") {
            tag.push_str(" loading=\"lazy\"");
        }
        if !tag.contains(" width=")
            && let Some((width, height)) = size_of(&decode_entities(src))
        {
            tag.push_str(&format!(" width=\"{width}\" height=\"{height}\""));
        }
        tag.push('>');
        out.push_str(&tag);
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

/// `html` with pulldown-cmark's task-list check boxes written as HTML5 with a label.
fn checkboxes_labelled(html: &str, done: &str, open: &str) -> String {
    html.replace(
        "<input disabled=\"\" type=\"checkbox\" checked=\"\"/>",
        &format!("<input disabled type=\"checkbox\" checked aria-label=\"{done}\">"),
    )
    .replace(
        "<input disabled=\"\" type=\"checkbox\"/>",
        &format!("<input disabled type=\"checkbox\" aria-label=\"{open}\">"),
    )
}

/// Where `needle` first occurs in `haystack` (SIMD substring search: bodies are scanned
/// several times each, and the standard library's search showed in profiles).
fn find(haystack: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(haystack.as_bytes(), needle.as_bytes())
}

fn decode_entities(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Renders a short Markdown text (a summary or a description) with no links to check.
pub fn render_snippet(text: &str) -> String {
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(text, options()));
    html
}

/// Sanitises rendered HTML for `safe_html: true` (ammonia): scripts, styles, event handlers,
/// `javascript:` URLs, forms and frames go; text, links, images, tables, code highlighting
/// (`class`), heading anchors (`id`) and disabled task-list checkboxes stay. Poll markers
/// (see [`poll_marker`]) are kept: they stand between blocks, so each piece between them is
/// sanitised on its own.
pub fn sanitize(html: &str) -> String {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    let sanitizer = SANITIZER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .add_generic_attributes(["id", "class"])
            .add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled", "aria-label"])
            .add_tag_attributes("img", ["loading"])
            .add_tag_attributes("pre", ["data-lang"])
            .attribute_filter(|element, attribute, value| {
                if element == "input" && attribute == "type" && value != "checkbox" {
                    None
                } else {
                    Some(value.into())
                }
            });
        builder
    });
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<!--birge:poll:") {
        let end = rest[at..].find("-->").map(|e| at + e + 3);
        let Some(end) = end else { break };
        let id = &rest[at + "<!--birge:poll:".len()..end - 3];
        out.push_str(&sanitizer.clean(&rest[..at]).to_string());
        if crate::content::polls::is_valid_id(id) {
            out.push_str(&poll_marker(id));
        }
        rest = &rest[end..];
    }
    out.push_str(&sanitizer.clean(rest).to_string());
    out
}

/// The lines of a body with their 0-based index, each marked when it belongs to fenced code.
fn body_lines(body: &str) -> impl Iterator<Item = (usize, &str, bool)> {
    let mut fence: Option<&str> = None;
    body.split_inclusive('\n')
        .enumerate()
        .map(move |(i, line)| {
            let trimmed = line.trim();
            if let Some(open) = fence {
                if trimmed.starts_with(open) {
                    fence = None;
                }
                return (i, line, true);
            }
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                fence = Some(&trimmed[..3]);
                return (i, line, true);
            }
            (i, line, false)
        })
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
fn replace_poll_shortcodes<'a>(
    body: &'a str,
    cx: &Context,
    problems: &mut Vec<Problem>,
) -> (std::borrow::Cow<'a, str>, Vec<String>) {
    if find(body, "poll(").is_none() {
        return (std::borrow::Cow::Borrowed(body), Vec::new());
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
    (std::borrow::Cow::Owned(out), polls)
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
    crate::content::polls::is_valid_id(id).then_some(id)
}

/// Renders Markdown to HTML; gives the HTML, the first top-level paragraph's HTML, whether
/// code was highlighted, and the images and links that point at site paths.
fn to_html(
    text: &str,
    cx: &Context,
    problems: &mut Vec<Problem>,
) -> (String, String, bool, Vec<Reference>) {
    let parser = Parser::new_ext(text, options()).into_offset_iter();
    let mut events: Vec<Event> = Vec::new();
    let mut references: Vec<Reference> = Vec::new();
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
    (html, summary, has_code, references)
}

/// Whether a link or image destination is a path on the site (to be checked against its
/// files), rather than a URL with a scheme or host, a `#fragment`, an e-mail address or an
/// `@/` link. An image with no destination at all is kept, to be reported.
fn points_at_site(dest: &str, link_type: LinkType, image: bool) -> bool {
    let dest = dest.trim();
    if matches!(link_type, LinkType::Email) {
        return false;
    }
    if dest.is_empty() {
        return image;
    }
    !(dest.starts_with('#') || dest.starts_with("@/") || dest.starts_with("//") || has_scheme(dest))
}

/// Whether a URL starts with a scheme (`https:`, `mailto:`, `data:`, `tel:`).
pub fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The 1-based line of the whole file and column of byte `offset` in a body.
fn position(text: &str, offset: usize, body_line: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = body_line + memchr::memchr_iter(b'\n', before.as_bytes()).count();
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
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

/// Turns `@/news/a.md#part` into the target's URL, or reports the broken link.
fn resolve_link(
    dest: &str,
    offset: usize,
    text: &str,
    cx: &Context,
    problems: &mut Vec<Problem>,
) -> String {
    let path = &dest[2..];
    let (path, fragment) = match path.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (path, None),
    };
    if let Some(site_path) = cx.link_targets.get(path) {
        let mut url = format!("{}{site_path}", cx.base_url);
        if let Some(fragment) = fragment {
            url.push('#');
            url.push_str(fragment);
        }
        return url;
    }
    let (line, column) = position(text, offset, cx.body_line);
    let hint = match did_you_mean(path, cx.link_targets.keys().map(String::as_str)) {
        Some(close) => format!("did you mean `@/{close}`? Paths in @/ links start from content/"),
        None => "paths in @/ links start from content/, e.g. @/news/2020/03/masks.md".to_string(),
    };
    problems.push(
        Problem::new(
            cx.source,
            format!("broken link `{dest}`: there is no content/{path}"),
        )
        .at(line, column)
        .hint(hint),
    );
    dest.to_string()
}

fn syntax_set() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// A code block as HTML: highlighted with CSS classes when its language is known.
/// Gives the HTML and whether it was highlighted.
fn highlight(lang: &str, code: &str) -> (String, bool) {
    let escaped = || escape_html(code);
    if lang.is_empty() {
        return (format!("<pre><code>{}</code></pre>\n", escaped()), false);
    }
    let set = syntax_set();
    let Some(syntax) = set.find_syntax_by_token(lang) else {
        return (
            format!(
                "<pre><code class=\"language-{}\">{}</code></pre>\n",
                attr(lang),
                escaped()
            ),
            false,
        );
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        set,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    );
    for line in syntect::util::LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            return (
                format!(
                    "<pre><code class=\"language-{}\">{}</code></pre>\n",
                    attr(lang),
                    escaped()
                ),
                false,
            );
        }
    }
    (
        format!(
            "<pre class=\"code\" data-lang=\"{}\"><code>{}</code></pre>\n",
            attr(lang),
            generator.finalize()
        ),
        true,
    )
}

fn attr(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#'))
        .collect()
}

/// The stylesheet for highlighted code, from syntect's InspiredGitHub theme.
pub fn highlight_css() -> String {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    let theme = &themes.themes["InspiredGitHub"];
    syntect::html::css_for_theme_with_class_style(
        theme,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_follow_the_language() {
        use super::localize_quotes;
        let html =
            "<p>“Biz “birgemiz” forum”</p><pre><code>“x”</code></pre><p><code>“y”</code> “z”</p>";
        assert_eq!(
            localize_quotes(html, "ru"),
            "<p>«Biz „birgemiz“ forum»</p><pre><code>“x”</code></pre><p><code>“y”</code> «z»</p>"
        );
        assert_eq!(localize_quotes(html, "kk").matches('«').count(), 2);
        assert_eq!(localize_quotes(html, "en"), html);
    }

    use super::*;

    fn cx<'a>(targets: &'a HashMap<String, String>, polls: &'a HashSet<String>) -> Context<'a> {
        Context {
            source: "content/news/a.md",
            body_line: 5,
            link_targets: targets,
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

    #[test]
    fn links_resolve_or_are_reported_at_their_line() {
        let t = HashMap::from([("news/b.md".to_string(), "/news/2020/03/b/".to_string())]);
        let p = HashSet::new();
        let (r, problems) = render(
            "See [b](@/news/b.md#x).\n\nAnd [c](@/news/c.md).\n",
            &cx(&t, &p),
        );
        assert!(r.html.contains("href=\"https://x.kz/news/2020/03/b/#x\""));
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "error: content/news/a.md:7:5: broken link `@/news/c.md`: there is no content/news/c.md\n  hint: did you mean `@/news/b.md`? Paths in @/ links start from content/"
        );
    }

    #[test]
    fn code_is_highlighted_with_classes() {
        let (t, p) = (HashMap::new(), HashSet::new());
        let (r, _) = render("```rust\nfn main() {}\n```\n", &cx(&t, &p));
        assert!(r.has_code);
        assert!(r.html.contains("class=\"hl-"));
    }

    #[test]
    fn sanitize_removes_active_content_and_keeps_the_rest() {
        let (t, p) = (HashMap::new(), HashSet::from(["mothers-forum".to_string()]));
        let body = "## Part\n\n<script>alert(1)</script>\n\n<p onclick=\"x()\">Hi <a href=\"javascript:alert(1)\">a</a></p>\n\n{{ poll(id=\"mothers-forum\") }}\n\n- [x] done\n\n```rust\nfn main() {}\n```\n\n<iframe src=\"https://evil.example\"></iframe>\n";
        let (r, _) = render(body, &cx(&t, &p));
        let clean = sanitize(&r.html);
        for gone in ["<script", "onclick", "javascript:", "<iframe"] {
            assert!(!clean.contains(gone), "{gone} in {clean}");
        }
        assert!(clean.contains("<h2 id=\"part\">Part</h2>"), "{clean}");
        assert!(clean.contains(&poll_marker("mothers-forum")), "{clean}");
        assert!(clean.contains("type=\"checkbox\""), "{clean}");
        assert!(clean.contains("class=\"hl-"), "{clean}");
        assert!(
            sanitize("<!--birge:poll:x\"><script>-->")
                .find("<script")
                .is_none()
        );
        let clean = sanitize(&polish(&r.html, "en", |_| None));
        assert!(clean.contains("aria-label=\"done\""), "{clean}");
        let image = sanitize(&polish(
            "<p><img src=\"a.png\" alt=\"A\" onerror=\"x()\" /></p>",
            "en",
            |_| Some((8, 4)),
        ));
        assert_eq!(
            image,
            "<p><img src=\"a.png\" alt=\"A\" loading=\"lazy\" width=\"8\" height=\"4\"></p>"
        );
    }

    #[test]
    fn images_and_check_boxes_are_finished() {
        let html = "<p><img src=\"masks.svg\" alt=\"A mask\" /> <img src=\"/x.png\" alt=\"\" /></p>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\nSew</li>";
        let out = polish(html, "en", |src| (src == "masks.svg").then_some((800, 450)));
        assert_eq!(
            out,
            "<p><img src=\"masks.svg\" alt=\"A mask\" loading=\"lazy\" width=\"800\" height=\"450\"> <img src=\"/x.png\" alt=\"\" loading=\"lazy\"></p>\n<li><input disabled type=\"checkbox\" checked aria-label=\"done\">\nSew</li>"
        );
    }

    #[test]
    fn references_to_site_paths_are_collected_with_their_positions() {
        let (t, p) = (HashMap::new(), HashSet::new());
        let body = "![A](a.jpg) [b](/files/b.pdf) [c](https://x.kz/c.pdf) [d](#d)\n\n\
                    - [e](mailto:e@x.kz) <f@x.kz> [g](@/news/g.md) ![](<h h.png>)\n\n[i]\n\n[i]: ../i.png\n";
        let (r, _) = render(body, &cx(&t, &p));
        let found: Vec<(&str, bool, usize, usize)> = r
            .references
            .iter()
            .map(|r| (r.dest.as_str(), r.image, r.line, r.column))
            .collect();
        assert_eq!(
            found,
            [
                ("a.jpg", true, 5, 1),
                ("/files/b.pdf", false, 5, 13),
                ("h h.png", true, 7, 48),
                ("../i.png", false, 9, 1),
            ]
        );
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
