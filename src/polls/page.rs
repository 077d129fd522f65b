//! The results page the vote service renders itself for readers without JavaScript.
//!
//! Takes a poll, its tally, what just happened and the reader's language (that of the page
//! they came from), gives a small self-contained HTML page in that language with the live
//! results, a quiz's answer where it may be shown, and a link back. The interface strings are
//! built in (English, Kazakh, Russian, with Russian plural forms): the service may run
//! without the site's theme. Other languages get English ones around the poll's own text.

use super::PollBody;
use crate::content::polls::{Poll, PollState, Tally};

/// What the reader just did, shown above the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Nothing: the reader only looks.
    None,
    /// The vote was counted.
    Counted,
    /// The reader had voted before.
    AlreadyVoted,
    /// The poll is closed.
    Closed,
    /// The poll is not open yet.
    NotOpen,
    /// The form named no valid option.
    BadOption,
    /// Too many votes came from the reader's network (rate limit or quota).
    TooMany,
}

impl Notice {
    /// The notice named by a `?error=` or `?voted=` code.
    pub fn from_code(code: &str) -> Notice {
        match code {
            "counted" => Notice::Counted,
            "already_voted" => Notice::AlreadyVoted,
            "closed" => Notice::Closed,
            "not_open" => Notice::NotOpen,
            "bad_option" => Notice::BadOption,
            "too_many" => Notice::TooMany,
            _ => Notice::None,
        }
    }

    /// The code this notice travels as in a URL.
    pub fn code(self) -> &'static str {
        match self {
            Notice::None => "",
            Notice::Counted => "counted",
            Notice::AlreadyVoted => "already_voted",
            Notice::Closed => "closed",
            Notice::NotOpen => "not_open",
            Notice::BadOption => "bad_option",
            Notice::TooMany => "too_many",
        }
    }
}

/// `return_to` when it is a path on this site (one leading `/`), else the poll's page.
pub fn safe_return_to(return_to: Option<&str>, poll_id: &str) -> String {
    match return_to {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_string()
        }
        _ => format!("/polls/{poll_id}/"),
    }
}

