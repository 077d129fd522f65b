//! Polls in several languages, one set of votes: the widget and poll pages of each language's
//! tree show that language's text, the vote API answers in the language asked for, the no-JS
//! results page speaks the language of the page the reader came from, and a poll file naming
//! a language the site does not have is an error.

use scraper::Html;
use serde_json::{Value, json};

use super::http::{Response, VoteService, cookie, get, post_json, request};
use super::util::{Fixture, Page};

const EN: &str = "When was the First Republican Forum of Mothers Council held?";
const KK: &str = "Аналар кеңесінің бірінші республикалық форумы қашан өтті?";
const RU: &str = "Когда прошёл Первый республиканский форум Совета матерей?";
const EN_LABELS: [&str; 3] = ["September 7, 2011", "April 24, 2013", "Not sure"];
const KK_LABELS: [&str; 3] = ["2011 жылғы 7 қыркүйек", "2013 жылғы 24 сәуір", "Білмеймін"];
// Russian leaves the last option out: it shows the default language's label.
const RU_LABELS: [&str; 3] = ["7 сентября 2011 года", "24 апреля 2013 года", "Not sure"];

const POLL: &str = "\
question:
  en: When was the First Republican Forum of Mothers Council held?
  kk: Аналар кеңесінің бірінші республикалық форумы қашан өтті?
  ru: Когда прошёл Первый республиканский форум Совета матерей?
