//! `Profile`: a user as their profile page shows them — the user, what they say about
//! themselves, counters kept by the store, and how they relate to whoever is looking.

use serde::Serialize;

use super::User;

/// A user's profile as one viewer sees it (the two booleans are false for anonymous viewers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Profile {
    /// `id`, `username`, `created_at`, as everywhere else.
    #[serde(flatten)]
    pub user: User,
    /// Shown beside the username; `""` when not set.
    pub display_name: String,
    /// A few words; `""` when not set.
    pub bio: String,
    /// How many users follow them.
    pub followers_count: i64,
    /// How many users they follow.
    pub following_count: i64,
    /// How many tweets they have (deleted ones not counted).
    pub tweet_count: i64,
    /// Whether the viewer follows them.
    pub followed_by_me: bool,
    /// Whether they follow the viewer.
    pub follows_me: bool,
    /// Whether the viewer blocks them.
    pub blocked_by_me: bool,
    /// Whether they block the viewer.
    pub blocks_me: bool,
    /// Whether the viewer mutes them.
    pub muted_by_me: bool,
    /// Whether the account is suspended (only moderators ever see `true`: to anyone else a
    /// suspended account does not exist).
    pub suspended: bool,
}

/// One page of a followers or following list: most recent follow first, and where the next
/// page starts (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePage {
    /// The users on this page.
    pub users: Vec<Profile>,
    /// The follow id to continue below, when there may be more.
    pub next: Option<i64>,
}
