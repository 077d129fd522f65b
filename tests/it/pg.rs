//! The vote service and `birge polls results | export | import` against a real PostgreSQL:
//! the server named by `BIRGE_TEST_POSTGRES` (a connection URL, e.g.
//! `postgresql://birge@127.0.0.1:54329/birge`). Each test works in a database of its own,
//! created for it and dropped after. Without the variable these tests print a notice and
//! pass, except under CI (`CI` set), where they fail.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::{VoteService, cookie, get, post_json};
use super::polls;

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    admin: String,
    name: String,
    /// Its URL, for `--db`.
    pub url: String,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn admin_sql(admin: &str, sql: &str) {
    runtime().block_on(async {
        let (client, connection) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to BIRGE_TEST_POSTGRES: {e}"));
        let driver = tokio::spawn(connection);
        client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        drop(client);
        let _ = driver.await;
    });
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..path])
}

impl TestDb {
    /// A fresh, empty database, or `None` (with a notice) when no server is given outside CI.
    pub fn new() -> Option<TestDb> {
        let Ok(admin) = std::env::var("BIRGE_TEST_POSTGRES") else {
            if std::env::var_os("CI").is_some() {
                panic!("CI is set but BIRGE_TEST_POSTGRES is not: .ci/run starts a PostgreSQL");
            }
            eprintln!("skipped: set BIRGE_TEST_POSTGRES to a PostgreSQL URL to run this test");
            return None;
        };
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).unwrap();
        let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("birge_test_{suffix}");
        admin_sql(&admin, &format!("CREATE DATABASE {name}"));
        let url = with_database(&admin, &name);
        Some(TestDb { admin, name, url })
    }

    /// The URL as a `--db` argument.
    pub fn path(&self) -> &Path {
        Path::new(&self.url)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        admin_sql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn vote(
    service: &VoteService,
    id: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> super::http::Response {
    post_json(
        &service.addr,
        &format!("/api/polls/{id}/vote"),
        headers,
        body,
    )
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn postgres_url_forms() {
    assert_eq!(
        with_database("postgresql://u@127.0.0.1:5/birge", "x"),
        "postgresql://u@127.0.0.1:5/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

#[test]
fn postgres_a_vote_counts_once_per_reader() {
    let Some(db) = TestDb::new() else { return };
    let site = polls::site();
    polls::a_vote_counts_once_per_reader_on(&site, db.path());
}

#[test]
fn postgres_multiple_poll_counts_each_option() {
    let Some(db) = TestDb::new() else { return };
    let site = polls::site();
    polls::multiple_poll_counts_each_option_on(&site, db.path());
}

#[test]
fn postgres_quiz_answer_only_once_voted_or_closed() {
    let Some(db) = TestDb::new() else { return };
    let site = polls::site();
    polls::quiz_answer_only_once_voted_or_closed_on(&site, db.path());
}

/// Polls `addr` until the poll's total is `total`, for at most `within`.
fn wait_for_total(addr: &str, id: &str, total: u64, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let body = get(addr, &format!("/api/polls/{id}"), &[]).json();
        if body["total"] == total {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "total still {} after {within:?}",
            body["total"]
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_processes_share_one_database() {
    let Some(db) = TestDb::new() else { return };
    let site = polls::site();
    let one = VoteService::start(site.root(), db.path(), &[]);
    let two = VoteService::start(site.root(), db.path(), &[]);
    // Both have read (and cached) the empty tally.
    assert_eq!(
        get(&two.addr, "/api/polls/mothers-forum", &[]).json()["total"],
        0
    );
    let first = vote(&one, "mothers-forum", &[], r#"{"option": 1}"#);
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["total"], 1);
    wait_for_total(&two.addr, "mothers-forum", 1, Duration::from_secs(1));
    // The same reader at the other process: the unique key refuses it.
    let voter = cookie(&first.voter_cookie().expect("a voter id"));
    let again = vote(
        &two,
        "mothers-forum",
        &[("Cookie", &voter)],
        r#"{"option": 0}"#,
    );
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.json()["error"], "already_voted");
    // Votes through both count once each, wherever they are read.
    for (service, choice) in [(&two, 0), (&one, 2), (&two, 2)] {
        let response = vote(
            service,
            "mothers-forum",
            &[],
            &format!("{{\"option\": {choice}}}"),
        );
        assert_eq!(response.status, 200, "{}", response.text());
    }
    for service in [&one, &two] {
        wait_for_total(&service.addr, "mothers-forum", 4, Duration::from_secs(1));
        let body = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
        let votes: Vec<&Value> = body["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| &o["votes"])
            .collect();
        assert_eq!(votes, [&json!(1), &json!(1), &json!(2)], "{body}");
    }
}

#[test]
fn processes_starting_together_on_an_empty_database_migrate_once() {
    for _ in 0..3 {
        let Some(db) = TestDb::new() else { return };
        let site = polls::site();
        let services: Vec<VoteService> = std::thread::scope(|scope| {
            let started: Vec<_> = (0..3)
                .map(|_| scope.spawn(|| VoteService::start(site.root(), db.path(), &[])))
                .collect();
            started.into_iter().map(|s| s.join().unwrap()).collect()
        });
        for (n, service) in services.iter().enumerate() {
            let response = vote(service, "mothers-forum", &[], r#"{"option": 0}"#);
            assert_eq!(response.status, 200, "{}", response.text());
            assert_eq!(response.json()["total"], n as u64 + 1);
        }
        let out = site.birge(&["polls", "export", "--db", &db.url]);
        let export: Value = serde_json::from_str(&ok(&out)).unwrap();
        assert_eq!(export["polls"]["mothers-forum"]["total"], 3);
    }
}

#[test]
fn results_and_export_read_postgres() {
    let Some(db) = TestDb::new() else { return };
    let site = polls::site();
    // A database the service never saw has no votes (and is left as it was).
    let out = site.birge(&["polls", "export", "--db", &db.url]);
    assert_eq!(
        serde_json::from_str::<Value>(&ok(&out)).unwrap(),
        json!({"polls": {}})
    );
    let service = VoteService::start(site.root(), db.path(), &[]);
    for choice in [0, 0, 2] {
        let response = vote(
            &service,
            "mothers-forum",
            &[],
            &format!("{{\"option\": {choice}}}"),
        );
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let response = vote(&service, "topics", &[], r#"{"options": [0, 2]}"#);
    assert_eq!(response.status, 200, "{}", response.text());
    let stdout = ok(&site.birge(&["polls", "results", "--db", &db.url]));
    assert!(
        stdout.contains(
            "mothers-forum: When was the First Republican Forum of Mothers Council held? (3 votes)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("  66.7%  September 7, 2011"), "{stdout}");
    let export: Value =
        serde_json::from_str(&ok(&site.birge(&["polls", "export", "--db", &db.url]))).unwrap();
    assert_eq!(
        export,
        json!({"polls": {
            "mothers-forum": {"total": 3, "options": [2, 0, 1]},
            "topics": {"total": 1, "options": [1, 0, 1]},
        }})
    );
    // A password never shows in messages, even when the database is missing.
    let missing = with_database(&db.url, "birge_no_such_db").replacen('@', ":hunter2@", 1);
    let out = site.birge(&["polls", "results", "--db", &missing]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("birge_no_such_db"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn an_export_imports_into_either_store() {
    let Some(db) = TestDb::new() else { return };
    let site = polls::site();
    let export = json!({"polls": {
        "mothers-forum": {"total": 5, "options": [2, 0, 3]},
        "topics": {"total": 3, "options": [3, 1, 2]},
    }});
    site.file("results.json", &export.to_string());
    let file = site.root().join("results.json");
    let file = file.to_str().unwrap();
    let sqlite = site.root().join("imported.sqlite");
    for target in [sqlite.to_str().unwrap(), &db.url] {
        let out = site.birge(&["polls", "import", file, "--db", target]);
        assert!(ok(&out).starts_with("imported 2 polls (8 votes) into "));
        let again: Value =
            serde_json::from_str(&ok(&site.birge(&["polls", "export", "--db", target]))).unwrap();
        assert_eq!(again, export, "{target}");
        // Again: refused, nothing changed.
        let out = site.birge(&["polls", "import", file, "--db", target]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("2 polls already have votes in ")
                && stderr.contains(
                    ": mothers-forum, topics; nothing was imported (--replace replaces them)"
                ),
            "{stderr}"
        );
        let same: Value =
            serde_json::from_str(&ok(&site.birge(&["polls", "export", "--db", target]))).unwrap();
        assert_eq!(same, export);
        // --replace: exactly the export's counts, not twice them.
        ok(&site.birge(&["polls", "import", file, "--db", target, "--replace"]));
        let replaced: Value =
            serde_json::from_str(&ok(&site.birge(&["polls", "export", "--db", target]))).unwrap();
        assert_eq!(replaced, export);
    }
    // The service counts on top of imported votes, and readers are not the imported voters.
    let service = VoteService::start(site.root(), db.path(), &[]);
    let response = vote(&service, "mothers-forum", &[], r#"{"option": 1}"#);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["total"], 6);
    // An export that cannot be counted back is refused before anything is written.
    site.file(
        "bad.json",
        r#"{"polls": {"x": {"total": 1, "options": [2]}}}"#,
    );
    let bad = site.root().join("bad.json");
    let out = site.birge(&[
        "polls",
        "import",
        bad.to_str().unwrap(),
        "--db",
        sqlite.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("poll x: an option has more votes than the poll has voters"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn votes_survive_dropped_connections() {
    let Some(db) = TestDb::new() else { return };
    let site = polls::site();
    let service = VoteService::start(site.root(), db.path(), &[]);
    for n in 1..=3u64 {
        let response = vote(&service, "mothers-forum", &[], r#"{"option": 0}"#);
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json()["total"], n);
        // The server ends every connection of the service, as a failover or restart would.
        admin_sql(
            &db.url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        );
    }
    let body = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
    assert_eq!(body["total"], 3, "{body}");
}

/// The rows of `sql` on `url`, each as its text columns.
fn query_texts(url: &str, sql: &str) -> Vec<Vec<String>> {
    runtime().block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        let rows = client.simple_query(sql).await.unwrap();
        drop(client);
        let _ = driver.await;
        rows.into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).unwrap_or("").to_string())
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    })
}

#[test]
fn readers_of_an_old_postgres_schema_stay_counted_after_the_upgrade() {
    let Some(db) = TestDb::new() else { return };
    const READER: &str = "0123456789abcdef0123456789abcdef";
    // The schema as the first PostgreSQL store wrote it: ids as the cookies hold them.
    admin_sql(
        &db.url,
        &format!(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
             INSERT INTO schema_migrations (version) VALUES (1);
             CREATE TABLE votes (poll TEXT NOT NULL, voter TEXT NOT NULL,
                 options INTEGER[] NOT NULL, cast_at BIGINT NOT NULL, ballot BIGINT NOT NULL,
                 PRIMARY KEY (poll, voter));
             INSERT INTO votes VALUES ('mothers-forum', '{READER}', '{{1}}', 1585000123, 7),
                 ('mothers-forum', 'import:0', '{{0}}', 1585000123, 0);"
        ),
    );
    let site = polls::site();
    let reader = cookie(READER);
    // Two processes started together: one migrates, both read the one key.
    let first = VoteService::start(site.root(), db.path(), &[]);
    let second = VoteService::start(site.root(), db.path(), &[]);
    for service in [&first, &second] {
        let again = vote(
            service,
            "mothers-forum",
            &[("Cookie", &reader)],
            r#"{"option": 2}"#,
        );
        assert_eq!(again.status, 409, "{}", again.text());
        assert_eq!(again.json()["error"], "already_voted");
        assert_eq!(again.json()["poll"]["total"], 2);
    }
    let rows = query_texts(&db.url, "SELECT voter, cast_at FROM votes");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert!(row[0].len() == 64 && row[0] != READER, "{row:?}");
        assert_eq!(row[1], "1584997200", "cast_at is the hour");
    }
    let versions = query_texts(
        &db.url,
        "SELECT count(*), max(version) FROM schema_migrations",
    );
    assert_eq!(versions, vec![vec!["2".to_string(), "2".to_string()]]);
}

#[test]
fn every_process_knows_the_ids_the_others_issued() {
    let Some(db) = TestDb::new() else { return };
    let site = polls::site();
    let limits = ["--rate-limit", "0", "--poll-quota", "1"];
    let one = VoteService::start(site.root(), db.path(), &limits);
    let two = VoteService::start(site.root(), db.path(), &limits);
    // A reader gets an id from the first process...
    let first = vote(&one, "topics", &[], r#"{"options": [0]}"#);
    assert_eq!(first.status, 200, "{}", first.text());
    let reader = cookie(&first.voter_cookie().expect("an id with a counted vote"));
    // ...a stuffer spends the second process's anonymous quota for this address...
    assert_eq!(
        vote(&two, "mothers-forum", &[], r#"{"option": 2}"#).status,
        200
    );
    let held = vote(&two, "mothers-forum", &[], r#"{"option": 2}"#);
    assert_eq!(held.status, 429, "{}", held.text());
    assert_eq!(held.json()["error"], "quota_exceeded");
    // ...and the second process knows the reader's id as one of the store's own.
    let own = vote(
        &two,
        "mothers-forum",
        &[("Cookie", &reader)],
        r#"{"option": 0}"#,
    );
    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(own.json()["total"], 2);
}
