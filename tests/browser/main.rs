//! Browser tests of the poll widget (a fixture site and the vote service on one loopback
//! origin) and of search (`search`), in headless Chromium driven over WebDriver, with
//! JavaScript on and off.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian: `chromium
//! chromium-driver`), or the `CHROMIUM` and `CHROMEDRIVER` variables; fails without them.
//! `BIRGE_BROWSER_SCREENSHOTS=<folder>` saves screenshots of the steps.

mod http;
mod reload;
mod search;
mod site;
mod webdriver;

use site::{ARTICLE_PATH, Site};
use webdriver::Browser;

/// The widget the article's text places (a poll is shown once per page).
const ARTICLE_WIDGET: &str = "#poll-mothers-forum-inline-1";

const THANKS: &str = "Thank you, your vote was counted.";
const CHOOSE: &str = "Please choose an answer.";

/// Chooses the options of `values` in `widget` and presses its button.
fn vote(browser: &Browser, widget: &str, values: &[usize]) {
    for value in values {
        browser.click(&format!("{widget} input[value='{value}']"));
    }
    browser.click(&format!("{widget} button[type=submit]"));
}

#[test]
fn votes_in_place_with_javascript() {
    let site = Site::start();
    let browser = Browser::start(true);
    browser.go(&site.url(ARTICLE_PATH));
    browser.screenshot("js-before");

    vote(&browser, ARTICLE_WIDGET, &[1]);
    {
        let widget = ARTICLE_WIDGET;
        let live = format!("{widget} .poll-live");
        let text = browser.wait_for_text("the vote's results in the live region", &live, |text| {
            text.contains("1 vote") && text.contains("100%")
        });
        assert!(text.contains(THANKS), "{widget}: {text}");
        assert!(text.contains("Total votes: 1"), "{widget}: {text}");
        let chosen = browser
            .text(&format!("{widget} .poll-row.is-chosen"))
            .unwrap_or_default();
        assert!(
            chosen.starts_with("April 24, 2013 Your vote"),
            "{widget}: {chosen}"
        );
        assert_eq!(
            browser.attribute(&live, "aria-live").as_deref(),
            Some("polite")
        );
        let button = format!("{widget} button[type=submit]");
        assert!(!browser.displayed(&button), "{widget} still offers to vote");
    }
    assert_eq!(browser.url(), site.url(ARTICLE_PATH), "the page changed");
    browser.screenshot("js-voted");

    browser.refresh();
    let live = format!("{ARTICLE_WIDGET} .poll-live");
    let text = browser.wait_for_text("the results again after a reload", &live, |text| {
        text.contains("100%")
    });
    assert!(
        text.contains("You have already voted in this poll."),
        "{text}"
    );
    assert!(text.contains("April 24, 2013 Your vote"), "{text}");
    let input = format!("{ARTICLE_WIDGET} input[value='0']");
    assert!(!browser.displayed(&input), "the inputs are still shown");
    assert_eq!(
        browser.attribute(ARTICLE_WIDGET, "data-total").as_deref(),
        Some("1")
    );
    browser.screenshot("js-reloaded");

    assert_eq!(site.total("mothers-forum"), 1);
}

#[test]
fn shows_live_counts_on_load() {
    let site = Site::start();
    let ballot = serde_json::json!({ "option": 0 });
    let path = "/api/polls/mothers-forum/vote";
    let cast = http::request(&site.addr, "POST", path, Some(&ballot), webdriver::WAIT)
        .expect("a vote from another reader");
    assert_eq!(cast.status, 200, "{}", cast.text());

    let browser = Browser::start(true);
    browser.go(&site.url(ARTICLE_PATH));
    {
        let widget = ARTICLE_WIDGET;
        let total = format!("{widget} fieldset > .poll-total");
        browser.wait_for_text("the live total instead of the build's", &total, |text| {
            text == "Total votes: 1"
        });
        let first = browser
            .text(&format!("{widget} .poll-option"))
            .unwrap_or_default();
        assert!(
            first.contains("1 vote") && first.contains("100%"),
            "{widget}: {first}"
        );
        let button = format!("{widget} button[type=submit]");
        assert!(
            browser.displayed(&button),
            "{widget}: this reader has not voted yet"
        );
    }
    browser.screenshot("js-live-counts");
}

