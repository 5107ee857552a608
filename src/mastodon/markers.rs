//! Markers: where the user stopped reading `home` and `notifications`, kept per account so
//! that every app of theirs resumes at the same place. Setting the notifications marker
//! also marks those notifications read (Chirp's unread badge follows it).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::error::MastoError;
use super::extract::{Params, Token};
use super::notifications::publish_unread;
use super::state::{Limits, MastodonState};
use crate::domain::format_time;
use crate::storage::Marker;

const TIMELINES: [&str; 2] = ["home", "notifications"];

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new().route("/api/v1/markers", get(show).post(set))
}

fn entity(marker: &Marker) -> Value {
    json!({
        "last_read_id": marker.last_read_id.to_string(),
        "version": marker.version,
        "updated_at": format_time(marker.updated_at),
    })
}

async fn show(
    State(state): State<MastodonState>,
    token: Token,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    token.require("read:statuses")?;
    let asked = params.list("timeline");
    let mut out = Map::new();
    for marker in state.store.markers(token.user.id).await? {
        if asked.is_empty() || asked.contains(&marker.timeline) {
            out.insert(marker.timeline.clone(), entity(&marker));
        }
    }
    Ok(Json(Value::Object(out)))
}

/// `home[last_read_id]` in a form, `{"home": {"last_read_id"}}` in JSON.
fn last_read(params: &Params, timeline: &str) -> Result<Option<i64>, MastoError> {
    let raw = match params.0.get(timeline) {
        Some(Value::Object(fields)) => fields.get("last_read_id").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        _ => params.str(&format!("{timeline}[last_read_id]")),
    };
    raw.map(|r| {
        r.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| MastoError::invalid("Validation failed: last_read_id must be an id"))
    })
    .transpose()
}

async fn set(
    State(state): State<MastodonState>,
    token: Token,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    token.require("write:statuses")?;
    let me = token.user.id;
    let mut out = Map::new();
    for timeline in TIMELINES {
        let Some(id) = last_read(&params, timeline)? else {
            continue;
        };
        Limits::check(&state.limits.mark_read, &me).await?;
        let marker = state.store.set_marker(me, timeline, id).await?;
        if timeline == "notifications" {
            state.store.mark_read(me, id).await?;
            publish_unread(&state, me).await?;
        }
        out.insert(timeline.to_owned(), entity(&marker));
    }
    Ok(Json(Value::Object(out)))
}
