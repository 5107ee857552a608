//! The consent page of the authorization-code flow: `GET /oauth/authorize` shows which app
//! asks for what, a sign-in form (or who is signed in already, by the session cookie) and
//! Authorize / Deny; `POST /oauth/authorize` grants a code and redirects to the app (or
//! shows the code, for out-of-band apps) — or redirects with `error=access_denied`.
//!
//! Server-rendered in the web app's style (its stylesheet and classes), every value
//! escaped; never framed (`X-Frame-Options`, `frame-ancestors`); `Referrer-Policy:
//! same-origin`, so that its form carries the page's own `Origin`. The cookie counts only
//! under the origin rule, and a password sent here counts against the sign-in limit.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::content::escape;
use super::error::MastoError;
use super::extract::{ClientAddr, Params};
use super::oauth::{CODE_LIFETIME_MICROS, OOB, check_password, find_app};
use super::scopes::Scopes;
use super::state::MastodonState;
use crate::auth::{new_token, token_hash};
use crate::domain::{User, now_micros};
use crate::origin::session_cookie;
use crate::storage::{AuthCode, ClientApp};

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new().route("/oauth/authorize", get(show).post(decide))
}

/// An authorization request, checked against the app it names.
struct Ask {
    app: ClientApp,
    redirect_uri: String,
    scopes: Scopes,
    state: Option<String>,
    challenge: Option<(String, String)>,
}

/// Why a request is not shown: said on the page when nothing can be trusted (an unknown
/// app, an unregistered redirect URI: never sent to an unchecked URI), else told the app by
/// a redirect.
enum Refusal {
    Page(&'static str),
    Redirect(Box<Response>),
}

impl Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Page(why) => refused(why),
            Self::Redirect(redirect) => *redirect,
        }
    }
}

/// Read and check an authorization request.
async fn ask(state: &MastodonState, params: &Params) -> Result<Ask, Refusal> {
    let client_id = params.str("client_id").unwrap_or_default();
    let app = match find_app(state, &client_id).await {
        Ok(Some(app)) => app,
        Ok(None) => return Err(Refusal::Page("There is no app with this client_id.")),
        Err(_) => return Err(Refusal::Page("The server cannot check this app right now.")),
    };
    let registered: Vec<&str> = app.redirect_uris.lines().collect();
    let redirect_uri = match params.str("redirect_uri") {
        Some(uri) if registered.contains(&uri.as_str()) => uri,
        None if registered.len() == 1 => registered[0].to_owned(),
        _ => {
            return Err(Refusal::Page(
                "The redirect_uri is not one this app registered.",
            ));
        }
    };
    let state_param = params.str("state");
    let fail = |code: &str| {
        let to = redirect(&redirect_uri, &[("error", code)], state_param.as_deref());
        Err(Refusal::Redirect(Box::new(to)))
    };
    if params.str("response_type").as_deref() != Some("code") {
        return fail("unsupported_response_type");
    }
    let granted = Scopes::parse(&app.scopes, "read").unwrap_or_default();
    let scopes = match Scopes::parse(&params.str("scope").unwrap_or_default(), "read") {
        Ok(scopes) if scopes.within(&granted) => scopes,
        _ => return fail("invalid_scope"),
    };
    let challenge = match params.str("code_challenge").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            let method = params
                .str("code_challenge_method")
                .unwrap_or_else(|| "plain".into());
            // RFC 7636: 43–128 unreserved characters.
            let unreserved = c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !matches!(method.as_str(), "S256" | "plain")
                || !(43..=128).contains(&c.len())
                || !unreserved
            {
                return fail("invalid_request");
            }
            Some((c, method))
        }
    };
    Ok(Ask {
        app,
        redirect_uri,
        scopes,
        state: state_param,
        challenge,
    })
}

/// A redirect to `uri` with `pairs` (and `state`) added to its query.
fn redirect(uri: &str, pairs: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut query: Vec<(&str, &str)> = pairs.to_vec();
    if let Some(state) = state {
        query.push(("state", state));
    }
    let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
    let joiner = if uri.contains('?') { '&' } else { '?' };
    let location = format!("{uri}{joiner}{encoded}");
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
    )
        .into_response()
}

/// The signed-in user of the session cookie, when it counts here.
async fn cookie_user(state: &MastodonState, headers: &HeaderMap) -> Option<User> {
    let token = session_cookie(headers)?;
    if !state.origins.cookie_counts(headers) {
        return None;
    }
    state
        .sessions
        .session_user(&token_hash(&token))
        .await
        .ok()
        .flatten()
}

/// A page in the web app's frame.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Chirp</title>\
         <link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body>\
         <header class=\"topbar\"><div class=\"topbar-inner\"><a class=\"brand\" href=\"/\">\
         <img class=\"brand-mark\" src=\"/static/favicon.svg\" alt=\"\" width=\"28\" height=\"28\">\
         <span class=\"brand-name\">Chirp</span></a></div></header>\
         <main class=\"column\" id=\"main\"><section class=\"auth card\" aria-labelledby=\"auth-title\">\
         <h2 class=\"auth-title\" id=\"auth-title\">{title}</h2>{body}</section></main></body></html>",
        title = escape(title),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
            (header::CACHE_CONTROL, "no-store"),
            // Not the app-wide `no-referrer`: under it a browser sends `Origin: null` with
            // the form, and the session cookie would not count (the origin rule).
            (header::REFERRER_POLICY, "same-origin"),
        ],
        html,
    )
        .into_response()
}