#[test]
fn votes_through_the_plain_form_without_javascript() {
    let site = Site::start();
    let browser = Browser::start(false);
    assert_eq!(site.total("mothers-forum"), 0);
    browser.go(&site.url(ARTICLE_PATH));
    vote(&browser, ARTICLE_WIDGET, &[2]);

    browser.wait_for_url(
        "the service's results page",
        &site.url("/api/polls/mothers-forum/results"),
    );
    browser.screenshot("nojs-results");
    let text = browser.text("main").unwrap_or_default();
    assert!(text.contains(THANKS), "{text}");
    assert!(text.contains("November 13, 2014"), "{text}");
    assert_eq!(
        browser.attribute("main a", "href").as_deref(),
        Some(ARTICLE_PATH)
    );
    assert_eq!(site.total("mothers-forum"), 1);

    browser.click("main a");
    browser.wait_for_url("the way back to the article", &site.url(ARTICLE_PATH));
}

#[test]
fn a_quiz_shows_its_answer_after_the_vote() {
    let site = Site::start();
    let browser = Browser::start(true);
    browser.go(&site.url("/polls/capital/"));
    let widget = "#poll-capital-page";
    assert!(
        browser.find_all(&format!("{widget} .is-answer")).is_empty(),
        "the answer shows before the vote"
    );
    vote(&browser, widget, &[0]);

    let live = format!("{widget} .poll-live");
    browser.wait_for_text("the quiz's answer", &live, |text| {
        text.contains("Right answer")
    });
    let answer = browser
        .text(&format!("{widget} .poll-row.is-answer"))
        .unwrap_or_default();
    assert!(answer.starts_with("Astana Right answer"), "{answer}");
    let chosen = browser
        .text(&format!("{widget} .poll-row.is-chosen"))
        .unwrap_or_default();
    assert!(chosen.starts_with("Almaty Your vote"), "{chosen}");
    browser.screenshot("js-quiz");
}

#[test]
fn a_closed_poll_shows_its_final_results() {
    let site = Site::start();
    let browser = Browser::start(true);
    browser.go(&site.url("/polls/founding/"));
    let widget = "#poll-founding-page";
    let live = format!("{widget} .poll-live");
    let text = browser.wait_for_text("the final results", &live, |text| {
        text.contains("No votes yet")
    });
    let answer = browser
        .text(&format!("{widget} .poll-row.is-answer"))
        .unwrap_or_default();
    assert!(answer.starts_with("1995 Right answer"), "{text}");
    assert!(!text.contains("Your vote"), "{text}");
    assert_eq!(
        browser.text(&format!("{widget} .poll-status")).as_deref(),
        Some("This poll is closed.")
    );
    assert!(
        !browser.displayed(&format!("{widget} input[value='0']")),
        "the inputs are still shown"
    );
    assert!(
        !browser.displayed(&format!("{widget} button[type=submit]")),
        "it still offers to vote"
    );
    browser.screenshot("js-closed");
}

#[test]
fn a_kazakh_page_shows_live_results_in_kazakh() {
    let site = Site::start();
    let browser = Browser::start(true);
    browser.go(&site.url("/kk/polls/mothers-forum/"));
    let widget = "#poll-mothers-forum-page";
    let live = format!("{widget} .poll-live");
    vote(&browser, widget, &[1]);
    let text = browser.wait_for_text("the results", &live, |text| {
        text.contains("Рахмет, дауысыңыз есептелді.")
    });
    // The labels come from the service's answer: asked for in the page's language.
    assert!(
        text.contains("2013 жылғы 24 сәуір Сіздің таңдауыңыз"),
        "{text}"
    );
    assert!(text.contains("2011 жылғы 7 қыркүйек"), "{text}");
    assert!(!text.contains("2013,"), "{text}");
    assert_eq!(site.total("mothers-forum"), 1);

    // The English page shows the same vote, in English.
    browser.go(&site.url("/polls/mothers-forum/"));
    let text = browser.wait_for_text("the results again", &live, |text| text.contains("100%"));
    assert!(text.contains("April 24, 2013 Your vote"), "{text}");
}

