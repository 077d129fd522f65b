//! What a load leaves out, and why: drafts, and future articles with their dates, which
//! `serve` schedules a rebuild for and a build summary names.

use birge::build::{BuildOptions, prepare};
use birge::content::LeftOut;

use super::util::Fixture;

#[test]
fn drafts_and_future_articles_are_reported_with_their_dates() {
    let site = Fixture::new();
    site.article(
        "2020/03/published.md",
        "title: Atyrau sews masks\ndate: 2020-03-20",
        "Text.\n",
    )
    .article(
        "2020/03/draft.md",
        "title: Atyrau plans a forum\ndate: 2020-03-21\ndraft: true",
        "Text.\n",
    )
    .article(
        "2026/later.md",
        "title: Kostanay later\ndate: 2026-12-01T09:00:00+05:00",
        "Text.\n",
    )
    .article(
        "2026/sooner.md",
        "title: Kostanay sooner\ndate: 2026-06-01",
        "Text.\n",
    )
    // A draft dated in the future is a draft: its time coming publishes nothing.
    .article(
        "2026/draft-soonest.md",
        "title: Kostanay draft\ndate: 2026-02-01\ndraft: true",
        "Text.\n",
    )
    .file(
        "content/pages/draft-page.md",
        "---\ntitle: Draft page\ndraft: true\n---\nText.\n",
    );
    let options = BuildOptions {
        root: site.root().to_path_buf(),
        now: Some("2025-01-01T00:00:00Z".parse().unwrap()),
        ..BuildOptions::default()
    };
    let prepared = prepare(&options).unwrap();
    assert_eq!(prepared.site.articles.len(), 1);
    assert_eq!(
        prepared.site.left_out,
        LeftOut {
            drafts: vec![
                "content/news/2020/03/draft.md".to_string(),
                "content/news/2026/draft-soonest.md".to_string(),
                "content/pages/draft-page.md".to_string(),
            ],
            future: vec![
                (
                    "content/news/2026/later.md".to_string(),
                    "2026-12-01T04:00:00Z".parse().unwrap()
                ),
                (
                    "content/news/2026/sooner.md".to_string(),
                    "2026-05-31T19:00:00Z".parse().unwrap()
                ),
            ],
        }
    );

    let everything = BuildOptions {
        drafts: true,
        future: true,
        ..options
    };
    let prepared = prepare(&everything).unwrap();
    assert_eq!(prepared.site.articles.len(), 5);
    assert_eq!(prepared.site.left_out, LeftOut::default());
}
