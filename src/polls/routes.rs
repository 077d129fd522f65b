//! The API's routes and their handlers: poll bodies, votes (JSON or plain form posts), the
//! no-JS results page, health; and the layers around them.
//!
//! Takes a [`Service`], gives an axum [`Router`] whose handlers speak of polls and ballots;
//! who may vote is [`super::policy`]'s call, where votes go is the store's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use super::PollBody;
use super::page::{self, Notice};
use super::policy::{Payer, TooMany, peer_of, voter_cookie, voter_from};
use super::server::BodyTimeout;
use super::service::{Limits, Service};
use super::store::{Outcome, VoteStore};
use crate::content::polls::{Poll, PollState, Tally};

/// The API's routes, all under `/api/`, in their layers (outermost first): the request
/// log, `X-Content-Type-Options: nosniff` on every answer (no browser guesses HTML in a
/// JSON body), CORS for `--allow-origin` only, the body limit (`--max-body`, 413).
pub fn router(service: Arc<Service>) -> Router {
    let origins: Vec<HeaderValue> = service
        .options
        .allow_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    let mut routes = Router::new()
        .route("/api/health", get(health))
        .route("/api/polls/{id}", get(poll_body))
        .route("/api/polls/{id}/vote", post(vote))
        .route("/api/polls/{id}/results", get(results))
        .route("/api/{*rest}", any(not_found))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&service),
            refuse_declared_oversize,
        ));
    if !origins.is_empty() {
        routes = routes.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_credentials(true)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE])
                .max_age(Duration::from_secs(600)),
        );
    }
    routes
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(middleware::from_fn_with_state(Arc::clone(&service), log))
        .with_state(service)
}

type Shared = State<Arc<Service>>;

/// A request whose `Content-Length` is over `--max-body` gets 413 before its body is read
/// (a body without a length is cut at the limit where it is read: [`vote`]).
async fn refuse_declared_oversize(
    State(service): Shared,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > service.options.max_body as u64 => {
            error(StatusCode::PAYLOAD_TOO_LARGE, "too_large")
        }
        _ => next.run(request).await,
    }
}