options:
  - {en: \"September 7, 2011\", kk: 2011 жылғы 7 қыркүйек, ru: 7 сентября 2011 года}
  - en: \"April 24, 2013\"
    kk: 2013 жылғы 24 сәуір
    ru: 24 апреля 2013 года
  - {en: Not sure, kk: Білмеймін}
";

/// The fixture site with the poll in three languages and an article in each language that
/// shows it (front matter in English and Kazakh, a shortcode in Russian).
fn site() -> Fixture {
    let site = Fixture::new();
    site.file("content/polls/mothers-forum.yaml", POLL)
        .article(
            "en/forum.md",
            "title: The forum\ndate: 2020-03-20\nslug: forum\npoll: mothers-forum",
            "Mothers Council met.\n",
        )
        .article(
            "kk/forum.md",
            "title: Форум\ndate: 2020-03-20\nslug: forum\nlang: kk\npoll: mothers-forum",
            "Аналар кеңесі жиналды.\n",
        )
        .article(
            "ru/forum.md",
            "title: Форум\ndate: 2020-03-20\nslug: forum\nlang: ru",
            "Совет матерей собрался.\n\n{{ poll(id=\"mothers-forum\") }}\n",
        );
    site
}

/// The question and labels of every widget of the poll on a page.
fn widgets(page: &Page) -> Vec<(String, Vec<String>)> {
    let forms = page.count("form[data-poll=mothers-forum]");
    assert!(forms > 0, "no widget");
    let questions = page.texts("form[data-poll=mothers-forum] legend");
    let labels = page.texts("form[data-poll=mothers-forum] .poll-option label");
    assert_eq!(questions.len(), forms);
    assert_eq!(labels.len(), forms * 3);
    questions
        .into_iter()
        .zip(labels.chunks(3).map(<[String]>::to_vec))
        .collect()
}

fn expected(question: &str, labels: [&str; 3], n: usize) -> Vec<(String, Vec<String>)> {
    vec![(question.to_string(), labels.map(String::from).to_vec()); n]
}

#[test]
fn each_tree_shows_its_languages_text() {
    let site = site();
    site.build(&[]);

    // The poll's own pages: one per tree, the question as their heading.
    for (root, question, labels) in [
        ("", EN, EN_LABELS),
        ("kk/", KK, KK_LABELS),
        ("ru/", RU, RU_LABELS),
    ] {
        let page = site.html(&format!("{root}polls/mothers-forum/index.html"));
        assert_eq!(page.text("h1"), question, "{root}");
        assert_eq!(widgets(&page), expected(question, labels, 1), "{root}");
        // The list of polls links the tree's own poll page.
        let list = site.html(&format!("{root}polls/index.html"));
        assert_eq!(list.texts(".poll-entry h2"), [question], "{root}");
        assert_eq!(
            list.attrs(".poll-entry h2 a", "href"),
            [format!("https://example.kz/{root}polls/mothers-forum/")],
            "{root}"
        );
    }

    // Articles: under the article (en, kk) or in the body (ru); the sidebar leaves it out.
    let en = site.html("news/2020/03/forum/index.html");
    assert_eq!(widgets(&en), expected(EN, EN_LABELS, 1));
    let kk = site.html("kk/news/2020/03/forum/index.html");
    assert_eq!(widgets(&kk), expected(KK, KK_LABELS, 1));
    let ru = site.html("ru/news/2020/03/forum/index.html");
    assert_eq!(widgets(&ru), expected(RU, RU_LABELS, 1));

    // The featured poll in the sidebar of each tree's front page.
    for (root, question, labels) in [
        ("", EN, EN_LABELS),
        ("kk/", KK, KK_LABELS),
        ("ru/", RU, RU_LABELS),
    ] {
        let front = site.html(&format!("{root}index.html"));
        assert_eq!(widgets(&front), expected(question, labels, 1), "{root}");
    }

    // One poll: the same id, action and form fields everywhere; links stay in the tree and
    // the results link brings the reader back to the page (and its language).
    let kk_form = "form[data-poll=mothers-forum]";
    assert_eq!(
        kk.attrs(kk_form, "action"),
        en.attrs(kk_form, "action"),
        "one vote endpoint"
    );
    assert_eq!(
        kk.attrs(".poll-link", "href"),
        [
            "https://example.kz/api/polls/mothers-forum/results?return_to=/kk/news/2020/03/forum/",
            "https://example.kz/kk/polls/mothers-forum/",
        ]
    );
    assert_eq!(
        kk.attrs("input[name=return_to]", "value"),
        ["/kk/news/2020/03/forum/"]
    );
}

fn poll_json(service: &VoteService, query: &str) -> Value {
    let response = get(
        &service.addr,
        &format!("/api/polls/mothers-forum{query}"),
        &[],
    );
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn texts_of(body: &Value) -> (String, Vec<String>) {
    let labels = body["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["label"].as_str().unwrap().to_string())
        .collect();
    (body["question"].as_str().unwrap().to_string(), labels)
}

fn texts(question: &str, labels: [&str; 3]) -> (String, Vec<String>) {
    (question.to_string(), labels.map(String::from).to_vec())
}

#[test]
fn the_api_answers_in_the_language_asked_for() {
    let site = site();
    let service = VoteService::start(site.root(), &site.root().join("votes.sqlite"), &[]);
    assert_eq!(texts_of(&poll_json(&service, "")), texts(EN, EN_LABELS));
    assert_eq!(
        texts_of(&poll_json(&service, "?lang=kk")),
        texts(KK, KK_LABELS)
    );
    assert_eq!(
        texts_of(&poll_json(&service, "?lang=ru")),
        texts(RU, RU_LABELS)
    );
    assert_eq!(
        texts_of(&poll_json(&service, "?lang=en")),
        texts(EN, EN_LABELS)
    );
    // A language the site does not have, or nonsense: the default language, not an error.
    for odd in ["?lang=de", "?lang=", "?lang=%3Cx%3E", "?lang=kk&lang=ru"] {
        let body = poll_json(&service, odd);
        let want = if odd.contains("kk&") {
            texts(KK, KK_LABELS)
        } else {
            texts(EN, EN_LABELS)
        };
        assert_eq!(texts_of(&body), want, "{odd}");
    }

    // A vote in Kazakh answers in Kazakh; the votes are the poll's, whatever the language.
    let voted = post_json(
        &service.addr,
        "/api/polls/mothers-forum/vote?lang=kk",
        &[],
        r#"{"option": 1}"#,
    );
    assert_eq!(voted.status, 200, "{}", voted.text());
    assert_eq!(texts_of(&voted.json()), texts(KK, KK_LABELS));
    assert_eq!(voted.json()["options"][1]["votes"], 1);
    let voter = cookie(&voted.voter_cookie().expect("a voter cookie"));
    let again = post_json(
        &service.addr,
        "/api/polls/mothers-forum/vote?lang=ru",
        &[("Cookie", &voter)],
        r#"{"option": 0}"#,
    );
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.json()["error"], "already_voted");
    assert_eq!(texts_of(&again.json()["poll"]), texts(RU, RU_LABELS));
    let other = post_json(
        &service.addr,
        "/api/polls/mothers-forum/vote?lang=ru",
        &[],
        r#"{"option": 1}"#,
    );
    assert_eq!(other.status, 200, "{}", other.text());
    for query in ["", "?lang=kk", "?lang=ru"] {
        let body = poll_json(&service, query);
        assert_eq!(body["total"], 2, "{query}");
        assert_eq!(body["options"][1]["votes"], 2, "{query}");
    }
}

fn form_post(service: &VoteService, body: &str) -> Response {
    request(
        &service.addr,
        "POST",
        "/api/polls/mothers-forum/vote",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
    .expect("POST answered")
}

fn results_page(service: &VoteService, return_to: &str) -> Page {
    let encoded: String = form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
    let posted = form_post(service, &format!("option=0&return_to={encoded}"));
    assert_eq!(posted.status, 303, "{}", posted.text());
    let voter = cookie(&posted.voter_cookie().expect("a voter cookie"));
    let location = posted.header("location").expect("a Location");
    let page = get(&service.addr, location, &[("Cookie", &voter)]);
    assert_eq!(page.status, 200, "{}", page.text());
    Page(Html::parse_document(&page.text()))
}

#[test]
fn the_results_page_speaks_the_language_of_the_page_left() {
    let site = site();
    let service = VoteService::start(site.root(), &site.root().join("votes.sqlite"), &[]);

    let kk = results_page(&service, "/kk/news/2020/03/forum/");
    assert_eq!(kk.attrs("html", "lang"), ["kk"]);
    assert_eq!(kk.text("h1"), KK);
    assert_eq!(kk.texts("ol.results li .label"), KK_LABELS);
    assert_eq!(kk.text(".notice"), "Рахмет, дауысыңыз есептелді.");
    assert_eq!(kk.text("main > p"), "Сауалнама нәтижелері");
    assert_eq!(kk.text(".total"), "1 дауыс");
    assert_eq!(kk.attrs("a[href]", "href"), ["/kk/news/2020/03/forum/"]);
    assert_eq!(kk.text("a[href]"), "← Оралу");

    let ru = results_page(&service, "/ru/polls/mothers-forum/");
    assert_eq!(ru.attrs("html", "lang"), ["ru"]);
    assert_eq!(ru.text("h1"), RU);
    assert_eq!(ru.texts("ol.results li .label"), RU_LABELS);
    assert_eq!(ru.text(".notice"), "Спасибо, ваш голос учтён.");
    assert_eq!(ru.text(".total"), "2 голоса");

    // The default language's tree, and anything that is not a tree of the site.
    for back in [
        "/news/2020/03/forum/",
        "/de/news/",
        "/kkk/",
        "//evil.example/kk/",
    ] {
        let en = results_page(&service, back);
        assert_eq!(en.attrs("html", "lang"), ["en"], "{back}");
        assert_eq!(en.text("h1"), EN, "{back}");
        assert_eq!(en.texts("ol.results li .label"), EN_LABELS, "{back}");
        assert_eq!(
            en.text(".notice"),
            "Thank you, your vote was counted.",
            "{back}"
        );
    }

    // Looked at without voting, from a link that carries return_to.
    let page = get(
        &service.addr,
        "/api/polls/mothers-forum/results?return_to=%2Fkk%2F",
        &[],
    );
    let page = Page(Html::parse_document(&page.text()));
    assert_eq!(page.text("h1"), KK);
    assert_eq!(page.count(".notice"), 0);
}

#[test]
fn a_language_the_site_does_not_have_is_an_error() {
    let site = Fixture::new();
    site.file(
        "content/polls/forum.yaml",
        "question:\n  en: When?\n  kz: Қашан?\noptions:\n  - {en: Yes, kz: Иә}\n  - {en: No, ru: Нет}\nlang: ru\n",
    );
    let stderr = site.build_fails();
    assert_eq!(
        stderr,
        "error: content/polls/forum.yaml:3:3: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?\n\
         error: content/polls/forum.yaml:5:15: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?\n\
         2 problems found\n"
    );
    // `birge polls definitions` and the vote service refuse the file alike.
    let out = site.birge(&["polls", "definitions"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(String::from_utf8_lossy(&out.stderr), stderr);
    assert_eq!(super::polls::refused_to_serve(&site, &[]), stderr);
}

#[test]
fn definitions_carry_every_language() {
    let site = site();
    let out = site.birge(&["polls", "definitions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(index["language"], "en");
    assert_eq!(index["languages"], json!(["en", "kk", "ru"]));
    let poll = &index["polls"][0];
    assert_eq!(poll["id"], "mothers-forum");
    assert_eq!(poll["question"], EN);
    assert_eq!(poll["options"], json!(EN_LABELS));
    assert_eq!(
        poll["translations"],
        json!({
            "kk": {"question": KK, "options": KK_LABELS},
            "ru": {"question": RU, "options": RU_LABELS},
        })
    );
}
