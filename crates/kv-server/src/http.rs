//! The HTTP API (axum on tokio): put, linearizable get, delete,
//! compare-and-swap, status, membership and leadership transfer. Every
//! error is a 4xx/5xx whose body says what was wrong.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use raft_core::NodeId;
use raft_server::{MembershipChange, RaftHandle, ServerError};
use serde::Deserialize;

use crate::command::{Command, decode_value, encode_get};

/// The longest key accepted, in bytes.
pub const KEY_LEN_MAX: usize = 1024;
/// The largest request body accepted, in bytes.
pub const BODY_LEN_MAX: usize = 1 << 20;
/// The header naming the leader's HTTP address on a 421 answer.
pub const LEADER_HEADER: &str = "x-raft-leader";

/// What every handler shares.
#[derive(Debug)]
pub struct Api {
    handle: RaftHandle,
    /// Every node's HTTP address that this node knows, for redirects.
    http_addrs: RwLock<BTreeMap<NodeId, SocketAddr>>,
}

impl Api {
    /// The API of the node behind `handle`; `http_addrs` maps node ids to
    /// their HTTP addresses (for "ask the leader at ..." answers).
    pub fn new(handle: RaftHandle, http_addrs: BTreeMap<NodeId, SocketAddr>) -> Arc<Self> {
        Arc::new(Self {
            handle,
            http_addrs: RwLock::new(http_addrs),
        })
    }

    fn http_addr(&self, id: NodeId) -> Option<SocketAddr> {
        self.http_addrs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .copied()
    }
}

/// The router serving the API.
pub fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route("/kv/{key}", get(get_key).put(put_key).delete(delete_key))
        .route("/cas/{key}", post(cas_key))
        .route("/status", get(status))
        .route("/members/{id}", post(add_member).delete(remove_member))
        .route("/members/{id}/promote", post(promote_member))
        .route("/transfer/{id}", post(transfer))
        .layer(DefaultBodyLimit::max(BODY_LEN_MAX))
        .with_state(api)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut body = body.into();
    body.push('\n');
    (status, body).into_response()
}

/// The answer for a request the node could not serve.
fn error_response(api: &Api, error: &ServerError) -> Response {
    match error {
        ServerError::NotLeader { leader: Some(id) } => match api.http_addr(*id) {
            Some(addr) => {
                let url = format!("http://{addr}");
                let mut response = text(
                    StatusCode::MISDIRECTED_REQUEST,
                    format!("not the leader; the leader is node {id} at {url}"),
                );
                if let Ok(value) = HeaderValue::from_str(&url) {
                    response.headers_mut().insert(LEADER_HEADER, value);
                }
                response
            }
            None => text(
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "not the leader; the leader is node {id} (its HTTP address is unknown here)"
                ),
            ),
        },
        ServerError::NotLeader { leader: None } => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no leader is known (an election is in progress); retry shortly",
        ),
        // 500 and 504 mean "may or may not have been applied"; 503 and 421
        // mean "certainly not": clients retry only the latter.
        ServerError::Timeout => text(
            StatusCode::GATEWAY_TIMEOUT,
            "timed out; the request may or may not have been applied",
        ),
        ServerError::ShuttingDown | ServerError::Unknown => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{error}; the request may or may not have been applied"),
        ),
        // A leader handing over refuses writes until the new one leads.
        ServerError::Refused(raft_core::Error::TransferInProgress { .. }) => {
            text(StatusCode::SERVICE_UNAVAILABLE, format!("{error}"))
        }
        ServerError::Refused(raft_core::Error::ConfigInProgress) => {
            text(StatusCode::CONFLICT, error.to_string())
        }
        ServerError::Refused(_) => text(StatusCode::BAD_REQUEST, error.to_string()),
        ServerError::Storage(_) => text(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
        _ => text(StatusCode::SERVICE_UNAVAILABLE, format!("{error}; retry")),
    }
}

/// A request refused before it reaches the node (malformed, too large),
/// answered with its status and the reason.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        text(self.0, self.1)
    }
}

/// The request body, or a `413` naming the limit (axum's own message
/// does not say what the limit is).
fn checked_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Refusal> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is over the {BODY_LEN_MAX}-byte limit"),
            )
        } else {
            Refusal(rejection.status(), rejection.body_text())
        }
    })
}

fn checked_key(key: &str) -> Result<Vec<u8>, Refusal> {
    if key.len() > KEY_LEN_MAX {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!("the key is {} bytes; the limit is {KEY_LEN_MAX}", key.len()),
        ));
    }
    Ok(key.as_bytes().to_vec())
}

async fn propose(api: &Api, command: Command) -> Result<Vec<u8>, Response> {
    api.handle
        .propose(command.encode())
        .await
        .map_err(|error| error_response(api, &error))
}

async fn put_key(
    State(api): State<Arc<Api>>,
    Path(key): Path<String>,
    value: Result<Bytes, BytesRejection>,
) -> Response {
    let value = match checked_body(value) {
        Ok(value) => value,
        Err(refusal) => return refusal.into_response(),
    };
    let key = match checked_key(&key) {
        Ok(key) => key,
        Err(rejection) => return rejection.into_response(),
    };
    let command = Command::Put {
        key,
        value: value.to_vec(),
    };
    match propose(&api, command).await {
        Ok(_) => text(StatusCode::OK, "ok"),
        Err(response) => response,
    }
}

