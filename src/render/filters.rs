//! The filters birge gives templates beside Tera's own: `date`, `url`, `t`, `json`, `markdown`.
//!
//! Takes the base URL and the theme's strings, registers the filters on a [`Tera`].

use std::collections::HashMap;
use std::sync::Arc;

use tera::{Error, Kwargs, State, Tera, TeraResult, Value};

/// Registers birge's filters.
pub fn register(
    tera: &mut Tera,
    base_url: &str,
    strings: HashMap<String, HashMap<String, String>>,
    safe_html: bool,
) {
    let base = base_url.trim_end_matches('/').to_string();
    let strings = with_english_fallback(strings);
    tera.register_filter("url", move |path: &str, _: Kwargs, _: &State| {
        Value::from(absolute_url(&base, path))
    });
    tera.register_filter("date", date);
    let strings = Arc::new(strings);
    tera.register_filter("t", move |key: &str, kwargs: Kwargs, state: &State| {
        translate(&strings, key, &kwargs, state)
    });
    tera.register_filter("json", json);
    tera.register_filter("markdown", move |text: &str, _: Kwargs, state: &State| {
        let lang = page_lang(state);
        let html = crate::markdown::render_snippet(text);
        let html =
            crate::markdown::localize_quotes(&html, lang.as_str().unwrap_or("en")).into_owned();
        Value::safe_string(&if safe_html {
            crate::markdown::sanitize(&html)
        } else {
            html
        })
    });
}

/// Fills every language's missing strings from English once, so lookups need one step.
fn with_english_fallback(
    mut strings: HashMap<String, HashMap<String, String>>,
) -> HashMap<String, HashMap<String, String>> {
    let english = strings.get("en").cloned().unwrap_or_default();
    for table in strings.values_mut() {
        for (key, text) in &english {
            table.entry(key.clone()).or_insert_with(|| text.clone());
        }
    }
    strings
}

/// A site path as a URL under the base URL; URLs and fragments pass through unchanged.
pub fn absolute_url(base: &str, path: &str) -> String {
    let is_absolute = path.contains("://")
        || path.starts_with("//")
        || path.starts_with("mailto:")
        || path.starts_with('#');
    if is_absolute {
        return path.to_string();
    }
    let mut url = String::with_capacity(base.len() + path.len() + 1);
    url.push_str(base);
    if !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(path);
    url
}

/// The page's language (the `lang` variable), `en` when there is none.
fn page_lang(state: &State) -> Value {
    match state.get::<Value>("lang") {
        Ok(Some(lang)) if lang.is_string() => lang,
        _ => Value::from("en"),
    }
}

fn date(value: &str, kwargs: Kwargs, state: &State) -> TeraResult<Value> {
    let format: Option<String> = kwargs.get("format")?;
    let lang = match kwargs.get::<String>("lang")? {
        Some(lang) => lang,
        None => page_lang(state).as_str().unwrap_or("en").to_string(),
    };
    let day: jiff::civil::Date = value
        .get(..10)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| Error::message(format!("date: `{value}` is not a date")))?;
    let out = match format.as_deref().unwrap_or("long") {
        "long" => crate::dates::long_date(day, &lang),
        "short" | "iso" => day.to_string(),
        "month" => crate::dates::month_year(day.year(), day.month(), &lang),
        "year" => day.year().to_string(),
        "rfc3339" => value.to_string(),
        "rfc2822" => {
            let instant: jiff::Timestamp = value.parse().map_err(|_| {
                Error::message(format!("date: `{value}` has no offset for rfc2822"))
            })?;
            let offset = jiff::tz::Offset::from_seconds(offset_seconds(value))
                .unwrap_or(jiff::tz::Offset::UTC);
            crate::dates::rfc2822(&instant.to_zoned_datetime(jiff::tz::TimeZone::fixed(offset)))
        }
        other => {
            return Err(Error::message(format!(
                "date: unknown format `{other}` (use long, short, iso, month, year, rfc3339 or rfc2822)"
            )));
        }
    };
    Ok(Value::from(out))
}

