//! URL slugs from titles and tag names, with Cyrillic transliterated by language.
//!
//! Takes a text and a language code, gives a slug of `a-z`, `0-9` and single `-`s.
//! Kazakh uses the Russian table with its own letters (and `й` -> `i`, `х` -> `h`); Russian
//! and every other language use the Russian table plus the Kazakh letters, since Russian text
//! in Kazakhstan carries Kazakh names (`Өскемен` -> `oskemen`). Also the rule for poll ids,
//! which stand in URLs as slugs do ([`is_valid_poll_id`]).

/// Whether `id` is a poll id: the name of a file in `content/polls/` without its extension
/// and a segment of the poll's URLs, 1 to 64 of `a-z`, `0-9`, `-` and `_`.
///
/// ```
/// assert!(birge::slug::is_valid_poll_id("mothers-forum_2020"));
/// assert!(!birge::slug::is_valid_poll_id("Mothers forum"));
/// ```
pub fn is_valid_poll_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The slug of `text` for an article or tag in language `lang`.
///
/// ```
/// assert_eq!(birge::slug::slugify("Атырау еріктілері", "kk"), "atyrau-eriktileri");
/// assert_eq!(birge::slug::slugify("Biz Birgemiz!", "en"), "biz-birgemiz");
/// ```
pub fn slugify(text: &str, lang: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let piece = transliterate(c, lang);
        let piece = match piece {
            Some(p) => p,
            None if c.is_ascii_alphanumeric() => {
                push_piece(&mut out, &mut pending_dash, c.encode_utf8(&mut [0; 4]));
                continue;
            }
            None => {
                pending_dash = true;
                continue;
            }
        };
        if !piece.is_empty() {
            push_piece(&mut out, &mut pending_dash, piece);
        }
    }
    out
}

fn push_piece(out: &mut String, pending_dash: &mut bool, piece: &str) {
    if *pending_dash && !out.is_empty() {
        out.push('-');
    }
    *pending_dash = false;
    out.push_str(piece);
}

/// The Latin spelling of one lowercase letter, `None` for letters outside the tables.
fn transliterate(c: char, lang: &str) -> Option<&'static str> {
    if lang == "kk" {
        match c {
            'й' => return Some("i"),
            'х' => return Some("h"),
            _ => {}
        }
    }
    kazakh_letter(c).or_else(|| russian_letter(c))
}

fn russian_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' => "e",
        'ё' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' => "",
        'ы' => "y",
        'ь' => "",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

fn kazakh_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ә' => "a",
        'ғ' => "g",
        'қ' => "q",
        'ң' => "n",
        'ө' => "o",
        'ұ' => "u",
        'ү' => "u",
        'һ' => "h",
        'і' => "i",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn golden_slugs() {
        let cases = [
            (
                "Совет матерей при Ассамблее народа Казахстана",
                "ru",
                "sovet-materey-pri-assamblee-naroda-kazakhstana",
            ),
            ("Қарағанды", "kk", "qaragandy"),
            ("Атырау еріктілері", "kk", "atyrau-eriktileri"),
            ("Қазақстан", "kk", "qazaqstan"),
            (
                "Capital and regional APK distribute masks free of charge",
                "en",
                "capital-and-regional-apk-distribute-masks-free-of-charge",
            ),
            ("  Biz Birgemiz! -- 2020  ", "en", "biz-birgemiz-2020"),
            ("Щедрый подъезд, ёлка", "ru", "shchedryy-podezd-elka"),
            ("Хабар Қазақстан", "en", "khabar-qazaqstan"),
            ("Хабар", "kk", "habar"),
            ("Майдан", "kk", "maidan"),
            ("Майдан", "ru", "maydan"),
            ("Ұлытау Үкімет Һ", "kk", "ulytau-ukimet-h"),
            // Russian text carries Kazakh names: their letters keep their Latin spelling.
            (
                "Молодёжь «Жаңғыру жолы» и «Біз біргеміз!» Өскемен",
                "ru",
                "molodezh-zhangyru-zholy-i-biz-birgemiz-oskemen",
            ),
            ("Ұлытау Үкімет Һ", "ru", "ulytau-ukimet-h"),
            ("Әйгерім Қожахметова", "ru", "aygerim-qozhakhmetova"),
            (
                "Жаңғыру жолы жастары Өскеменде",
                "kk",
                "zhangyru-zholy-zhastary-oskemende",
            ),
            (
                "Молодёжь «Жаңғыру жолы» Өскемен",
                "en",
                "molodezh-zhangyru-zholy-oskemen",
            ),
            ("Әйгерім Қожахметова", "kk", "aigerim-qozhahmetova"),
        ];
        for (title, lang, slug) in cases {
            assert_eq!(slugify(title, lang), slug, "{title} in {lang}");
        }
    }

    #[test]
    fn punctuation_only_gives_empty() {
        assert_eq!(slugify("!!! ???", "en"), "");
    }

    #[test]
    fn poll_ids() {
        let long = "x".repeat(64);
        let too_long = "x".repeat(65);
        for id in ["mothers-forum", "forum_2020", "7", long.as_str()] {
            assert!(super::is_valid_poll_id(id), "{id:?}");
        }
        for id in ["", "Mothers", "a b", "ана", "a.b", too_long.as_str()] {
            assert!(!super::is_valid_poll_id(id), "{id:?}");
        }
    }
}
