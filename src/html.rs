//! HTML text in and out: escaping for text and attribute values (the one escaper of
//! birge's hand-written HTML) and the plain text of an HTML fragment.
//!
//! Takes text or an HTML fragment, gives HTML-safe text or text with tags and entities gone.

/// Text made safe for HTML content and attribute values: `&`, `<`, `>`, `"` and `'`
/// escaped. The one escaper of the crate's hand-written HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The text of an HTML fragment: tags dropped, entities decoded, white space folded.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => rest = &rest[open + close + 1..],
            None => rest = "",
        }
    }
    text.push_str(rest);
    let decoded = if text.contains('&') {
        decode_all_entities(&text)
    } else {
        text
    };
    let mut spaced = String::with_capacity(decoded.len());
    for word in decoded.split_whitespace() {
        if !spaced.is_empty() {
            spaced.push(' ');
        }
        spaced.push_str(word);
    }
    spaced
}

/// Decodes named entities Markdown writes and any numeric entity.
fn decode_all_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attribute_quotes() {
        assert_eq!(
            escape_html("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
    }

    #[test]
    fn plain_text_of_html() {
        assert_eq!(
            plain_text("<p>Volunteers &amp; <em>doctors</em>&#33; &#x41;&quot;</p>\n"),
            "Volunteers & doctors! A\""
        );
        assert_eq!(plain_text("a &bogus; b"), "a &bogus; b");
    }
}