struct Strings {
    results: &'static str,
    /// The word for a number of votes, by plural form: one, few, many.
    votes: [&'static str; 3],
    no_votes: &'static str,
    back: &'static str,
    answer: &'static str,
    counted: &'static str,
    already: &'static str,
    closed: &'static str,
    not_open: &'static str,
    bad_option: &'static str,
    too_many: &'static str,
}

/// "1 vote", "3 votes"; in Russian "1 голос", "3 голоса", "5 голосов", "21 голос".
fn votes_text(strings: &Strings, lang: &str, n: u64) -> String {
    let form = match lang {
        "ru" => match (n % 10, n % 100) {
            (1, h) if h != 11 => 0,
            (2..=4, h) if !(12..=14).contains(&h) => 1,
            _ => 2,
        },
        _ if n == 1 => 0,
        _ => 2,
    };
    format!("{n} {}", strings.votes[form])
}

fn strings(lang: &str) -> Strings {
    match lang {
        "kk" => Strings {
            results: "Сауалнама нәтижелері",
            votes: ["дауыс", "дауыс", "дауыс"],
            no_votes: "Әзірге дауыс жоқ",
            back: "Оралу",
            answer: "Дұрыс жауап",
            counted: "Рахмет, дауысыңыз есептелді.",
            already: "Сіз бұл сауалнамаға дауыс бергенсіз.",
            closed: "Сауалнама жабылды.",
            not_open: "Сауалнама әлі ашылған жоқ.",
            bad_option: "Жауаптардың бірін таңдаңыз.",
            too_many: "Желіңізден тым көп дауыс келді, кейінірек қайталап көріңіз.",
        },
        "ru" => Strings {
            results: "Результаты опроса",
            votes: ["голос", "голоса", "голосов"],
            no_votes: "Голосов пока нет",
            back: "Вернуться",
            answer: "Правильный ответ",
            counted: "Спасибо, ваш голос учтён.",
            already: "Вы уже голосовали в этом опросе.",
            closed: "Опрос закрыт.",
            not_open: "Опрос ещё не начался.",
            bad_option: "Выберите один из вариантов.",
            too_many: "Из вашей сети пришло слишком много голосов, попробуйте позже.",
        },
        _ => Strings {
            results: "Poll results",
            votes: ["vote", "votes", "votes"],
            no_votes: "No votes yet",
            back: "Back",
            answer: "Right answer",
            counted: "Thank you, your vote was counted.",
            already: "You have already voted in this poll.",
            closed: "This poll is closed.",
            not_open: "This poll is not open yet.",
            bad_option: "Please choose one of the options.",
            too_many: "Too many votes came from your network; please try again later.",
        },
    }
}

/// The results page, in `lang`.
pub fn render(
    poll: &Poll,
    tally: &Tally,
    state: PollState,
    voted: bool,
    notice: Notice,
    back_to: &str,
    lang: &str,
) -> String {
    let s = strings(lang);
    let body = PollBody::new(poll, tally, state, voted, lang);
    // `lang` may come from a hand-written definitions file: it goes into an attribute.
    let lang = crate::html::escape_html(lang);
    let message = match notice {
        Notice::None => None,
        Notice::Counted => Some(s.counted),
        Notice::AlreadyVoted => Some(s.already),
        Notice::Closed => Some(s.closed),
        Notice::NotOpen => Some(s.not_open),
        Notice::BadOption => Some(s.bad_option),
        Notice::TooMany => Some(s.too_many),
    };
    let mut rows = String::new();
    for (i, option) in body.options.iter().enumerate() {
        let right = body.answer == Some(i);
        rows.push_str(&format!(
            "<li{}><span class=\"label\">{}{}</span> <span class=\"count\">{} · {}%</span><span class=\"bar\" style=\"width:{}%\"></span></li>\n",
            if right { " class=\"right\"" } else { "" },
            crate::html::escape_html(option.label),
            if right { format!(" <strong>({})</strong>", s.answer) } else { String::new() },
            votes_text(&s, &lang, option.votes),
            option.percent,
            option.percent,
        ));
    }
    let total = if body.total == 0 {
        s.no_votes.to_string()
    } else {
        votes_text(&s, &lang, body.total)
    };
    format!(
        "<!doctype html>
<html lang=\"{lang}\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<meta name=\"robots\" content=\"noindex\">
<title>{title} — {results}</title>
<style>
body{{font:1rem/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1b2a33}}
h1{{font-size:1.3rem}}ol{{list-style:none;padding:0}}li{{position:relative;padding:.5rem .6rem;margin:.4rem 0;border:1px solid #c9dde3;border-radius:.3rem;overflow:hidden}}
.bar{{position:absolute;left:0;top:0;bottom:0;background:#d7eef4;z-index:-1}}.count{{float:right;color:#3b4d57}}
li.right{{border-color:#b8860b}}.notice{{padding:.6rem .8rem;background:#fff6d6;border-left:4px solid #e0a800}}
a{{color:#005b70}}
</style>
</head>
<body>
<main>
<p>{results}</p>
<h1>{title}</h1>
{message}<div aria-live=\"polite\">
<ol class=\"results\" data-poll=\"{id}\" data-total=\"{total_n}\">
{rows}</ol>
<p class=\"total\">{total}</p>
</div>
<p><a href=\"{back}\">← {back_label}</a></p>
</main>
</body>
</html>
",
        title = crate::html::escape_html(body.question),
        results = s.results,
        message = message.map(|m| format!("<p class=\"notice\" role=\"status\">{}</p>\n", m)).unwrap_or_default(),
        id = crate::html::escape_html(&poll.id),
        total_n = body.total,
        back = crate::html::escape_html(back_to),
        back_label = s.back,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_site_paths_are_followed() {
        assert_eq!(
            safe_return_to(Some("/news/2020/03/a/"), "p"),
            "/news/2020/03/a/"
        );
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_return_to(Some(bad), "p"), "/polls/p/", "{bad}");
        }
        assert_eq!(safe_return_to(None, "p"), "/polls/p/");
    }

    #[test]
    fn vote_counts_take_the_plural_form_of_their_language() {
        let text = |lang: &str, n: u64| votes_text(&strings(lang), lang, n);
        assert_eq!(text("en", 0), "0 votes");
        assert_eq!(text("en", 1), "1 vote");
        assert_eq!(text("en", 21), "21 votes");
        let ru: Vec<String> = [1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112]
            .into_iter()
            .map(|n| text("ru", n))
            .collect();
        assert_eq!(
            ru,
            [
                "1 голос",
                "2 голоса",
                "4 голоса",
                "5 голосов",
                "11 голосов",
                "12 голосов",
                "14 голосов",
                "21 голос",
                "22 голоса",
                "25 голосов",
                "101 голос",
                "111 голосов",
                "112 голосов"
            ]
        );
        assert_eq!(text("kk", 1), "1 дауыс");
        assert_eq!(text("kk", 7), "7 дауыс");
    }
}
