//! The theme's templates compiled with birge's filters, and template errors told as
//! problems at their file, line and column.
//!
//! Takes a [`Theme`], gives a [`Tera`] ready to render or every template problem.

use tera::Tera;

use crate::diagnostics::Problem;
use crate::theme::Theme;

/// Compiles the theme's templates with birge's filters; syntax errors of every template are
/// reported, each at its file, line and column.
/// With `safe_html`, the `markdown` filter sanitises what it renders, as bodies are.
pub fn compile(theme: &Theme, base_url: &str, safe_html: bool) -> Result<Tera, Vec<Problem>> {
    let mut problems = Vec::new();
    for template in theme.templates.values() {
        let mut scratch = Tera::new();
        if let Err(error) = scratch.add_raw_template(&template.name, &template.text)
            && matches!(error.kind(), tera::ErrorKind::SyntaxError(_))
        {
            problems.push(template_problem(theme, &error));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut tera = Tera::new();
    super::filters::register(&mut tera, base_url, theme.strings.clone(), safe_html);
    super::resize::register(&mut tera);
    tera.autoescape_on(vec![".html", ".htm", ".xml"]);
    tera.add_raw_templates(
        theme
            .templates
            .values()
            .map(|t| (t.name.as_str(), t.text.as_str())),
    )
    .map_err(|error| template_problems(theme, &error))?;
    for required in REQUIRED_TEMPLATES {
        if !tera.contains_template(required) {
            problems.push(
                Problem::new(
                    "templates",
                    format!("the theme has no template `{required}`"),
                )
                .hint("add it to the theme's templates/ or to the site's templates/"),
            );
        }
    }
    if problems.is_empty() {
        Ok(tera)
    } else {
        Err(problems)
    }
}

/// The templates every theme must have.
pub const REQUIRED_TEMPLATES: &[&str] = &[
    "base.html",
    "index.html",
    "article.html",
    "page.html",
    "regions.html",
    "region.html",
    "archive.html",
    "archive_year.html",
    "archive_month.html",
    "tags.html",
    "tag.html",
    "polls.html",
    "poll.html",
    "404.html",
    "partials/poll.html",
    "atom.xml",
    "rss.xml",
    "sitemap.xml",
];

/// A Tera error as a problem located in the template's file.
pub fn template_problem(theme: &Theme, error: &tera::Error) -> Problem {
    let report = match error.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            Some(report)
        }
        _ => None,
    };
    match report {
        Some(report) => {
            let origin = theme.templates.get(report.filename()).map_or_else(
                || format!("templates/{}", report.filename()),
                |t| t.origin.clone(),
            );
            let span = report.span();
            let problem = Problem::new(origin, format!("{}: {}", kind(error), report.message()))
                .at(span.start_line, span.start_col + 1);
            if matches!(error.kind(), tera::ErrorKind::SyntaxError(_)) {
                problem.hint(syntax_hint(report.message()))
            } else {
                problem
            }
        }
        None => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(inner) = source {
                message.push_str(": ");
                message.push_str(&inner.to_string());
                source = inner.source();
            }
            Problem::new("templates", format!("template error: {message}"))
        }
    }
}

/// A Tera error as problems located in the templates' files: Tera reports every unknown
/// filter, test and function of a theme in one message, each with its place (`--> FILE:L:C`).
pub fn template_problems(theme: &Theme, error: &tera::Error) -> Vec<Problem> {
    let tera::ErrorKind::Msg(message) = error.kind() else {
        return vec![template_problem(theme, error)];
    };
    let located: Vec<Problem> = message
        .split("error: ")
        .filter_map(|report| located_report(theme, report))
        .collect();
    if located.is_empty() {
        vec![template_problem(theme, error)]
    } else {
        located
    }
}

