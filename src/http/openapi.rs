//! The API's OpenAPI 3.1 description, generated from the code and served at
//! `GET /api/openapi.json`.
//!
//! Each handler carries its own `#[utoipa::path]` (method, path, parameters, body, every
//! status it can answer, the shared ones by name from `answers`); the JSON records derive
//! `ToSchema`, the query strings `IntoParams` on the very structs the handlers read. This
//! module only gathers them and adds the two ways to sign in (bearer token, session
//! cookie). Nothing else in `http` imports it. The test command fuzzes a live server from
//! this document (tests/openapi), so a status or a field that is not described here fails
//! the build.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::{ErrorBody, ErrorCode, ErrorDetail};
use super::state::AppState;
use crate::origin::SESSION_COOKIE;

/// The document: every path of the JSON API and the operations endpoints.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chirp",
        description = "A real-time microblog: accounts, tweets and likes. New tweets are also \
                       announced over Socket.IO at /socket.io/ (see docs/API.md).",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        super::users::sign_up,
        super::users::me,
        super::users::user_tweets,
        super::sessions::sign_in,
        super::sessions::sign_out,
        super::tweets::timeline,
        super::tweets::post_tweet,
        super::tweets::one_tweet,
        super::tweets::delete_tweet,
        super::tweets::like,
        super::tweets::unlike,
        super::tweets::replies,
        super::notifications::list,
        super::notifications::mark_read,
        super::profiles::profile,
        super::profiles::update_me,
        super::follows::follow,
        super::follows::unfollow,
        super::follows::followers,
        super::follows::following,
        super::safety::block,
        super::safety::unblock,
        super::safety::mute,
        super::safety::unmute,
        super::safety::blocks,
        super::safety::mutes,
        super::safety::file_report,
        super::admin::reports,
        super::admin::resolve,
        super::admin::suspend,
        super::admin::unsuspend,
        super::admin::set_role,
        super::admin::log,
        super::suggestions::suggestions,
        super::timelines::home,
        super::search::search,
        super::tags::tag_tweets,
        super::tags::trending,
        super::media::upload,
        super::media::describe,
        super::media::serve_file,
        super::health::healthz,
        super::health::render_metrics,
        openapi_json,
    ),
    components(schemas(ErrorBody, ErrorDetail, ErrorCode, super::sessions::SignedIn)),
    modifiers(&SignInMethods),
    tags(
        (name = "accounts", description = "Sign up, and who am I."),
        (name = "sessions", description = "Sign in and out."),
        (name = "tweets", description = "Post, read and delete tweets."),
        (name = "likes", description = "Like and unlike (idempotent)."),
        (name = "profiles", description = "Read profiles; edit your own."),
        (name = "follows", description = "Follow, unfollow, and the lists."),
        (name = "notifications", description = "Follows, likes, replies, mentions of you, and reports for moderators."),
        (name = "search", description = "Search tweets and people; hashtags and trending."),
        (name = "safety", description = "Block, mute and report."),
        (name = "moderation", description = "Reports, suspensions, roles and the log: moderators and admins only."),
        (name = "media", description = "Upload images, describe them, and their files."),
        (name = "operations", description = "Health, metrics and this document."),
    ),
)]
pub struct ApiDoc;

/// The name of the bearer-token security scheme in the document.
pub const BEARER: &str = "bearer";
/// The name of the session-cookie security scheme in the document.
pub const COOKIE: &str = "cookie";

/// Adds the security schemes the operations refer to.
struct SignInMethods;

impl Modify for SignInMethods {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The `token` that `POST /api/sessions` answers; works from anywhere.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The cookie `POST /api/sessions` sets. It counts only for requests without an \
                 `Origin` header, from the server's own origin, or from one listed in \
                 `--cors-origin`.",
            ))),
        );
    }
}

/// The document as served, rendered once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    // Serialising a tree of strings, maps and numbers cannot fail.
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
});

