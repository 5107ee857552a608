//! The JSON API: one router per resource (`users`, `sessions`, `tweets`, `profiles`,
//! `follows`, `timelines`, `search`, `tags`, `notifications`, `suggestions`, `media`,
//! `health`), merged here, sharing
//! `AppState` (`state`).
//!
//! Every failure is an `ApiError` (`error`, which owns the codes and the error body);
//! unknown `/api/…` paths and wrong methods answer in the same shape. Requests become
//! trusted values in `extract` (bodies, read strictly; who is asking; rate limits) and
//! `paging`; `answers` names the responses many operations share, and `openapi` gathers
//! every handler's description into the served document. Request bodies are limited to
//! 16 KiB (`body`); a larger one is drained (within bounds) before its 413. The one
//! exception is the image upload (`media`), which reads its own body within
//! `--media-max-bytes`.
//!
//! Imports between these files run one way (handlers → `extract`/`paging`/`answers` →
//! `state`/`error`; `openapi` → handlers), and no file imports this one: a test checks.

mod admin;
mod answers;
mod body;
mod error;
mod extract;
mod follows;
mod health;
mod in_flight;
mod limit;
mod media;
mod notifications;
mod openapi;
mod paging;
mod profiles;
mod roles;
mod safety;
mod search;
mod sessions;
mod state;
mod suggestions;
mod tags;
mod timelines;
mod tweets;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use answers::{JsonBodyAnswers, PublicAnswers, SignedInAnswers};
pub use body::MAX_BODY_BYTES;
pub use error::{ApiError, ErrorBody, ErrorCode, ErrorDetail};
pub use health::track_latency;
pub use in_flight::{InFlight, count_in_flight};
pub use limit::{AccountLimiter, Limiter, RateLimits};
pub use state::{AppState, Services};

/// The API routes (`/api/…`, `/healthz`, `/metrics`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(users::router())
        .merge(sessions::router())
        .merge(tweets::router())
        .merge(profiles::router())
        .merge(follows::router())
        .merge(safety::router())
        .merge(admin::router())
        .merge(timelines::router())
        .merge(search::router())
        .merge(tags::router())
        .merge(notifications::router())
        .merge(suggestions::router())
        .merge(media::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(body::limit_body))
        .merge(media::upload_router())
        .merge(health::router())
        .merge(openapi::router())
        .route("/api", axum::routing::any(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("There is no such API endpoint.".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// Which files of `src/http` each file names through `super::` (its imports).
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        }
        let names: BTreeSet<String> = files.keys().cloned().collect();
        files
            .iter()
            .map(|(name, text)| {
                let mut used = BTreeSet::new();
                // Code only: a test module may reach anywhere.
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                for (at, _) in code.match_indices("super::") {
                    let rest = &code[at + "super::".len()..];
                    let word: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if name != "mod" && names.contains(&word) {
                        used.insert(word);
                    } else if name != "mod" && (word.is_empty() || !names.contains(&word)) {
                        // `super::{…}` or `super::Item`: an import of mod.rs itself.
                        used.insert("mod".to_owned());
                    }
                }
                (name.clone(), used)
            })
            .collect()
    }

    #[test]
    fn no_file_imports_mod_rs_and_imports_have_no_circle() {
        let graph = imports();
        for (file, used) in &graph {
            assert!(!used.contains("mod"), "{file}.rs imports http/mod.rs");
        }
        // Depth-first search for a cycle.
        fn visit<'a>(
            node: &'a str,
            graph: &'a BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) {
            if done.contains(node) {
                return;
            }
            if let Some(at) = path.iter().position(|n| *n == node) {
                panic!("import circle: {:?} -> {node}", &path[at..]);
            }
            path.push(node);
            for next in graph.get(node).into_iter().flatten() {
                visit(next, graph, path, done);
            }
            path.pop();
            done.insert(node);
        }
        let mut done = BTreeSet::new();
        for file in graph.keys() {
            visit(file, &graph, &mut Vec::new(), &mut done);
        }
    }
}