#[test]
fn a_multiple_choice_poll_takes_several_answers() {
    let site = Site::start();
    let browser = Browser::start(true);
    browser.go(&site.url("/polls/languages/"));
    let widget = "#poll-languages-page";
    let live = format!("{widget} .poll-live");
    vote(&browser, widget, &[]);
    browser.wait_for_text("a request to choose", &live, |text| text == CHOOSE);

    vote(&browser, widget, &[0, 2]);
    let text = browser.wait_for_text("the results", &live, |text| text.contains(THANKS));
    assert!(text.contains("Total votes: 1"), "{text}");
    let chosen = browser.find_all(&format!("{widget} .poll-row.is-chosen"));
    assert_eq!(chosen.len(), 2, "{text}");
    assert_eq!(site.total("languages"), 1);
}

#[test]
fn a_refused_vote_is_explained_and_the_form_keeps_working() {
    let site = Site::start();
    let browser = Browser::start(true);
    browser.go(&site.url("/polls/mothers-forum/"));
    let widget = "#poll-mothers-forum-page";
    let live = format!("{widget} .poll-live");
    browser.script(&format!(
        "document.querySelector(\"{widget} input[value='0']\").value = '7'"
    ));
    vote(&browser, widget, &[7]);
    browser.wait_for_text("the service's refusal", &live, |text| text == CHOOSE);
    assert!(
        browser.displayed(&format!("{widget} button[type=submit]")),
        "the form is gone"
    );
    assert_eq!(site.total("mothers-forum"), 0);

    vote(&browser, widget, &[1]);
    browser.wait_for_text("the results", &live, |text| text.contains(THANKS));
    assert_eq!(site.total("mothers-forum"), 1);
}

#[test]
fn too_many_votes_are_explained() {
    let site = Site::with_rate_limit(1);
    // A client without a cookie on the reader's network spends its anonymous budget (a
    // reader who had voted before would keep a budget of their own).
    let stuffed = crate::http::request(
        &site.addr,
        "POST",
        "/api/polls/mothers-forum/vote",
        Some(&serde_json::json!({"option": 0})),
        std::time::Duration::from_secs(10),
    )
    .expect("the vote is answered");
    assert_eq!(stuffed.status, 200, "{}", stuffed.text());
    let browser = Browser::start(true);
    browser.go(&site.url("/polls/capital/"));
    vote(&browser, "#poll-capital-page", &[1]);
    let live = "#poll-capital-page .poll-live";
    browser.wait_for_text("the rate limit's message", live, |text| {
        text == "Too many votes from your network. Please try again in a minute."
    });
    assert!(
        browser.displayed("#poll-capital-page button[type=submit]"),
        "the form is gone"
    );
    assert_eq!(site.total("capital"), 0);
}

#[test]
fn a_network_failure_falls_back_to_the_plain_form() {
    let site = Site::start();
    let browser = Browser::start(true);
    browser.go(&site.url(ARTICLE_PATH));
    browser.script("window.fetch = () => Promise.reject(new TypeError('Failed to fetch'))");
    vote(&browser, ARTICLE_WIDGET, &[0]);
    browser.wait_for_url(
        "the service's results page",
        &site.url("/api/polls/mothers-forum/results"),
    );
    let text = browser.text("main").unwrap_or_default();
    assert!(text.contains(THANKS), "{text}");
    assert_eq!(site.total("mothers-forum"), 1);
}
