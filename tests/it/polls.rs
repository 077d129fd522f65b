//! The vote service (`birge polls serve`) against the real binary on 127.0.0.1: poll bodies,
//! votes and their refusals, no-JS form posts and the results page, origins, CORS and rate
//! limits, parallel voters, a crash, signals, and results read back by the CLI and a build.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use scraper::Html;
use serde_json::{Value, json};

use super::http::{Response, VoteService, cookie, get, post_json, request};
use super::util::{Fixture, Page, SITE_YAML, stored_voters};

const QUESTION: &str = "When was the First Republican Forum of Mothers Council held?";
const LABELS: [&str; 3] = ["September 7, 2011", "April 24, 2013", "November 13, 2014"];

const QUIZ_YAML: &str = "question: Which city is the capital of Kazakhstan?\noptions: [Almaty, Astana, Shymkent]\nkind: quiz\nanswer: 1\n";
const MULTIPLE_YAML: &str =
    "question: Which topics interest you?\noptions: [Culture, Sport, Science]\nkind: multiple\n";
const SINGLE_YAML: &str = "question: Did you attend?\noptions: [Yes, No]\n";

/// The fixture site with one poll of every kind and state besides `mothers-forum`.
pub(super) fn site() -> Fixture {
    let site = Fixture::new();
    site.file("content/polls/capital-quiz.yaml", QUIZ_YAML)
        .file(
            "content/polls/old-quiz.yaml",
            &format!("{QUIZ_YAML}opens: 2020-03-01\ncloses: 2020-04-30\n"),
        )
        .file("content/polls/topics.yaml", MULTIPLE_YAML)
        .file(
            "content/polls/closed-poll.yaml",
            &format!("{SINGLE_YAML}opens: 2020-03-01\ncloses: 2020-04-30\n"),
        )
        .file(
            "content/polls/future-poll.yaml",
            &format!("{SINGLE_YAML}opens: 2099-01-01\n"),
        );
    site
}

fn db(site: &Fixture) -> PathBuf {
    site.root().join("votes.sqlite")
}

fn serve(site: &Fixture, extra: &[&str]) -> VoteService {
    VoteService::start(site.root(), &db(site), extra)
}

fn vote(service: &VoteService, id: &str, headers: &[(&str, &str)], body: &str) -> Response {
    post_json(
        &service.addr,
        &format!("/api/polls/{id}/vote"),
        headers,
        body,
    )
}

fn form_post(service: &VoteService, id: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    request(
        &service.addr,
        "POST",
        &format!("/api/polls/{id}/vote"),
        &all,
        body.as_bytes(),
    )
    .expect("POST answered")
}

fn option(label: &str, votes: u64, percent: f64) -> Value {
    json!({"label": label, "votes": votes, "percent": percent})
}

/// Asserts a response's status and JSON `error`, showing the body when they differ.
fn assert_error(response: &Response, status: u16, error: &str) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    assert_eq!(body["error"], error, "{body}");
    body
}