fn refused(why: &str) -> Response {
    let body = format!("<p class=\"auth-lede\">{}</p>", escape(why));
    page(StatusCode::BAD_REQUEST, "This app cannot sign in", &body)
}

/// The consent form for `ask`; `error` above the buttons when a sign-in failed.
fn consent(ask: &Ask, user: Option<&User>, error: Option<&str>) -> String {
    let mut hidden = vec![
        ("client_id", ask.app.client_id.clone()),
        ("redirect_uri", ask.redirect_uri.clone()),
        ("scope", ask.scopes.to_string()),
        ("response_type", "code".to_owned()),
    ];
    if let Some(state) = &ask.state {
        hidden.push(("state", state.clone()));
    }
    if let Some((challenge, method)) = &ask.challenge {
        hidden.push(("code_challenge", challenge.clone()));
        hidden.push(("code_challenge_method", method.clone()));
    }
    let hidden: String = hidden
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
                escape(v)
            )
        })
        .collect();
    let scopes: String = ask
        .scopes
        .names()
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", escape(s)))
        .collect();
    let who = match user {
        Some(user) => format!(
            "<p class=\"auth-lede\" id=\"signed-in-as\">Signed in as <strong>@{}</strong>.</p>",
            escape(&user.username)
        ),
        None => "<div class=\"field\"><label for=\"username\">Username</label>\
             <input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" \
             autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"64\" required></div>\
             <div class=\"field\"><label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" \
             autocomplete=\"current-password\" maxlength=\"256\" required></div>"
            .to_owned(),
    };
    let error = error
        .map(|e| format!("<p class=\"form-error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    format!(
        "<p class=\"auth-lede\"><strong id=\"app-name\">{name}</strong> would like to use your \
         Chirp account, with these permissions:</p><ul class=\"scopes\">{scopes}</ul>\
         <form class=\"auth-form\" method=\"post\" action=\"/oauth/authorize\">{hidden}{who}{error}\
         <button type=\"submit\" class=\"btn btn-primary btn-block\" name=\"decision\" \
         value=\"approve\" id=\"authorize\">Authorize</button> \
         <button type=\"submit\" class=\"btn btn-quiet btn-block\" name=\"decision\" value=\"deny\" \
         id=\"deny\" formnovalidate>Deny</button></form>",
        name = escape(&ask.app.name),
    )
}

/// The consent page.
async fn show(State(state): State<MastodonState>, headers: HeaderMap, params: Params) -> Response {
    match ask(&state, &params).await {
        Ok(ask) => {
            let user = cookie_user(&state, &headers).await;
            let title = format!("Authorize {}", ask.app.name);
            page(StatusCode::OK, &title, &consent(&ask, user.as_ref(), None))
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// Authorize or deny.
async fn decide(
    State(state): State<MastodonState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, MastoError> {
    let ask = match ask(&state, &params).await {
        Ok(ask) => ask,
        Err(refusal) => return Ok(refusal.into_response()),
    };
    if params.str("decision").as_deref() != Some("approve") {
        return Ok(redirect(
            &ask.redirect_uri,
            &[("error", "access_denied")],
            ask.state.as_deref(),
        ));
    }
    let user = match params.str("username").filter(|u| !u.is_empty()) {
        Some(_) => check_password(&state, address, &params).await?,
        None => cookie_user(&state, &headers).await,
    };
    let Some(user) = user else {
        let title = format!("Authorize {}", ask.app.name);
        let body = consent(&ask, None, Some("Wrong username or password."));
        return Ok(page(StatusCode::UNAUTHORIZED, &title, &body));
    };
    let code = new_token();
    state
        .store
        .create_code(&AuthCode {
            code_hash: token_hash(&code),
            app_id: ask.app.id,
            user_id: user.id,
            redirect_uri: ask.redirect_uri.clone(),
            scopes: ask.scopes.to_string(),
            challenge: ask.challenge.as_ref().map(|c| c.0.clone()),
            challenge_method: ask.challenge.as_ref().map(|c| c.1.clone()),
            expires_at: now_micros() + CODE_LIFETIME_MICROS,
        })
        .await?;
    tracing::info!(user = %user.username, app = %ask.app.name, "authorized a Mastodon app");
    if ask.redirect_uri == OOB {
        let body = format!(
            "<p class=\"auth-lede\">Copy this code into {}:</p><p><code id=\"code\">{}</code></p>",
            escape(&ask.app.name),
            escape(&code)
        );
        return Ok(page(StatusCode::OK, "Authorization code", &body));
    }
    Ok(redirect(
        &ask.redirect_uri,
        &[("code", &code)],
        ask.state.as_deref(),
    ))
}