/// One `MESSAGE\n --> FILE:LINE:COLUMN` report of Tera's as a problem at its place.
fn located_report(theme: &Theme, report: &str) -> Option<Problem> {
    let (message, rest) = report.split_once('\n')?;
    let place = rest.trim_start().strip_prefix("--> ")?.lines().next()?;
    let mut parts = place.rsplitn(3, ':');
    let column: usize = parts.next()?.trim().parse().ok()?;
    let line: usize = parts.next()?.trim().parse().ok()?;
    let file = parts.next()?;
    let origin = theme
        .templates
        .get(file)
        .map_or_else(|| format!("templates/{file}"), |t| t.origin.clone());
    let problem =
        Problem::new(origin, format!("template error: {}", message.trim())).at(line, column);
    Some(match reference_hint(message) {
        Some(hint) => problem.hint(hint),
        None => problem,
    })
}

/// Filters, tests and functions a template may call: birge's and Tera's own.
const FILTERS: &[&str] = &[
    "date",
    "url",
    "t",
    "json",
    "markdown",
    "safe",
    "default",
    "upper",
    "lower",
    "wordcount",
    "escape",
    "escape_html",
    "escape_xml",
    "newlines_to_br",
    "pluralize",
    "trim",
    "trim_start",
    "trim_end",
    "replace",
    "capitalize",
    "title",
    "truncate",
    "indent",
    "str",
    "int",
    "float",
    "length",
    "reverse",
    "split",
    "abs",
    "round",
    "first",
    "last",
    "nth",
    "join",
    "sort",
    "unique",
    "get",
    "values",
    "keys",
    "pairs",
    "group_by",
];
const TESTS: &[&str] = &[
    "string",
    "number",
    "map",
    "bool",
    "array",
    "integer",
    "float",
    "none",
    "iterable",
    "defined",
    "undefined",
    "odd",
    "even",
    "divisible_by",
    "starting_with",
    "ending_with",
    "containing",
];
const FUNCTIONS: &[&str] = &["resize", "range", "throw"];

/// How to fix a call of a filter, test or function that does not exist.
fn reference_hint(message: &str) -> Option<String> {
    let name = message.split('`').nth(1)?;
    let (what, known) = if message.starts_with("Unknown filter") {
        ("filters", FILTERS)
    } else if message.starts_with("Unknown test") {
        ("tests", TESTS)
    } else if message.starts_with("Unknown function") {
        ("functions", FUNCTIONS)
    } else {
        return None;
    };
    Some(
        match crate::diagnostics::did_you_mean(name, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("the {what} templates can use are: {}", known.join(", ")),
        },
    )
}

/// How a template error is named: syntax errors are found before anything renders.
fn kind(error: &tera::Error) -> &'static str {
    if matches!(error.kind(), tera::ErrorKind::SyntaxError(_)) {
        "template syntax error"
    } else {
        "template error"
    }
}

/// How to fix a template syntax error, from Tera's message: a value or tag not closed, a tag
/// that ends before what it works on, a tag out of place (often an `{% endblock %}` inside an
/// `{% if %}` never closed), a block never closed, or else the shapes of Tera's values and tags.
fn syntax_hint(message: &str) -> &'static str {
    if message.contains("expected }}") || message.contains("expected %}") {
        "close a value with `}}` and a tag with `%}`, e.g. `{{ article.title }}`, \
         `{% if article.image %}`"
    } else if message.starts_with("Found `%}`") || message.starts_with("Found `}}`") {
        "this tag or value ends before it says what it works on: write e.g. \
         `{% if article.image %}`, `{% for tag in article.tags %}` or `{{ article.title }}`"
    } else if message.contains("Unknown tag") {
        "this tag is not one Tera knows here: check its name (`if`, `for`, `block`, `set`, \
         `include`, `macro`, `filter`, `raw`), and close an `{% if %}` or `{% for %}` still open \
         above it with `{% endif %}` or `{% endfor %}`"
    } else if [
        "endif",
        "endfor",
        "endblock",
        "endmacro",
        "end tag",
        "end of input",
    ]
    .iter()
    .any(|word| message.contains(word))
    {
        "close every `{% if %}`, `{% for %}`, `{% block %}` and `{% macro %}` with its own \
         `{% endif %}`, `{% endfor %}`, `{% endblock %}` or `{% endmacro %}`, innermost first"
    } else {
        "Tera writes a value `{{ article.title }}`, a tag `{% if article.image %}`...`{% endif %}` \
         and a comment `{# ... #}`"
    }
}