/// The value of `name` in a URL's query string, decoded.
fn query_param(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn html(response: &Response) -> Page {
    Page(Html::parse_document(&response.text()))
}

fn signal(service: &VoteService, signal: i32) {
    // SAFETY: sending a signal to our own child process, which has not been waited for.
    let sent = unsafe { libc::kill(service.child.id() as i32, signal) };
    assert_eq!(sent, 0, "the signal was sent");
}

#[test]
fn get_answers_the_poll_body() {
    let site = site();
    let service = serve(&site, &[]);
    let response = get(&service.addr, "/api/polls/mothers-forum", &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let options: Vec<Value> = LABELS.iter().map(|l| option(l, 0, 0.0)).collect();
    assert_eq!(
        response.json(),
        json!({
            "id": "mothers-forum",
            "question": QUESTION,
            "kind": "single",
            "state": "open",
            "total": 0,
            "options": options,
        })
    );
    let upcoming = get(&service.addr, "/api/polls/future-poll", &[]).json();
    assert_eq!(upcoming["state"], "upcoming");
    assert_eq!(upcoming["kind"], "single");
    let multiple = get(&service.addr, "/api/polls/topics", &[]).json();
    assert_eq!(multiple["kind"], "multiple");
    assert_eq!(multiple["options"].as_array().unwrap().len(), 3);
}

#[test]
fn quiz_answer_only_once_voted_or_closed() {
    let site = site();
    quiz_answer_only_once_voted_or_closed_on(&site, &db(&site));
}

/// The test above on the store at `db` (a SQLite file or a PostgreSQL URL).
pub(super) fn quiz_answer_only_once_voted_or_closed_on(site: &Fixture, db: &Path) {
    let service = VoteService::start(site.root(), db, &[]);
    let path = "/api/polls/capital-quiz";
    let before = get(&service.addr, path, &[]).json();
    assert_eq!(before["kind"], "quiz");
    assert_eq!(before["state"], "open");
    assert!(before.get("answer").is_none(), "{before}");
    // A well-formed voter id that never voted does not reveal it either.
    let stranger = cookie(&"0".repeat(32));
    let forged = get(&service.addr, path, &[("Cookie", &stranger)]).json();
    assert!(forged.get("answer").is_none(), "{forged}");

    let voted = vote(&service, "capital-quiz", &[], r#"{"option": 0}"#);
    assert_eq!(voted.status, 200, "{}", voted.text());
    assert_eq!(voted.json()["answer"], 1);
    let voter = cookie(&voted.voter_cookie().expect("a voter cookie"));
    let after = get(&service.addr, path, &[("Cookie", &voter)]).json();
    assert_eq!(after["answer"], 1, "{after}");
    assert_eq!(after["total"], 1);
    assert_eq!(after["options"][0], option("Almaty", 1, 100.0));
    let someone_else = get(&service.addr, path, &[]).json();
    assert!(someone_else.get("answer").is_none(), "{someone_else}");

    let closed = get(&service.addr, "/api/polls/old-quiz", &[]).json();
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["answer"], 1, "{closed}");
}

#[test]
fn unknown_and_hostile_ids_are_404_json() {
    let site = site();
    let service = serve(&site, &[]);
    let long = "a".repeat(4000);
    let ids = [
        "no-such-poll",
        "..%2F..%2Fetc%2Fpasswd",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "'%20OR%201=1%20--",
        "mothers-forum%00",
        "mothers-forum'%3B%20DROP%20TABLE%20votes%3B--",
        &long,
    ];
    for id in ids {
        let body = get(&service.addr, &format!("/api/polls/{id}"), &[]);
        assert_error(&body, 404, "unknown_poll");
        let results = get(&service.addr, &format!("/api/polls/{id}/results"), &[]);
        assert_error(&results, 404, "unknown_poll");
        let voted = vote(&service, id, &[], r#"{"option": 0}"#);
        assert_error(&voted, 404, "unknown_poll");
    }
    // Unencoded dots are not a poll id at all, and still no file is read.
    let dots = get(&service.addr, "/api/polls/../../etc/passwd", &[]);
    assert_error(&dots, 404, "not_found");
    // Not UTF-8, or longer than any server takes: refused, never a server error.
    let huge = "a".repeat(70_000);
    for id in ["%FF%FE", huge.as_str()] {
        let response = get(&service.addr, &format!("/api/polls/{id}"), &[]);
        assert!(
            (400..500).contains(&response.status),
            "{} for {}...",
            response.status,
            &id[..8]
        );
    }
    // The store is untouched and the service still answers.
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
    assert_eq!(poll["total"], 0);
}

#[test]
fn a_vote_counts_once_per_reader() {
    let site = site();
    a_vote_counts_once_per_reader_on(&site, &db(&site));
}

/// The test above on the store at `db` (a SQLite file or a PostgreSQL URL).
pub(super) fn a_vote_counts_once_per_reader_on(site: &Fixture, db: &Path) {
    let service = VoteService::start(site.root(), db, &[]);
    let first = vote(&service, "mothers-forum", &[], r#"{"option": 1}"#);
    assert_eq!(first.status, 200, "{}", first.text());
    let set_cookie = first.header("set-cookie").expect("a Set-Cookie header");
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    for expected in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attributes.contains(&expected), "{set_cookie}");
    }
    assert!(!attributes.contains(&"Secure"), "plain http: {set_cookie}");
    let voter = first.voter_cookie().expect("a voter id");
    assert_eq!(voter.len(), 32, "{voter}");
    assert!(voter.bytes().all(|b| b.is_ascii_hexdigit()), "{voter}");
    let counted = json!({
        "id": "mothers-forum",
        "question": QUESTION,
        "kind": "single",
        "state": "open",
        "total": 1,
        "options": [option(LABELS[0], 0, 0.0), option(LABELS[1], 1, 100.0), option(LABELS[2], 0, 0.0)],
    });
    assert_eq!(first.json(), counted);

    let again = vote(
        &service,
        "mothers-forum",
        &[("Cookie", &cookie(&voter))],
        r#"{"option": 2}"#,
    );
    let refused = assert_error(&again, 409, "already_voted");
    assert_eq!(refused["poll"], counted, "the second vote changed nothing");
    assert_eq!(again.voter_cookie(), None, "the reader keeps their id");

    let other = vote(&service, "mothers-forum", &[], r#"{"option": 2}"#);
    assert_eq!(other.status, 200, "{}", other.text());
    assert_ne!(other.voter_cookie(), Some(voter.clone()));
    let now = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
    assert_eq!(now["total"], 2);
    assert_eq!(
        now["options"],
        json!([
            option(LABELS[0], 0, 0.0),
            option(LABELS[1], 1, 50.0),
            option(LABELS[2], 1, 50.0)
        ])
    );
}

#[test]
fn bad_options_are_422() {
    let site = site();
    let service = serve(&site, &[]);
    for body in [
        r#"{"option": 3}"#,
        r#"{"option": -1}"#,
        r#"{"option": "1"}"#,
        r#"{"option": 1.5}"#,
        r#"{"option": null}"#,
        r#"{"options": [0, 1]}"#,
        r#"{"option": 0, "options": [1]}"#,
        r#"{}"#,
        r#"[1]"#,
    ] {
        let response = vote(&service, "mothers-forum", &[], body);
        assert_eq!(response.status, 422, "{body}: {}", response.text());
        assert_eq!(response.json(), json!({"error": "bad_option"}), "{body}");
    }
    for body in [
        r#"{"options": []}"#,
        r#"{"options": [0, 0]}"#,
        r#"{"options": [0, 3]}"#,
        r#"{"options": [0, "2"]}"#,
    ] {
        let response = vote(&service, "topics", &[], body);
        assert_eq!(response.status, 422, "{body}: {}", response.text());
        assert_eq!(response.json(), json!({"error": "bad_option"}), "{body}");
    }
    let response = vote(&service, "capital-quiz", &[], r#"{"options": [0, 1]}"#);
    assert_error(&response, 422, "bad_option");
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
    assert_eq!(poll["total"], 0, "nothing was counted");
}

#[test]
fn multiple_poll_counts_each_option() {
    let site = site();
    multiple_poll_counts_each_option_on(&site, &db(&site));
}

/// The test above on the store at `db` (a SQLite file or a PostgreSQL URL).
pub(super) fn multiple_poll_counts_each_option_on(site: &Fixture, db: &Path) {
    let service = VoteService::start(site.root(), db, &[]);
    let first = vote(&service, "topics", &[], r#"{"options": [2, 0]}"#);
    assert_eq!(first.status, 200, "{}", first.text());
    let body = first.json();
    assert_eq!(body["kind"], "multiple");
    assert_eq!(body["total"], 1);
    assert_eq!(
        body["options"],
        json!([
            option("Culture", 1, 100.0),
            option("Sport", 0, 0.0),
            option("Science", 1, 100.0)
        ])
    );
    let second = vote(&service, "topics", &[], r#"{"options": [1]}"#);
    assert_eq!(second.status, 200, "{}", second.text());
    let body = second.json();
    assert_eq!(body["total"], 2, "readers, not options");
    assert_eq!(
        body["options"],
        json!([
            option("Culture", 1, 50.0),
            option("Sport", 1, 50.0),
            option("Science", 1, 50.0)
        ])
    );
}

#[test]
fn closed_and_upcoming_polls_refuse_votes() {
    let site = site();
    let service = serve(&site, &[]);
    let closed = vote(&service, "closed-poll", &[], r#"{"option": 0}"#);
    let body = assert_error(&closed, 409, "closed");
    assert_eq!(body["poll"]["id"], "closed-poll");
    assert_eq!(body["poll"]["state"], "closed");
    assert_eq!(body["poll"]["total"], 0);
    let quiz = vote(&service, "old-quiz", &[], r#"{"option": 0}"#);
    let body = assert_error(&quiz, 409, "closed");
    assert_eq!(body["poll"]["answer"], 1, "a closed quiz shows its answer");

    let upcoming = vote(&service, "future-poll", &[], r#"{"option": 0}"#);
    let body = assert_error(&upcoming, 409, "not_open");
    assert_eq!(body["poll"]["id"], "future-poll");
    assert_eq!(body["poll"]["state"], "upcoming");
    assert_eq!(body["poll"]["total"], 0);
    for id in ["closed-poll", "future-poll"] {
        let poll = get(&service.addr, &format!("/api/polls/{id}"), &[]).json();
        assert_eq!(poll["total"], 0, "{id}");
    }
}

#[test]
fn malformed_mistyped_and_oversized_bodies() {
    let site = site();
    let service = serve(&site, &["--max-body", "64"]);
    let path = "/api/polls/mothers-forum/vote";
    for body in [r#"{"option": 1"#, "option=1", ""] {
        let response = vote(&service, "mothers-forum", &[], body);
        assert_eq!(response.status, 400, "{body:?}: {}", response.text());
    }
    let plain = request(
        &service.addr,
        "POST",
        path,
        &[("Content-Type", "text/plain")],
        br#"{"option": 1}"#,
    )
    .unwrap();
    assert_eq!(plain.status, 415, "{}", plain.text());
    let untyped = request(&service.addr, "POST", path, &[], br#"{"option": 1}"#).unwrap();
    assert_eq!(untyped.status, 415, "{}", untyped.text());

    let padding = " ".repeat(100);
    let large = vote(
        &service,
        "mothers-forum",
        &[],
        &format!(r#"{{"option": 1{padding}}}"#),
    );
    assert_error(&large, 413, "too_large");
    let form = form_post(
        &service,
        "mothers-forum",
        &[],
        &format!("option=1&return_to=%2F{}", "a".repeat(100)),
    );
    assert_error(&form, 413, "too_large");
    let fits = vote(&service, "mothers-forum", &[], r#"{"option": 1}"#);
    assert_eq!(fits.status, 200, "{}", fits.text());
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
    assert_eq!(poll["total"], 1, "only the one good vote counted");
}

#[test]
fn cross_site_posts_are_refused() {
    let site = site();
    let service = serve(&site, &[]);
    let evil = vote(
        &service,
        "mothers-forum",
        &[("Origin", "https://evil.example")],
        r#"{"option": 0}"#,
    );
    assert_error(&evil, 403, "cross_site");
    assert_eq!(evil.header("access-control-allow-origin"), None);
    let fetch = vote(
        &service,
        "mothers-forum",
        &[("Sec-Fetch-Site", "cross-site")],
        r#"{"option": 0}"#,
    );
    assert_error(&fetch, 403, "cross_site");
    let evil_form = form_post(
        &service,
        "mothers-forum",
        &[("Origin", "https://evil.example")],
        "option=0&return_to=%2F",
    );
    assert_error(&evil_form, 403, "cross_site");
    let null = vote(
        &service,
        "mothers-forum",
        &[("Origin", "null")],
        r#"{"option": 0}"#,
    );
    assert_error(&null, 403, "cross_site");
    let own_origin = format!("http://{}", service.addr);
    let fetched_cross_site = vote(
        &service,
        "mothers-forum",
        &[("Origin", &own_origin), ("Sec-Fetch-Site", "cross-site")],
        r#"{"option": 0}"#,
    );
    assert_error(&fetched_cross_site, 403, "cross_site");
    let preflight = request(
        &service.addr,
        "OPTIONS",
        "/api/polls/mothers-forum/vote",
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .unwrap();
    let read = get(
        &service.addr,
        "/api/polls/mothers-forum",
        &[("Origin", "https://evil.example")],
    );
    for answer in [&evil, &preflight, &read] {
        let cors: Vec<_> = answer
            .headers
            .iter()
            .filter(|(name, _)| name.to_ascii_lowercase().starts_with("access-control-"))
            .collect();
        assert!(cors.is_empty(), "no CORS without --allow-origin: {cors:?}");
    }
    assert_eq!(
        get(&service.addr, "/api/polls/mothers-forum", &[]).json()["total"],
        0
    );

    let origin = format!("http://{}", service.addr);
    let same = vote(
        &service,
        "mothers-forum",
        &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
        r#"{"option": 0}"#,
    );
    assert_eq!(same.status, 200, "{}", same.text());
    let same_site = vote(
        &service,
        "mothers-forum",
        &[("Sec-Fetch-Site", "same-origin")],
        r#"{"option": 0}"#,
    );
    assert_eq!(same_site.status, 200, "{}", same_site.text());
    assert_eq!(
        get(&service.addr, "/api/polls/mothers-forum", &[]).json()["total"],
        2
    );
}

#[test]
fn allowed_origins_get_cors() {
    let site = site();
    let service = serve(&site, &["--allow-origin", "https://partner.example"]);
    let partner = "https://partner.example";
    let path = "/api/polls/mothers-forum/vote";
    let preflight = request(
        &service.addr,
        "OPTIONS",
        path,
        &[
            ("Origin", partner),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .unwrap();
    // tower-http's CORS layer answers a preflight with 200 and no body.
    assert_eq!(preflight.status, 200, "{}", preflight.text());
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(partner)
    );
    let methods = preflight
        .header("access-control-allow-methods")
        .expect("allowed methods");
    assert!(methods.split(',').any(|m| m.trim() == "POST"), "{methods}");
    let headers = preflight
        .header("access-control-allow-headers")
        .expect("allowed headers");
    assert!(
        headers
            .split(',')
            .any(|h| h.trim().eq_ignore_ascii_case("content-type")),
        "{headers}"
    );

    let voted = vote(
        &service,
        "mothers-forum",
        &[("Origin", partner), ("Sec-Fetch-Site", "cross-site")],
        r#"{"option": 2}"#,
    );
    assert_eq!(voted.status, 200, "{}", voted.text());
    assert_eq!(voted.header("access-control-allow-origin"), Some(partner));
    assert_eq!(
        voted.header("access-control-allow-credentials"),
        Some("true")
    );
    let read = get(
        &service.addr,
        "/api/polls/mothers-forum",
        &[("Origin", partner)],
    );
    assert_eq!(read.header("access-control-allow-origin"), Some(partner));
    assert_eq!(read.json()["total"], 1);

    let evil_preflight = request(
        &service.addr,
        "OPTIONS",
        path,
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .unwrap();
    // Answered without Access-Control-Allow-Origin, which is what makes a browser refuse.
    assert_eq!(evil_preflight.header("access-control-allow-origin"), None);
    let evil_read = get(
        &service.addr,
        "/api/polls/mothers-forum",
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(evil_read.status, 200);
    assert_eq!(evil_read.header("access-control-allow-origin"), None);
    let evil = vote(
        &service,
        "mothers-forum",
        &[("Origin", "https://evil.example")],
        r#"{"option": 2}"#,
    );
    assert_error(&evil, 403, "cross_site");
}

/// Asserts a 429 with a `Retry-After` of at most a minute's share of one vote.
fn assert_rate_limited(response: &Response, per_minute: u64) {
    assert_error(response, 429, "rate_limited");
    let retry = response
        .header("retry-after")
        .expect("a Retry-After header");
    let seconds: u64 = retry.parse().unwrap_or_else(|_| panic!("{retry}"));
    assert!((1..=60 / per_minute).contains(&seconds), "{seconds}");
}

#[test]
fn rate_limit_counts_the_peer_not_its_forwarded_for() {
    let site = site();
    let service = serve(&site, &["--rate-limit", "3"]);
    for n in 1..=3 {
        let forwarded = format!("198.51.100.{n}");
        let response = vote(
            &service,
            "mothers-forum",
            &[("X-Forwarded-For", &forwarded)],
            r#"{"option": 0}"#,
        );
        assert_eq!(response.status, 200, "vote {n}: {}", response.text());
    }
    let fourth = vote(
        &service,
        "mothers-forum",
        &[("X-Forwarded-For", "198.51.100.4")],
        r#"{"option": 0}"#,
    );
    assert_rate_limited(&fourth, 3);
    let plain = vote(&service, "mothers-forum", &[], r#"{"option": 0}"#);
    assert_rate_limited(&plain, 3);
    // Reading is not limited.
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]);
    assert_eq!(poll.status, 200);
    assert_eq!(poll.json()["total"], 3);
}

#[test]
fn trusted_proxy_forwarded_for_gets_its_own_bucket() {
    let site = site();
    let service = serve(&site, &["--rate-limit", "3", "--trust-proxy", "127.0.0.1"]);
    for client in ["198.51.100.7", "203.0.113.9"] {
        for n in 1..=3 {
            let response = vote(
                &service,
                "mothers-forum",
                &[("X-Forwarded-For", client)],
                r#"{"option": 0}"#,
            );
            assert_eq!(
                response.status,
                200,
                "{client} vote {n}: {}",
                response.text()
            );
        }
        let fourth = vote(
            &service,
            "mothers-forum",
            &[("X-Forwarded-For", client)],
            r#"{"option": 0}"#,
        );
        assert_rate_limited(&fourth, 3);
    }
    // The proxy's own requests (no header) are a third bucket.
    let own = vote(&service, "mothers-forum", &[], r#"{"option": 0}"#);
    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(
        get(&service.addr, "/api/polls/mothers-forum", &[]).json()["total"],
        7
    );
}

#[test]
fn form_post_redirects_to_the_results_page() {
    let site = site();
    let service = serve(&site, &[]);
    let posted = form_post(
        &service,
        "mothers-forum",
        &[],
        "option=1&return_to=%2Fnews%2F2020%2F03%2Fa%2F",
    );
    assert_eq!(posted.status, 303, "{}", posted.text());
    let location = posted.header("location").expect("a Location").to_string();
    assert!(
        location.starts_with("/api/polls/mothers-forum/results?"),
        "{location}"
    );
    assert_eq!(
        query_param(&location, "return_to").as_deref(),
        Some("/news/2020/03/a/")
    );
    let voter = posted.voter_cookie().expect("a voter cookie");

    let page = get(&service.addr, &location, &[("Cookie", &cookie(&voter))]);
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        page.header("content-type")
    );
    let page = html(&page);
    assert_eq!(page.text("h1"), QUESTION);
    assert_eq!(page.attrs("ol.results", "data-poll"), ["mothers-forum"]);
    assert_eq!(page.attrs("ol.results", "data-total"), ["1"]);
    assert_eq!(page.texts("ol.results li .label"), LABELS);
    assert_eq!(
        page.texts("ol.results li .count"),
        ["0 votes · 0%", "1 vote · 100%", "0 votes · 0%"]
    );
    assert_eq!(page.text(".notice"), "Thank you, your vote was counted.");
    assert_eq!(page.attrs("a[href]", "href"), ["/news/2020/03/a/"]);
    // The notice is in the URL: without this reader's cookie it says nothing.
    let forged = html(&get(&service.addr, &location, &[]));
    assert_eq!(forged.count(".notice"), 0);
    assert_eq!(forged.attrs("ol.results", "data-total"), ["1"]);

    // The same reader again: told so, nothing counted twice.
    let again = form_post(
        &service,
        "mothers-forum",
        &[("Cookie", &cookie(&voter))],
        "option=2&return_to=%2Fnews%2F2020%2F03%2Fa%2F",
    );
    assert_eq!(again.status, 303);
    let location = again.header("location").unwrap();
    let page = html(&get(
        &service.addr,
        location,
        &[("Cookie", &cookie(&voter))],
    ));
    assert_eq!(page.text(".notice"), "You have already voted in this poll.");
    assert_eq!(page.attrs("ol.results", "data-total"), ["1"]);

    // A multiple poll takes repeated options; a form without a valid one counts nothing.
    let multiple = form_post(&service, "topics", &[], "option=0&option=2&return_to=%2F");
    assert_eq!(multiple.status, 303);
    let poll = get(&service.addr, "/api/polls/topics", &[]).json();
    assert_eq!(poll["total"], 1);
    assert_eq!(poll["options"][0]["votes"], 1);
    assert_eq!(poll["options"][2]["votes"], 1);
    let bad = form_post(&service, "mothers-forum", &[], "option=x&return_to=%2F");
    assert_eq!(bad.status, 303);
    let page = html(&get(&service.addr, bad.header("location").unwrap(), &[]));
    assert_eq!(page.text(".notice"), "Please choose one of the options.");
    assert_eq!(page.attrs("ol.results", "data-total"), ["1"]);
}

#[test]
fn results_page_links_back_only_to_site_paths() {
    let site = site();
    let service = serve(&site, &[]);
    for bad in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let encoded: String = form_urlencoded::byte_serialize(bad.as_bytes()).collect();
        let posted = form_post(
            &service,
            "mothers-forum",
            &[],
            &format!("option=0&return_to={encoded}"),
        );
        assert_eq!(posted.status, 303, "{bad}: {}", posted.text());
        let location = posted.header("location").unwrap();
        assert_eq!(
            query_param(location, "return_to").as_deref(),
            Some("/polls/mothers-forum/"),
            "{bad}"
        );
        let page = html(&get(&service.addr, location, &[]));
        assert_eq!(
            page.attrs("a[href]", "href"),
            ["/polls/mothers-forum/"],
            "{bad}"
        );
        // Asked for directly, the page does not follow it either.
        let direct = get(
            &service.addr,
            &format!("/api/polls/mothers-forum/results?return_to={encoded}"),
            &[],
        );
        assert_eq!(direct.status, 200);
        assert_eq!(
            html(&direct).attrs("a[href]", "href"),
            ["/polls/mothers-forum/"],
            "{bad}"
        );
    }
    let hostile = "/news/\"><script>alert(1)</script>";
    let encoded: String = form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
    let page = html(&get(
        &service.addr,
        &format!("/api/polls/mothers-forum/results?return_to={encoded}"),
        &[],
    ));
    assert_eq!(page.count("script"), 0, "the path stays an attribute");
    assert_eq!(page.attrs("a[href]", "href"), [hostile]);
}

#[test]
fn results_page_shows_a_quiz_answer_only_once_voted() {
    let site = site();
    let service = serve(&site, &[]);
    let results = "/api/polls/capital-quiz/results?return_to=%2F";
    let page = html(&get(&service.addr, results, &[]));
    assert_eq!(page.count("ol.results li"), 3);
    assert_eq!(page.count("li.right"), 0);
    // Claiming a vote in the URL, with a voter id that never voted, shows nothing more.
    let stranger = cookie(&"ab".repeat(16));
    for notice in ["counted", "already_voted"] {
        let page = html(&get(
            &service.addr,
            &format!("{results}&notice={notice}"),
            &[("Cookie", &stranger)],
        ));
        assert_eq!(page.count("li.right"), 0, "notice={notice}");
    }

    let posted = form_post(&service, "capital-quiz", &[], "option=0&return_to=%2F");
    assert_eq!(posted.status, 303);
    let voter = cookie(&posted.voter_cookie().expect("a voter cookie"));
    let location = posted.header("location").unwrap();
    let page = html(&get(&service.addr, location, &[("Cookie", &voter)]));
    assert_eq!(page.texts("li.right .label"), ["Astana (Right answer)"]);
    let closed = html(&get(
        &service.addr,
        "/api/polls/old-quiz/results?return_to=%2F",
        &[],
    ));
    assert_eq!(closed.texts("li.right .label"), ["Astana (Right answer)"]);
}

/// Votes in `mothers-forum` straight over a socket, for when the service may vanish
/// mid-answer: `Some((status, voter id))` for a whole answer, `None` otherwise.
fn vote_raw(addr: &str, option: usize) -> Option<(u16, Option<String>)> {
    let body = format!("{{\"option\": {option}}}");
    let head = format!(
        "POST /api/polls/mothers-forum/vote HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream.write_all(head.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    // An answer cut short is no answer.
    serde_json::from_str::<Value>(body).ok()?;
    let voter = head.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        let value = value.trim().strip_prefix("birge_voter=")?;
        name.eq_ignore_ascii_case("set-cookie")
            .then(|| value.split(';').next().unwrap_or("").to_string())
    });
    Some((status, voter))
}

#[test]
fn parallel_voters_are_all_stored() {
    const VOTERS: usize = 300;
    let site = Fixture::new();
    let service = serve(&site, &["--rate-limit", "0", "--poll-quota", "0"]);
    let barrier = Arc::new(Barrier::new(VOTERS));
    let threads: Vec<_> = (0..VOTERS)
        .map(|i| {
            let addr = service.addr.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let body = format!("{{\"option\": {}}}", i % 3);
                match request(
                    &addr,
                    "POST",
                    "/api/polls/mothers-forum/vote",
                    &[("Content-Type", "application/json")],
                    body.as_bytes(),
                ) {
                    Ok(response) => (response.status, response.voter_cookie()),
                    Err(_) => (0, None),
                }
            })
        })
        .collect();
    let answers: Vec<(u16, Option<String>)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let accepted: HashSet<String> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, voter)| voter.clone().expect("a counted vote sets a cookie"))
        .collect();
    let refused: Vec<u16> = answers
        .iter()
        .map(|(s, _)| *s)
        .filter(|&s| s != 200)
        .collect();
    assert!(
        refused.is_empty(),
        "not every voter was answered 200: {refused:?}"
    );
    assert_eq!(accepted.len(), VOTERS, "every voter got an id of their own");

    let out = site.birge(&["polls", "export", "--db", db(&site).to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let export: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        export,
        json!({"polls": {"mothers-forum": {"total": VOTERS, "options": [100, 100, 100]}}})
    );
    assert_eq!(stored_voters(&db(&site), "mothers-forum"), accepted);
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
    assert_eq!(poll["total"], VOTERS);
}

#[test]
fn acknowledged_votes_survive_a_crash() {
    const THREADS: usize = 8;
    const MAX_VOTES_PER_THREAD: usize = 20_000;
    let site = Fixture::new();
    let mut service = serve(&site, &["--rate-limit", "0", "--poll-quota", "0"]);
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let addr = service.addr.clone();
            let stop = Arc::clone(&stop);
            let answered = Arc::clone(&answered);
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for i in 0..MAX_VOTES_PER_THREAD {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    match vote_raw(&addr, (t + i) % 3) {
                        Some((200, voter)) => {
                            acknowledged.push(voter.expect("a counted vote sets a cookie"));
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        Some((status, _)) => panic!("vote answered {status}"),
                        // The service is gone.
                        None => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::Relaxed) < 1000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    service.kill();
    stop.store(true, Ordering::Relaxed);
    let acknowledged: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert!(
        !acknowledged.is_empty(),
        "no vote was answered before the crash"
    );

    let restarted = serve(&site, &["--rate-limit", "0", "--poll-quota", "0"]);
    let stored = stored_voters(&db(&site), "mothers-forum");
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|v| !stored.contains(*v))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged votes lost",
        lost.len(),
        acknowledged.len()
    );
    let poll = get(&restarted.addr, "/api/polls/mothers-forum", &[]).json();
    let total = poll["total"].as_u64().unwrap();
    assert!(
        total >= acknowledged.len() as u64,
        "{total} < {}",
        acknowledged.len()
    );
    assert_eq!(total, stored.len() as u64);
    let again = vote(
        &restarted,
        "mothers-forum",
        &[("Cookie", &cookie(&acknowledged[0]))],
        r#"{"option": 0}"#,
    );
    assert_error(&again, 409, "already_voted");
}

#[test]
fn results_count_one_vote_in_the_singular() {
    let site = Fixture::new();
    let _service = {
        let service = serve(&site, &[]);
        let response = vote(&service, "mothers-forum", &[], r#"{"option": 1}"#);
        assert_eq!(response.status, 200, "{}", response.text());
        service
    };
    let db = db(&site);
    let out = site.birge(&["polls", "results", "--db", db.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some(format!("mothers-forum: {QUESTION} (1 vote)").as_str())
    );
}

#[test]
fn results_and_export_feed_a_build() {
    let site = Fixture::new();
    let mut service = serve(&site, &[]);
    for choice in [0, 0, 2] {
        let response = vote(
            &service,
            "mothers-forum",
            &[],
            &format!("{{\"option\": {choice}}}"),
        );
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let db = db(&site);
    let db_arg = db.to_str().unwrap();

    // Read while the service runs, as an operator would.
    let out = site.birge(&["polls", "results", "--db", db_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], format!("mothers-forum: {QUESTION} (3 votes)"));
    let rows: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let expected = [("2", "66.7%"), ("0", "0.0%"), ("1", "33.3%")];
    assert_eq!(rows.len(), 3, "{stdout}");
    for ((row, (votes, percent)), label) in rows.iter().zip(expected).zip(LABELS) {
        assert_eq!(row[0], votes, "{stdout}");
        assert_eq!(row[1], percent, "{stdout}");
        assert_eq!(row[2..].join(" "), label, "{stdout}");
    }

    let out = site.birge(&["polls", "export", "--db", db_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let export: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        export,
        json!({"polls": {"mothers-forum": {"total": 3, "options": [2, 0, 1]}}})
    );
    site.bytes("results.json", &out.stdout);

    // One more vote after the export, so the two sources differ.
    let response = vote(&service, "mothers-forum", &[], r#"{"option": 1}"#);
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(service.terminate().success());

    let with_database = |file: &str| format!("{SITE_YAML}  database: {file}\n");
    site.file("site.yaml", &with_database("results.json"));
    site.build(&[]);
    let page = site.html("polls/mothers-forum/index.html");
    let totals = page.attrs("form[data-poll=mothers-forum]", "data-total");
    assert!(!totals.is_empty());
    assert!(totals.iter().all(|t| t == "3"), "{totals:?}");

    site.file("site.yaml", &with_database("votes.sqlite"));
    site.build(&[]);
    let page = site.html("polls/mothers-forum/index.html");
    let totals = page.attrs("form[data-poll=mothers-forum]", "data-total");
    assert!(!totals.is_empty());
    assert!(totals.iter().all(|t| t == "4"), "{totals:?}");
}

#[test]
fn sighup_reloads_polls_and_sigterm_stops() {
    let site = Fixture::new();
    let mut service = serve(&site, &[]);
    // A reload asked for the moment the service says it listens must not end it.
    signal(&service, libc::SIGHUP);
    let path = "/api/polls/new-poll";
    let deadline = Instant::now() + Duration::from_secs(10);
    let reloaded = |service: &VoteService| {
        service
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("reloaded "))
            .count()
    };
    while reloaded(&service) < 1 && Instant::now() < deadline {
        assert_eq!(
            service.child.try_wait().unwrap(),
            None,
            "the service ended on SIGHUP: {:?}",
            service.log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(reloaded(&service), 1, "{:?}", service.log.lock().unwrap());
    assert_error(&get(&service.addr, path, &[]), 404, "unknown_poll");

    site.file("content/polls/new-poll.yaml", SINGLE_YAML);
    signal(&service, libc::SIGHUP);
    let mut status = 0;
    while Instant::now() < deadline {
        status = get(&service.addr, path, &[]).status;
        if status == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(status, 200, "{:?}", service.log.lock().unwrap());
    let poll = get(&service.addr, path, &[]).json();
    assert_eq!(poll["question"], "Did you attend?");
    let voted = vote(&service, "new-poll", &[], r#"{"option": 1}"#);
    assert_eq!(voted.status, 200, "{}", voted.text());
    assert_eq!(
        get(&service.addr, "/api/polls/mothers-forum", &[]).status,
        200,
        "the old polls stay"
    );

    // A broken poll file keeps the definitions the service has.
    site.file("content/polls/broken.yaml", "question: [\n");
    signal(&service, libc::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(10);
    let failed = |service: &VoteService| {
        service
            .log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("keeping the old ones"))
    };
    while !failed(&service) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(failed(&service), "{:?}", service.log.lock().unwrap());
    assert_eq!(get(&service.addr, path, &[]).status, 200);

    let status = service.terminate();
    assert!(status.success(), "{status:?}");
    assert_eq!(
        stored_voters(&db(&site), "new-poll").len(),
        1,
        "the vote is in the store"
    );
}

#[test]
fn a_poll_takes_votes_all_through_its_closing_day() {
    let almaty = jiff::tz::TimeZone::get("Asia/Almaty").unwrap();
    let today = || {
        jiff::Timestamp::now()
            .to_zoned_datetime(almaty.clone())
            .date()
    };
    let site = Fixture::new();
    // Twice at most: if midnight passes during the vote, the day is no longer the poll's.
    for _ in 0..2 {
        let day = today();
        site.file(
            "content/polls/today.yaml",
            &format!("{SINGLE_YAML}opens: {day}\ncloses: {day}\n"),
        );
        let service = serve(&site, &[]);
        let response = vote(&service, "today", &[], r#"{"option": 0}"#);
        if today() != day {
            continue;
        }
        assert_eq!(response.status, 200, "{day}: {}", response.text());
        assert_eq!(response.json()["state"], "open");
        return;
    }
    panic!("midnight passed twice");
}

/// `birge polls definitions` for the fixture site, written to `polls.json` beside it.
fn write_definitions(site: &Fixture) -> PathBuf {
    let out = site.birge(&["polls", "definitions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = site.root().join("polls.json");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

#[test]
fn definitions_hold_every_poll_and_every_answer() {
    let site = site();
    let path = write_definitions(&site);
    let index: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let polls = index["polls"].as_array().unwrap();
    let ids: Vec<&str> = polls.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "capital-quiz",
            "closed-poll",
            "future-poll",
            "mothers-forum",
            "old-quiz",
            "topics"
        ]
    );
    assert_eq!(
        polls[0],
        json!({
            "id": "capital-quiz",
            "question": "Which city is the capital of Kazakhstan?",
            "options": ["Almaty", "Astana", "Shymkent"],
            "kind": "quiz",
            "answer": 1,
            "opens": null,
            "closes": null,
            "lang": null,
            "url": "/polls/capital-quiz/",
        })
    );
    assert_eq!(polls[4]["answer"], 1, "closed quizzes too");
    assert_eq!(polls[4]["closes"], "2020-04-30T23:59:59+06:00");
    assert_eq!(polls[3]["question"], QUESTION);
    assert!(polls[3].get("answer").is_none(), "not a quiz");
}

#[test]
fn definitions_are_in_the_sites_timezone() {
    let site = site();
    site.file(
        "site.yaml",
        &SITE_YAML.replace("timezone: Asia/Almaty", "timezone: Europe/Moscow"),
    );
    let path = write_definitions(&site);
    let index: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let old = index["polls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "old-quiz")
        .unwrap()
        .clone();
    assert_eq!(old["opens"], "2020-03-01T00:00:00+03:00");
    assert_eq!(old["closes"], "2020-04-30T23:59:59+03:00");
}

#[test]
fn a_builds_index_publishes_no_open_quizs_answer() {
    let site = site();
    site.build(&[]);
    let index: Value = serde_json::from_str(&site.read("polls/index.json")).unwrap();
    let poll = |id: &str| {
        index["polls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} is in the index"))
            .clone()
    };
    let open = poll("capital-quiz");
    assert_eq!(open["kind"], "quiz");
    assert!(open.get("answer").is_none(), "{open}");
    assert_eq!(
        poll("old-quiz")["answer"],
        1,
        "a closed quiz's answer may show"
    );
    // Nowhere else in the output either: pages, widgets, inline data.
    for file in [
        "polls/capital-quiz/index.html",
        "kk/polls/capital-quiz/index.html",
        "polls/index.html",
    ] {
        let page = site.html(file);
        assert_eq!(page.count(".is-answer, .poll-mark"), 0, "{file}");
    }
    let closed = site.html("polls/old-quiz/index.html");
    assert_eq!(closed.texts(".is-answer label"), ["Astana Right answer"]);
}

#[test]
fn a_quiz_closes_at_the_end_of_its_day_in_the_sites_timezone() {
    // Built while it is still the closing day in Almaty: the answer stays private.
    let almaty = jiff::tz::TimeZone::get("Asia/Almaty").unwrap();
    let site = Fixture::new();
    for _ in 0..2 {
        let day = jiff::Timestamp::now()
            .to_zoned_datetime(almaty.clone())
            .date();
        site.file(
            "content/polls/today.yaml",
            &format!("{QUIZ_YAML}opens: 2020-01-01\ncloses: {day}\n"),
        );
        site.build(&[]);
        let after = jiff::Timestamp::now()
            .to_zoned_datetime(almaty.clone())
            .date();
        if after != day {
            continue;
        }
        let index: Value = serde_json::from_str(&site.read("polls/index.json")).unwrap();
        let quiz = &index["polls"][1];
        assert_eq!(quiz["id"], "today");
        assert!(quiz.get("answer").is_none(), "{quiz}");
        let yesterday = day.yesterday().unwrap();
        site.file(
            "content/polls/today.yaml",
            &format!("{QUIZ_YAML}opens: 2020-01-01\ncloses: {yesterday}\n"),
        );
        site.build(&[]);
        let index: Value = serde_json::from_str(&site.read("polls/index.json")).unwrap();
        assert_eq!(index["polls"][1]["answer"], 1);
        return;
    }
    panic!("midnight passed twice");
}

#[test]
fn definitions_file_serves_quizzes_with_their_answers() {
    let site = site();
    let path = write_definitions(&site);
    // The service reads the file alone: the site's poll files are gone.
    std::fs::remove_dir_all(site.root().join("content/polls")).unwrap();
    let service = serve(&site, &["--polls", path.to_str().unwrap()]);
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]);
    assert_eq!(poll.status, 200, "{}", poll.text());
    assert_eq!(poll.json()["question"], QUESTION);
    let before = get(&service.addr, "/api/polls/capital-quiz", &[]).json();
    assert!(before.get("answer").is_none(), "{before}");
    let voted = vote(&service, "capital-quiz", &[], r#"{"option": 2}"#);
    assert_eq!(voted.status, 200, "{}", voted.text());
    assert_eq!(voted.json()["answer"], 1);
    let voter = cookie(&voted.voter_cookie().expect("a voter cookie"));
    let after = get(
        &service.addr,
        "/api/polls/capital-quiz",
        &[("Cookie", &voter)],
    )
    .json();
    assert_eq!(after["answer"], 1);
    let closed = get(&service.addr, "/api/polls/old-quiz", &[]).json();
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["answer"], 1);
    let upcoming = vote(&service, "future-poll", &[], r#"{"option": 0}"#);
    assert_error(&upcoming, 409, "not_open");
    let voted = vote(&service, "topics", &[], r#"{"options": [0, 1]}"#);
    assert_eq!(voted.status, 200, "{}", voted.text());
}

/// Starts `birge polls serve` for `site` with `extra` flags, expecting it to refuse to start:
/// gives its stderr. A service that starts instead is stopped, and the test fails.
pub fn refused_to_serve(site: &Fixture, extra: &[&str]) -> String {
    let mut child = std::process::Command::new(super::util::BIRGE)
        .args(["polls", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db(site))
        .arg("--root")
        .arg(site.root())
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("birge runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the service started");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    stderr
}

#[test]
fn a_file_without_an_open_quizs_answer_is_refused() {
    let site = site();
    site.build(&[]);
    let index = site.public().join("polls/index.json");
    assert_eq!(
        refused_to_serve(&site, &["--polls", index.to_str().unwrap()]),
        format!(
            "error: {}: the quiz `capital-quiz` has no answer\n  hint: a build's polls/index.json leaves out the answers of open quizzes; give the service the file that `birge polls definitions > polls.json` writes, or --root with the site's folder\n1 problem found\n",
            index.display()
        )
    );
    // Not JSON at all.
    site.file("polls.json", "question: Q?\n");
    let file = site.root().join("polls.json");
    let stderr = refused_to_serve(&site, &["--polls", file.to_str().unwrap()]);
    assert!(
        stderr.contains(
            "is not a poll definitions file (write one with `birge polls definitions > polls.json`)"
        ),
        "{stderr}"
    );
}

#[test]
fn sighup_reloads_a_definitions_file() {
    let site = Fixture::new();
    let path = write_definitions(&site);
    let service = serve(&site, &["--polls", path.to_str().unwrap()]);
    assert_error(
        &get(&service.addr, "/api/polls/capital-quiz", &[]),
        404,
        "unknown_poll",
    );
    // A new poll in the site's folder counts only once the file is written again.
    site.file("content/polls/capital-quiz.yaml", QUIZ_YAML);
    signal(&service, libc::SIGHUP);
    wait_for_log(&service, "reloaded 1 poll definitions");
    assert_error(
        &get(&service.addr, "/api/polls/capital-quiz", &[]),
        404,
        "unknown_poll",
    );
    write_definitions(&site);
    signal(&service, libc::SIGHUP);
    wait_for_log(&service, "reloaded 2 poll definitions");
    let quiz = vote(&service, "capital-quiz", &[], r#"{"option": 1}"#);
    assert_eq!(quiz.status, 200, "{}", quiz.text());
    assert_eq!(quiz.json()["answer"], 1);
    // A file that lost its answers keeps the definitions the service has.
    let index = serde_json::json!({"polls": [{
        "id": "capital-quiz", "question": "Q?", "options": ["a", "b"], "kind": "quiz"
    }]});
    std::fs::write(&path, index.to_string()).unwrap();
    signal(&service, libc::SIGHUP);
    wait_for_log(&service, "keeping the old ones");
    let quiz = get(&service.addr, "/api/polls/capital-quiz", &[]).json();
    assert_eq!(quiz["question"], "Which city is the capital of Kazakhstan?");
}

/// Waits until the service logged a line containing `text`.
fn wait_for_log(service: &VoteService, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if service.log.lock().unwrap().iter().any(|l| l.contains(text)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!(
        "no log line with {text:?}: {:?}",
        service.log.lock().unwrap()
    );
}

/// A reader's id in a store written before ids were hashed.
const OLD_READER: &str = "0123456789abcdef0123456789abcdef";

/// Every stored `(voter, cast_at)` of the SQLite store at `db`.
fn stored_rows(db: &Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT voter, cast_at FROM votes").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn readers_of_an_old_store_stay_counted_after_the_upgrade() {
    let site = Fixture::new();
    let old = rusqlite::Connection::open(db(&site)).unwrap();
    old.execute_batch(&format!(
        "CREATE TABLE votes (poll TEXT NOT NULL, voter TEXT NOT NULL, options TEXT NOT NULL,
             cast_at INTEGER NOT NULL, PRIMARY KEY (poll, voter)) WITHOUT ROWID;
         INSERT INTO votes VALUES ('mothers-forum', '{OLD_READER}', '1', 1585000123);
         PRAGMA user_version = 1;"
    ))
    .unwrap();
    drop(old);
    let reader = [("Cookie", cookie(OLD_READER))];
    let reader: Vec<(&str, &str)> = reader.iter().map(|(n, v)| (*n, v.as_str())).collect();
    for _process in 0..2 {
        // Each process (or a later upgrade) reads the same key from the store.
        let service = serve(&site, &[]);
        let again = vote(&service, "mothers-forum", &reader, r#"{"option": 2}"#);
        let refused = assert_error(&again, 409, "already_voted");
        assert_eq!(refused["poll"]["total"], 1, "{refused}");
        assert_eq!(refused["poll"]["options"][1]["votes"], 1, "{refused}");
    }
    let service = serve(&site, &[]);
    assert_eq!(
        vote(&service, "mothers-forum", &[], r#"{"option": 0}"#).status,
        200
    );
    drop(service);
    let rows = stored_rows(&db(&site));
    assert_eq!(rows.len(), 2);
    for (voter, cast_at) in &rows {
        assert!(voter.len() == 64 && voter != OLD_READER, "{voter}");
        assert_eq!(cast_at % 3600, 0, "cast_at is the hour: {cast_at}");
    }
    assert!(rows.iter().any(|(_, at)| *at == 1584997200), "{rows:?}");
    assert!(stored_voters(&db(&site), "mothers-forum").contains(OLD_READER));
}

#[cfg(unix)]
#[test]
fn a_new_store_is_private_and_keeps_no_cookie() {
    use std::os::unix::fs::PermissionsExt;
    let site = Fixture::new();
    let service = serve(&site, &[]);
    let voted = vote(&service, "mothers-forum", &[], r#"{"option": 0}"#);
    assert_eq!(voted.status, 200, "{}", voted.text());
    let voter = voted.voter_cookie().expect("a voter cookie");
    drop(service);
    let mode = std::fs::metadata(db(&site)).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let rows = stored_rows(&db(&site));
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].0.contains(&voter), "the cookie is stored as it is");
    assert_eq!(rows[0].1 % 3600, 0, "cast_at is the hour: {}", rows[0].1);
}

/// The `Cookie` header of a reader whose vote `response` counted.
fn reader_cookie(response: &Response) -> String {
    assert_eq!(response.status, 200, "{}", response.text());
    cookie(&response.voter_cookie().expect("a counted vote gives an id"))
}

#[test]
fn a_stuffer_uses_up_the_anonymous_quota_and_readers_behind_the_address_still_vote() {
    let site = site();
    let service = serve(&site, &["--rate-limit", "0", "--poll-quota", "3"]);
    // A reader on the shared address voted before, in another poll.
    let reader = reader_cookie(&vote(&service, "topics", &[], r#"{"options": [0]}"#));
    // The stuffer drops the cookie each time: a new reader per vote, until the quota.
    for n in 1..=3 {
        let stuffed = vote(&service, "mothers-forum", &[], r#"{"option": 2}"#);
        assert_eq!(stuffed.status, 200, "vote {n}: {}", stuffed.text());
    }
    let held = vote(&service, "mothers-forum", &[], r#"{"option": 2}"#);
    assert_error(&held, 429, "quota_exceeded");
    assert_eq!(held.voter_cookie(), None, "no id without a counted vote");
    let retry: u64 = held.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry), "until the next day: {retry}");
    // Made-up ids are anonymous too.
    let made_up = cookie("0123456789abcdef0123456789abcdef");
    let forged = vote(
        &service,
        "mothers-forum",
        &[("Cookie", &made_up)],
        r#"{"option": 2}"#,
    );
    assert_error(&forged, 429, "quota_exceeded");
    // Without JavaScript the stuffer gets the results page, still 429.
    let form = form_post(&service, "mothers-forum", &[], "option=2&return_to=%2F");
    assert_eq!(form.status, 429, "{}", form.text());
    assert!(form.header("retry-after").is_some());
    assert!(
        form.text()
            .contains("Too many votes came from your network")
    );
    // The reader votes here, by form as by script; and the quota is per poll.
    let posted = form_post(
        &service,
        "mothers-forum",
        &[("Cookie", &reader)],
        "option=0&return_to=%2F",
    );
    assert_eq!(posted.status, 303, "{}", posted.text());
    assert!(
        posted
            .header("location")
            .unwrap()
            .contains("notice=counted")
    );
    let quiz = vote(&service, "capital-quiz", &[], r#"{"option": 1}"#);
    assert_eq!(quiz.status, 200, "{}", quiz.text());
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
    assert_eq!(poll["total"], 4);
    assert_eq!(poll["options"][0]["votes"], 1);
}

#[test]
fn a_stuffer_uses_up_the_anonymous_rate_and_readers_keep_their_own() {
    let site = site();
    let service = serve(&site, &["--rate-limit", "2", "--poll-quota", "0"]);
    let reader = reader_cookie(&vote(&service, "topics", &[], r#"{"options": [1]}"#));
    assert_eq!(
        vote(&service, "mothers-forum", &[], r#"{"option": 1}"#).status,
        200
    );
    for _ in 0..3 {
        let held = vote(&service, "mothers-forum", &[], r#"{"option": 1}"#);
        assert_rate_limited(&held, 2);
    }
    let own = vote(
        &service,
        "mothers-forum",
        &[("Cookie", &reader)],
        r#"{"option": 0}"#,
    );
    assert_eq!(own.status, 200, "{}", own.text());
    let quiz = vote(
        &service,
        "capital-quiz",
        &[("Cookie", &reader)],
        r#"{"option": 1}"#,
    );
    assert_eq!(quiz.status, 200, "{}", quiz.text());
}

#[test]
fn an_ipv6_client_counts_by_its_64() {
    let site = site();
    let service = serve(
        &site,
        &[
            "--rate-limit",
            "0",
            "--poll-quota",
            "2",
            "--trust-proxy",
            "127.0.0.1",
        ],
    );
    let from = |client: &str| {
        vote(
            &service,
            "mothers-forum",
            &[("X-Forwarded-For", client)],
            r#"{"option": 0}"#,
        )
    };
    assert_eq!(from("2001:db8:1:2::1").status, 200);
    assert_eq!(from("2001:db8:1:2:ffff::2").status, 200);
    assert_error(&from("2001:db8:1:2:abcd:1:2:3"), 429, "quota_exceeded");
    assert_eq!(from("2001:db8:1:3::1").status, 200, "another /64");
    assert_eq!(from("198.51.100.7").status, 200);
}

#[test]
fn the_results_page_is_not_framed_nor_sniffed() {
    let site = site();
    let service = serve(&site, &[]);
    let page = get(&service.addr, "/api/polls/mothers-forum/results", &[]);
    assert_eq!(page.status, 200);
    let csp = page
        .header("content-security-policy")
        .expect("a Content-Security-Policy");
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(
        !csp.contains("script-src"),
        "the page runs no script: {csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let body = get(&service.addr, "/api/polls/mothers-forum", &[]);
    assert_eq!(body.header("x-content-type-options"), Some("nosniff"));
}

/// Connects `count` sockets to `addr` that send nothing, each within 5 seconds.
fn idle_sockets(addr: &str, count: usize) -> Vec<TcpStream> {
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    (0..count)
        .map(|n| {
            TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("idle socket {n}: {e}"))
        })
        .collect()
}

/// One GET of `path` on `addr`: its status, or `None` when no answer came within `limit`.
fn status_within(addr: &str, path: &str, limit: Duration) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(limit)).unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).ok()?;
    String::from_utf8_lossy(&first[9..12]).parse().ok()
}

#[cfg(unix)]
#[test]
fn readers_are_answered_while_1100_idle_sockets_are_held() {
    const IDLE: usize = 1100;
    // This process holds the idle sockets too: it needs more than a soft limit of 1024.
    let files = birge::polls::server::raise_open_file_limit().unwrap_or(0);
    if files < 2 * IDLE as u64 {
        eprintln!("skipped: the open-file limit here is {files}");
        return;
    }
    let site = site();
    // Started under the usual soft limit of 1024: the service raises it itself.
    let service = VoteService::start_with_soft_file_limit(
        site.root(),
        &db(&site),
        &["--rate-limit", "0", "--poll-quota", "0"],
        1024,
    );
    let idle = idle_sockets(&service.addr, IDLE);
    let started = Instant::now();
    for n in 0..7 {
        let status = status_within(
            &service.addr,
            "/api/polls/mothers-forum",
            Duration::from_secs(3),
        );
        assert_eq!(
            status,
            Some(200),
            "reader {n} after {:?}",
            started.elapsed()
        );
    }
    let voted = vote(&service, "mothers-forum", &[], r#"{"option": 1}"#);
    assert_eq!(voted.status, 200, "{}", voted.text());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(idle);
}

/// The service in this process on a free port of 127.0.0.1, with `limits`; stopped when
/// dropped.
struct InProcess {
    addr: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _site: Fixture,
}

impl InProcess {
    fn start(limits: birge::polls::service::Limits) -> InProcess {
        use birge::polls::service::{Options, PollSource, Service, serve};
        let site = Fixture::new();
        let store = birge::polls::store::Store::open(&db(&site)).unwrap();
        let options = Options {
            log: false,
            ..Options::default()
        };
        let service = Arc::new(
            Service::new(PollSource::Root(site.root().to_path_buf()), store, options).unwrap(),
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(serve(listener, service, limits, async {
                let _ = stopped.await;
            }));
        });
        InProcess {
            addr,
            stop: Some(stop),
            thread: Some(thread),
            _site: site,
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn connections_past_the_cap_wait_for_a_free_one() {
    let server = InProcess::start(birge::polls::service::Limits {
        max_connections: 2,
        header_timeout: Duration::from_secs(20),
        ..Default::default()
    });
    let mut idle = idle_sockets(&server.addr, 2);
    // Both slots are taken by sockets that say nothing: a third connection waits.
    let path = "/api/polls/mothers-forum";
    assert_eq!(
        status_within(&server.addr, path, Duration::from_millis(700)),
        None
    );
    // One leaves; the next reader is served at once.
    drop(idle.remove(0));
    assert_eq!(
        status_within(&server.addr, path, Duration::from_secs(5)),
        Some(200)
    );
}
