//! Code blocks as HTML, highlighted by syntect with CSS classes (`hl-*`) when their
//! language is known, and the stylesheet for those classes.
//!
//! Takes a code block's language and text, gives its HTML and whether it was highlighted.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;

use crate::html::escape_html;

fn syntax_set() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// A code block as HTML: highlighted with CSS classes when its language is known.
/// Gives the HTML and whether it was highlighted.
pub(super) fn highlight(lang: &str, code: &str) -> (String, bool) {
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
    use std::collections::{HashMap, HashSet};

    use super::super::render;
    use super::super::tests::cx;

    #[test]
    fn code_is_highlighted_with_classes() {
        let (t, p) = (HashMap::new(), HashSet::new());
        let (r, _) = render("```rust\nfn main() {}\n```\n", &cx(&t, &p));
        assert!(r.has_code);
        assert!(r.html.contains("class=\"hl-"));
    }
}
