//! `init`, `new`, `theme eject` and `check`.

use std::process::Command;

use super::util::{BIRGE, Fixture};

#[test]
fn init_creates_a_site_that_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("bulletin");
    let out = Command::new(BIRGE).arg("init").arg(&site).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "site.yaml",
        "content/regions.yaml",
        "content/polls/mothers-forum.yaml",
    ] {
        assert!(site.join(file).exists(), "{file}");
    }
    let out = Command::new(BIRGE)
        .args(["build", "--quiet", "--root"])
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(site.join("public/index.html").exists());
    let again = Command::new(BIRGE).arg("init").arg(&site).output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(1),
        "init refuses an existing site"
    );
}

#[test]
fn new_writes_front_matter_and_refuses_to_overwrite() {
    let site = Fixture::new();
    let out = site.birge(&[
        "new",
        "Атырау еріктілері",
        "--region",
        "atyrau",
        "--lang",
        "kk",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        path.starts_with("content/news/") && path.ends_with("/atyrau-eriktileri.md"),
        "{path}"
    );
    let text = std::fs::read_to_string(site.root().join(&path)).unwrap();
    assert!(
        text.contains("title: \"Атырау еріктілері\"\n")
            && text.contains("region: atyrau\n")
            && text.contains("lang: kk\n"),
        "{text}"
    );
    site.build(&["--quiet"]);
    let again = site.birge(&[
        "new",
        "Атырау еріктілері",
        "--region",
        "atyrau",
        "--lang",
        "kk",
    ]);
    assert_eq!(again.status.code(), Some(1));
    let typo = site.birge(&["new", "Another", "--region", "atyraw"]);
    assert_eq!(
        typo.status.code(),
        Some(2),
        "a flag's wrong value is a usage error"
    );
    assert!(String::from_utf8_lossy(&typo.stderr).contains("did you mean `atyrau`?"));
}

#[test]
fn eject_writes_the_builtin_theme_and_the_site_uses_it() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Body\n");
    let out = site.birge(&["theme", "eject"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = site.root().join("themes/birge/templates/article.html");
    let text = std::fs::read_to_string(&base).unwrap();
    std::fs::write(
        &base,
        text.replace("class=\"article-title\"", "class=\"article-title ejected\""),
    )
    .unwrap();
    site.build(&["--quiet"]);
    assert_eq!(
        site.html("news/2020/03/a/index.html").count("h1.ejected"),
        1
    );
    assert_eq!(
        site.birge(&["theme", "eject"]).status.code(),
        Some(1),
        "eject refuses to overwrite"
    );
}

#[test]
fn site_templates_override_the_theme_by_name() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Body\n")
        .file("templates/404.html", "{% extends \"base.html\" %}{% block content %}<h1 id=\"custom\">Lost</h1>{% endblock content %}");
    site.build(&["--quiet"]);
    assert_eq!(site.html("404.html").text("#custom"), "Lost");
}

#[test]
fn check_lists_problems_without_writing() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Body\n");
    let ok = site.birge(&["check"]);
    assert!(ok.status.success());
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout).trim(),
        "checked 1 article and 0 pages: no problems found"
    );
    site.article(
        "b.md",
        "title: B\ndate: 2020-03-20\nregion: nowhere",
        "[x](@/news/zzz.md)\n",
    );
    let bad = site.birge(&["check"]);
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("unknown region `nowhere`"), "{stderr}");
    assert!(!site.public().exists(), "check writes nothing");
}

#[test]
fn a_theme_of_its_own_gets_the_builtin_feeds_and_sitemap() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Body\n");
    assert!(site.birge(&["theme", "eject"]).status.success());
    let themes = site.root().join("themes");
    std::fs::rename(themes.join("birge"), themes.join("steppe")).unwrap();
    for feed in ["atom.xml", "rss.xml", "sitemap.xml"] {
        std::fs::remove_file(themes.join("steppe/templates").join(feed)).unwrap();
    }
    site.file(
        "site.yaml",
        &super::util::SITE_YAML.replace("timezone:", "theme: steppe\ntimezone:"),
    );
    site.build(&["--quiet"]);
    assert!(feed_rs::parser::parse(site.read("atom.xml").as_bytes()).is_ok());
    assert!(site.read("sitemap.xml").contains("<urlset"));
}

#[test]
fn polls_serve_refuses_a_listen_address_without_a_port_before_opening_a_store() {
    let site = Fixture::new();
    let db = site.root().join("votes.sqlite");
    let out = site.birge(&[
        "polls",
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--listen",
        "notanaddr",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("an address to listen on is a host and a port, e.g. `127.0.0.1:8080`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!db.exists());
}