fn error(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

fn error_with_poll(status: StatusCode, code: &str, body: &PollBody) -> Response {
    (status, Json(json!({ "error": code, "poll": body }))).into_response()
}

async fn health(State(service): Shared) -> Response {
    Json(json!({ "status": "ok", "polls": service.definitions().len() })).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found")
}

/// The language asked for with `?lang=`: labels in it where the poll has them, else in the
/// site's default language (never an error).
fn asked_language(query: Option<&str>) -> String {
    query
        .map(|q| form_urlencoded::parse(q.as_bytes()))
        .and_then(|mut pairs| pairs.find(|(key, _)| key == "lang"))
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

async fn poll_body(
    State(service): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let definitions = service.definitions();
    let Some(poll) = definitions.get(&id) else {
        return error(StatusCode::NOT_FOUND, "unknown_poll");
    };
    let lang = asked_language(uri.query());
    let voter = voter_from(&headers);
    let (state, voted, tally) = service.body_of(poll, voter.as_deref()).await;
    let mut response = Json(PollBody::new(poll, &tally, state, voted, &lang)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn results(
    State(service): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let definitions = service.definitions();
    let Some(poll) = definitions.get(&id) else {
        return error(StatusCode::NOT_FOUND, "unknown_poll");
    };
    let voter = voter_from(&headers);
    // Whether this reader voted comes from the store only: `notice` is in the URL, anyone can write it.
    let (state, voted, tally) = service.body_of(poll, voter.as_deref()).await;
    let notice = query
        .get("notice")
        .map_or(Notice::None, |c| Notice::from_code(c));
    // A vote is said to be counted only to a reader the store knows voted.
    let notice = match (notice, voter.as_deref()) {
        (Notice::Counted | Notice::AlreadyVoted, Some(v))
            if service.store.has_voted(&poll.id, v).await.unwrap_or(false) =>
        {
            notice
        }
        (Notice::Counted | Notice::AlreadyVoted, _) => Notice::None,
        _ => notice,
    };
    let back = page::safe_return_to(query.get("return_to").map(String::as_str), &poll.id);
    // The page speaks the language of the tree the reader came from.
    let lang = definitions.language_of(&back, poll);
    let html = page::render(poll, &tally, state, voted, notice, &back, &lang);
    html_page(html)
}

/// The results page's Content-Security-Policy: its own inline styles, nothing loaded or
/// run, and never shown in a frame (no clickjacking).
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                        form-action 'self'; frame-ancestors 'none'";

/// An HTML page of the service (the results page): not cached, not framed, no scripts.
fn html_page(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "same-origin"),
        ],
        html,
    )
        .into_response()
}

/// What a vote post asked for.
enum Ballot {
    Json(Vec<usize>),
    Form {
        options: Vec<usize>,
        return_to: Option<String>,
    },
}

/// Reads a ballot from a JSON or form body; `Err` is the response to give instead.
fn parse_ballot(content_type: &str, body: &[u8]) -> Result<Ballot, (StatusCode, &'static str)> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/json" => {
            let value: serde_json::Value =
                serde_json::from_slice(body).map_err(|_| (StatusCode::BAD_REQUEST, "malformed"))?;
            let as_index = |v: &serde_json::Value| v.as_u64().and_then(|n| usize::try_from(n).ok());
            let options = match (value.get("option"), value.get("options")) {
                (Some(one), None) => as_index(one).map(|o| vec![o]),
                (None, Some(serde_json::Value::Array(list))) => {
                    list.iter().map(as_index).collect::<Option<Vec<_>>>()
                }
                _ => None,
            };
            options
                .map(Ballot::Json)
                .ok_or((StatusCode::UNPROCESSABLE_ENTITY, "bad_option"))
        }
        "application/x-www-form-urlencoded" => {
            let mut options = Vec::new();
            let mut return_to = None;
            let mut bad = false;
            for (key, value) in form_urlencoded::parse(body) {
                match key.as_ref() {
                    "option" => match value.parse::<usize>() {
                        Ok(o) => options.push(o),
                        Err(_) => bad = true,
                    },
                    "return_to" => return_to = Some(value.into_owned()),
                    _ => {}
                }
            }
            if bad {
                options.clear();
            }
            Ok(Ballot::Form { options, return_to })
        }
        _ => Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")),
    }
}