async fn get_key(State(api): State<Arc<Api>>, Path(key): Path<String>) -> Response {
    let key = match checked_key(&key) {
        Ok(key) => key,
        Err(rejection) => return rejection.into_response(),
    };
    match api.handle.read(encode_get(&key)).await {
        Ok(answer) => match decode_value(&answer) {
            Some(Some(value)) => (StatusCode::OK, value).into_response(),
            Some(None) => text(StatusCode::NOT_FOUND, "key not found"),
            None => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the store gave a malformed answer",
            ),
        },
        Err(error) => error_response(&api, &error),
    }
}

async fn delete_key(State(api): State<Arc<Api>>, Path(key): Path<String>) -> Response {
    let key = match checked_key(&key) {
        Ok(key) => key,
        Err(rejection) => return rejection.into_response(),
    };
    match propose(&api, Command::Delete { key }).await {
        Ok(previous) => match decode_value(&previous) {
            Some(Some(_)) => text(StatusCode::OK, "deleted"),
            _ => text(StatusCode::OK, "was absent"),
        },
        Err(response) => response,
    }
}

/// The body of `POST /cas/{key}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CasBody {
    /// The value the key must hold; `null` for absent.
    expected: Option<String>,
    /// The value to write.
    new: String,
}

async fn cas_key(
    State(api): State<Arc<Api>>,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match checked_body(body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let key = match checked_key(&key) {
        Ok(key) => key,
        Err(rejection) => return rejection.into_response(),
    };
    let shape = r#"{"expected": "old" | null, "new": "value"}"#;
    let body: CasBody = match parse_json(&body, shape) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let command = Command::Cas {
        key,
        expected: body.expected.map(String::into_bytes),
        new: body.new.into_bytes(),
    };
    match propose(&api, command).await {
        Ok(answer) if answer == [1] => text(StatusCode::OK, "swapped"),
        Ok(_) => text(
            StatusCode::CONFLICT,
            "not swapped: the value is not the expected one",
        ),
        Err(response) => response,
    }
}

/// Parses a JSON body whatever its content type (so a bare `curl -d`
/// works), naming what was wrong and the shape expected.
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|error| {
        Refusal(
            StatusCode::BAD_REQUEST,
            format!("malformed JSON body ({error}); expected {shape}"),
        )
    })
}

async fn status(State(api): State<Arc<Api>>) -> Response {
    match api.handle.status().await {
        Ok(status) => {
            let raft = &status.raft;
            let leader_http = raft
                .leader
                .and_then(|id| api.http_addr(id))
                .map(|a| format!("http://{a}"));
            let body = serde_json::json!({
                "id": raft.id,
                "role": format!("{:?}", raft.role),
                "term": raft.term,
                "leader": raft.leader,
                "leader_http": leader_http,
                "commit_index": raft.commit_index,
                "last_applied": raft.last_applied,
                "last_index": raft.last_index,
                "snapshot_index": raft.snapshot_index,
                "members": status.members,
                "learners": status.learners,
                "messages_sent": status.transport.sent,
                "messages_dropped": status.transport.dropped,
                "connections_refused": status.inbox.refused_handshakes
                    + status.inbox.forged_frames + status.inbox.malformed_frames,
            });
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(error) => error_response(&api, &error),
    }
}

/// The body of `POST /members/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    /// The new node's peer (Raft) address.
    raft: SocketAddr,
    /// Its HTTP address, for redirects.
    http: Option<SocketAddr>,
    /// Join as a non-voting learner.
    #[serde(default)]
    learner: bool,
}

fn parse_id(id: &str) -> Result<NodeId, Refusal> {
    match id.parse::<NodeId>() {
        Ok(id) if id != 0 => Ok(id),
        _ => Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!("{id:?} is not a node id (a positive integer)"),
        )),
    }
}

async fn change(api: &Api, change: MembershipChange) -> Response {
    let id = change.node();
    match api.handle.change_membership(change).await {
        Ok(()) => text(
            StatusCode::OK,
            format!("membership change for node {id} accepted"),
        ),
        Err(error) => error_response(api, &error),
    }
}

async fn add_member(
    State(api): State<Arc<Api>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match checked_body(body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    let shape = r#"{"raft": "127.0.0.1:7004", "http": "127.0.0.1:8004", "learner": false}"#;
    let body: MemberBody = match parse_json(&body, shape) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    if let Some(http) = body.http {
        api.http_addrs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, http);
    }
    let addr = body.raft;
    let request = if body.learner {
        MembershipChange::AddLearner { id, addr }
    } else {
        MembershipChange::AddServer { id, addr }
    };
    change(&api, request).await
}

async fn remove_member(State(api): State<Arc<Api>>, Path(id): Path<String>) -> Response {
    match parse_id(&id) {
        Ok(id) => change(&api, MembershipChange::RemoveServer { id }).await,
        Err(rejection) => rejection.into_response(),
    }
}

async fn promote_member(State(api): State<Arc<Api>>, Path(id): Path<String>) -> Response {
    match parse_id(&id) {
        Ok(id) => change(&api, MembershipChange::PromoteLearner { id }).await,
        Err(rejection) => rejection.into_response(),
    }
}

async fn transfer(State(api): State<Arc<Api>>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(rejection) => return rejection.into_response(),
    };
    match api.handle.transfer_leadership(id).await {
        Ok(()) => text(
            StatusCode::OK,
            format!("leadership transfer to node {id} started"),
        ),
        Err(error) => error_response(&api, &error),
    }
}