/// Route of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi_json))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses(
        (status = 200, description = "The OpenAPI 3.1 description of this API.",
         content_type = "application/json", body = Object),
    ),
)]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_path() {
        let doc: serde_json::Value = serde_json::from_str(&DOCUMENT).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/users",
            "/api/me",
            "/api/users/{username}/tweets",
            "/api/sessions",
            "/api/tweets",
            "/api/tweets/{id}",
            "/api/tweets/{id}/like",
            "/healthz",
            "/metrics",
            "/api/openapi.json",
            "/api/users/{username}",
            "/api/users/{username}/follow",
            "/api/users/{username}/followers",
            "/api/users/{username}/following",
            "/api/timelines/home",
            "/api/tweets/{id}/replies",
            "/api/notifications",
            "/api/notifications/read",
        ] {
            assert!(paths.contains_key(path), "{path} is missing");
        }
        // Every request body refuses fields it does not name, so the fuzzer checks that too.
        let mut bodies = 0;
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let Some(schema) = op["requestBody"]["content"]["application/json"]
                    .get("schema")
                    .and_then(|s| s["$ref"].as_str())
                else {
                    continue;
                };
                let name = schema.rsplit('/').next().unwrap();
                let body = &doc["components"]["schemas"][name];
                assert_eq!(
                    body["additionalProperties"], false,
                    "{method} {path}: {name} must say additionalProperties: false"
                );
                bodies += 1;
            }
        }
        assert!(bodies >= 5, "only {bodies} request bodies found");
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes[BEARER]["scheme"], "bearer");
        assert_eq!(schemes[COOKIE]["name"], SESSION_COOKIE);
    }

    /// Every error the API can answer, one per `ApiError` variant.
    fn every_error() -> Vec<super::super::ApiError> {
        use super::super::ApiError as E;
        let all = vec![
            E::Invalid(crate::domain::Invalid {
                field: "username",
                message: "x".into(),
            }),
            E::Invalid(crate::domain::Invalid {
                field: "password",
                message: "x".into(),
            }),
            E::Invalid(crate::domain::Invalid {
                field: "text",
                message: "x".into(),
            }),
            E::Invalid(crate::domain::Invalid {
                field: "limit",
                message: "x".into(),
            }),
            E::Invalid(crate::domain::Invalid {
                field: "display_name",
                message: "x".into(),
            }),
            E::Invalid(crate::domain::Invalid {
                field: "bio",
                message: "x".into(),
            }),
            E::Invalid(crate::domain::Invalid {
                field: "cursor",
                message: "x".into(),
            }),
            E::Invalid(crate::domain::Invalid {
                field: "reply_to",
                message: "x".into(),
            }),
            E::NotFoundIn {
                field: "reply_to",
                message: "x".into(),
            },
            E::InvalidJson {
                field: Some("x".into()),
                message: "x".into(),
            },
            E::SelfFollow,
            E::SelfBlock,
            E::SelfMute,
            E::InvalidReport {
                field: Some("tweet_ids"),
                message: "x".into(),
            },
            E::Blocked,
            E::Suspended,
            E::RegistrationsClosed,
            E::UnsupportedMediaType,
            E::NotMultipart,
            E::UnsupportedMedia("x".into()),
            E::MediaAttached,
            E::PayloadTooLarge,
            E::Unauthorized("x"),
            E::InvalidCredentials,
            E::Forbidden("x"),
            E::NotFound("x".into()),
            E::MethodNotAllowed,
            E::UsernameTaken,
            E::RateLimited(1),
            E::Unavailable("x".into()),
            E::Busy(1),
            E::Internal(anyhow::anyhow!("x")),
        ];
        // Adding a variant to `ApiError` breaks this match: list it above, so this test
        // keeps checking that every answer fits the documented body.
        for e in &all {
            match e {
                E::Invalid(_)
                | E::InvalidJson { .. }
                | E::SelfFollow
                | E::SelfBlock
                | E::SelfMute
                | E::InvalidReport { .. }
                | E::Blocked
                | E::Suspended
                | E::RegistrationsClosed
                | E::UnsupportedMediaType
                | E::NotMultipart
                | E::UnsupportedMedia(_)
                | E::MediaAttached
                | E::PayloadTooLarge
                | E::Unauthorized(_)
                | E::InvalidCredentials
                | E::Forbidden(_)
                | E::NotFound(_)
                | E::NotFoundIn { .. }
                | E::MethodNotAllowed
                | E::UsernameTaken
                | E::RateLimited(_)
                | E::Unavailable(_)
                | E::Busy(_)
                | E::Internal(_) => {}
            }
        }
        all
    }

    #[tokio::test]
    async fn every_error_matches_the_documented_error_body() {
        for error in every_error() {
            let response = axum::response::IntoResponse::into_response(error);
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let body: Result<ErrorBody, _> = serde_json::from_slice(&bytes);
            assert!(
                body.is_ok(),
                "{} does not match ErrorBody",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}