fn results_location(id: &str, return_to: Option<&str>, notice: Notice) -> String {
    let back = page::safe_return_to(return_to, id);
    let encoded: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    format!(
        "/api/polls/{id}/results?return_to={encoded}&notice={}",
        notice.code()
    )
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn vote(State(service): Shared, Path(id): Path<String>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let peer = peer_of(&parts.extensions);
    if service.policy.is_cross_site(&parts.headers, peer) {
        return error(StatusCode::FORBIDDEN, "cross_site");
    }
    let definitions = service.definitions();
    let Some(poll) = definitions.get(&id) else {
        return error(StatusCode::NOT_FOUND, "unknown_poll");
    };
    let existing = voter_from(&parts.headers);
    let payer = match &existing {
        Some(id) if service.store.key().issued(id) => Payer::Reader(id.clone()),
        _ => Payer::Anonymous,
    };
    let network = service.policy.network(peer, &parts.headers);
    if let Err(refused) = service.policy.admit(network, payer, &poll.id) {
        return too_many(&service, poll, &parts.headers, refused).await;
    }
    let timeout = parts
        .extensions
        .get::<BodyTimeout>()
        .map_or(Limits::default().body_timeout, |t| t.0);
    let bytes = match tokio::time::timeout(
        timeout,
        axum::body::to_bytes(body, service.options.max_body),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return error(StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        Err(_) => {
            let mut response = error(StatusCode::REQUEST_TIMEOUT, "timeout");
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ballot = match parse_ballot(content_type, &bytes) {
        Ok(ballot) => ballot,
        Err((status, code)) => return error(status, code),
    };
    let (options, form_return) = match ballot {
        Ballot::Json(options) => (options, None),
        Ballot::Form { options, return_to } => (options, Some(return_to)),
    };
    let voter = existing
        .clone()
        .unwrap_or_else(|| service.store.key().new_voter_id());
    let secure = service.policy.is_https(&parts.headers, peer);
    let lang = asked_language(parts.uri.query());
    let outcome = decide(&service, poll, &voter, &options).await;
    // A new reader's id is given with a counted vote only: every id then cost one vote
    // charged to the anonymous budget (see `super::policy`).
    let issue = existing.is_none() && matches!(outcome, Decision::Counted(_));
    let mut response = match (outcome, form_return) {
        (Decision::Refused(status, code, body_voted), None) => {
            let (state, _, tally) = service.body_of(poll, None).await;
            let body = PollBody::new(poll, &tally, state, body_voted, &lang);
            if status == StatusCode::CONFLICT {
                error_with_poll(status, code, &body)
            } else {
                error(status, code)
            }
        }
        (Decision::Counted(tally), None) => Json(PollBody::new(
            poll,
            &tally,
            poll.state_at(jiff::Timestamp::now()),
            true,
            &lang,
        ))
        .into_response(),
        (Decision::Failed, _) => {
            let mut response = error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
        (Decision::Counted(_), Some(return_to)) => see_other(&results_location(
            &poll.id,
            return_to.as_deref(),
            Notice::Counted,
        )),
        (Decision::Refused(_, code, _), Some(return_to)) => see_other(&results_location(
            &poll.id,
            return_to.as_deref(),
            Notice::from_code(code),
        )),
    };
    if issue && let Some(value) = voter_cookie(&voter, secure) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// 429 with `Retry-After`: JSON, or for a form post (a reader without JavaScript) the
/// results page saying why.
async fn too_many(
    service: &Service,
    poll: &Poll,
    headers: &HeaderMap,
    refused: TooMany,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let mut response = if is_form {
        let voter = voter_from(headers);
        let (state, voted, tally) = service.body_of(poll, voter.as_deref()).await;
        let back = page::safe_return_to(None, &poll.id);
        let lang = service.definitions().language_of(&back, poll);
        let html = page::render(poll, &tally, state, voted, Notice::TooMany, &back, &lang);
        let mut response = html_page(html);
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        response
    } else {
        error(StatusCode::TOO_MANY_REQUESTS, refused.code)
    };
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(refused.retry_after()),
    );
    response
}

enum Decision {
    Counted(Tally),
    Refused(StatusCode, &'static str, bool),
    Failed,
}

async fn decide(service: &Service, poll: &Poll, voter: &str, options: &[usize]) -> Decision {
    let Some(ballot) = poll.check_ballot(options) else {
        return Decision::Refused(StatusCode::UNPROCESSABLE_ENTITY, "bad_option", false);
    };
    match poll.state_at(jiff::Timestamp::now()) {
        PollState::Closed => return Decision::Refused(StatusCode::CONFLICT, "closed", false),
        PollState::Upcoming => return Decision::Refused(StatusCode::CONFLICT, "not_open", false),
        PollState::Open => {}
    }
    match service.store.vote(&poll.id, voter, &ballot).await {
        Ok(Outcome::Counted(tally)) => Decision::Counted(tally),
        Ok(Outcome::AlreadyVoted(_)) => {
            Decision::Refused(StatusCode::CONFLICT, "already_voted", true)
        }
        Err(error) => {
            eprintln!("error: {error}");
            Decision::Failed
        }
    }
}

/// Logs one line per request (on the service's logger thread) and answers HEAD without a
/// body.
async fn log(State(service): Shared, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    if let Some(log) = &service.log {
        let _ = log.send(format!(
            "{} {} {} {:.1}ms",
            method,
            path,
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    if method == Method::HEAD {
        *response.body_mut() = Body::empty();
    }
    response
}