/// The offset at the end of an RFC 3339 text, in seconds.
fn offset_seconds(text: &str) -> i32 {
    if text.ends_with('Z') || text.ends_with('z') || text.len() < 6 {
        return 0;
    }
    let tail = &text[text.len() - 6..];
    let sign = match tail.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return 0,
    };
    let hours: i32 = tail[1..3].parse().unwrap_or(0);
    let minutes: i32 = tail[4..6].parse().unwrap_or(0);
    sign * (hours * 3600 + minutes * 60)
}

fn translate(
    strings: &HashMap<String, HashMap<String, String>>,
    key: &str,
    kwargs: &Kwargs,
    state: &State,
) -> TeraResult<Value> {
    let lang = page_lang(state);
    let table = strings
        .get(lang.as_str().unwrap_or("en"))
        .or_else(|| strings.get("en"));
    let text = table.and_then(|t| t.get(key)).map_or(key, String::as_str);
    if !text.contains('{') {
        return Ok(Value::from(text));
    }
    let mut out = text.to_string();
    for (name, value) in kwargs.iter() {
        let shown = match value.as_str() {
            Some(s) => s.to_string(),
            None => value.to_string(),
        };
        out = out.replace(&format!("{{{name}}}"), &shown);
    }
    Ok(Value::from(out))
}

fn json(value: &Value, _: Kwargs, _: &State) -> TeraResult<Value> {
    let text = serde_json::to_string(value).map_err(|e| Error::message(format!("json: {e}")))?;
    Ok(Value::safe_string(&escape_json_for_script(&text)))
}

/// JSON that is safe inside `<script>`: `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`.
pub fn escape_json_for_script(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let mut copied = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
            0xE2 if bytes.get(i + 1) == Some(&0x80) => match bytes.get(i + 2) {
                Some(0xA8) => "\\u2028",
                Some(0xA9) => "\\u2029",
                _ => continue,
            },
            _ => continue,
        };
        out.push_str(&json[copied..i]);
        out.push_str(escape);
        copied = i + if b == 0xE2 { 3 } else { 1 };
    }
    out.push_str(&json[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_under_the_base() {
        assert_eq!(absolute_url("https://x.kz", "/news/"), "https://x.kz/news/");
        assert_eq!(
            absolute_url("https://x.kz/sub", "style.css"),
            "https://x.kz/sub/style.css"
        );
        assert_eq!(
            absolute_url("https://x.kz", "https://y.kz/a"),
            "https://y.kz/a"
        );
    }

    #[test]
    fn json_is_script_safe() {
        assert_eq!(
            escape_json_for_script("\"</script>&\""),
            "\"\\u003c/script\\u003e\\u0026\""
        );
        assert_eq!(
            escape_json_for_script("\"a\u{2028}b\u{2029}c — Қазақ “x” <\""),
            "\"a\\u2028b\\u2029c — Қазақ “x” \\u003c\""
        );
    }

    #[test]
    fn filters_in_a_template() {
        let mut tera = Tera::new();
        let strings = HashMap::from([
            (
                "en".to_string(),
                HashMap::from([("more_from".to_string(), "More from {region}".to_string())]),
            ),
            (
                "ru".to_string(),
                HashMap::from([("more_from".to_string(), "Ещё: {region}".to_string())]),
            ),
        ]);
        register(&mut tera, "https://x.kz/", strings, false);
        tera.add_raw_template(
            "t.html",
            "{{ d | date }}|{{ d | date(format='rfc2822') }}|{{ '/a/' | url }}|{{ 'more_from' | t(region='Atyrau') }}|{{ v | json }}|{{ '*b*' | markdown }}",
        )
        .unwrap();
        let mut cx = tera::Context::new();
        cx.insert("d", "2020-03-26T10:00:00+06:00");
        cx.insert("v", "<x>");
        cx.insert("lang", "ru");
        let out = tera.render("t.html", &cx).unwrap();
        assert_eq!(
            out,
            "26 марта 2020|Thu, 26 Mar 2020 10:00:00 +0600|https://x.kz/a/|Ещё: Atyrau|\"\\u003cx\\u003e\"|<p><em>b</em></p>\n"
        );
    }
}
