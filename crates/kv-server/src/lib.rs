//! # kv-server
//!
//! A replicated key-value store you can run: [`KvStore`] (the state
//! machine) on [`raft_server`], served over HTTP on loopback by the
//! `kv_server` binary. Also the pieces its demo, tests and benchmark
//! share: [`HttpClient`], and [`LocalCluster`], which runs nodes as child
//! processes.
//!
//! The API (keys are URL path segments of at most 1 KiB, bodies at most
//! 1 MiB):
//!
//! | request | answer |
//! | --- | --- |
//! | `PUT /kv/KEY` (body: value) | `200 ok` |
//! | `GET /kv/KEY` (linearizable, ReadIndex) | `200` value, `404` absent |
//! | `DELETE /kv/KEY` | `200 deleted` / `200 was absent` |
//! | `POST /cas/KEY` `{"expected": "a" or null, "new": "b"}` | `200 swapped`, `409` not swapped |
//! | `GET /status` | JSON: role, term, leader, indexes, members |
//! | `POST /members/ID` `{"raft": "H:P", "http": "H:P", "learner": false}` | `200` accepted |
//! | `DELETE /members/ID`, `POST /members/ID/promote` | `200` accepted |
//! | `POST /transfer/ID` | `200` transfer started |
//!
//! A follower answers writes and reads with `421` and the leader's HTTP
//! address in the `x-raft-leader` header (and the body); `503` while no
//! leader is known; `504` on a timeout. Malformed requests get a `400` or
//! `413` whose body says what was wrong.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod command;
mod http;
mod local_cluster;
mod machine;
mod node;

pub use client::{HttpClient, HttpResponse};
pub use command::{Command, decode_value, encode_get, encode_value};
pub use http::{Api, BODY_LEN_MAX, KEY_LEN_MAX, LEADER_HEADER, router};
pub use local_cluster::{KvClient, KvError, LocalCluster, NodeProcess};
pub use machine::KvStore;
pub use node::{NodeArgs, USAGE, main_with_args, run};
