//! The visibility rule: which list shows which tweet. Every place that decides it asks here
//! — the home pages picked in memory (`feed::HomePages`), the watch index that routes
//! `newTweet` to sockets (`realtime::watch`) — and the SQL that encodes the same rule for
//! reads from the database (`storage::sql`: `home_where!`, `AUTHOR_TWEETS_*`,
//! `REPLIES_AFTER`, `TWEETS_*`) is checked against it by a model test
//! (`tests/api/visibility.rs`).
//!
//! The rule is asked two ways round: `shows` (does this list show this tweet? for picking a
//! page) and `Audiences` (which lists show this tweet? as keys, for an index of lists that
//! must not visit all of them). A unit test proves the two agree.
//!
//! Next: blocks, mutes and suspensions go here and nowhere else. They are a second question
//! beside "follows": `shows` gains the viewer's hidden authors (blocked either way, muted,
//! suspended) and answers `false` for them on every list a viewer reads; `Audiences` gains
//! the same check for the watch index to apply per recipient; the SQL gains the matching
//! `NOT EXISTS` and the model test its model of them.

/// A list of tweets a viewer can read (and a socket can watch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum List {
    /// Every tweet (`GET /api/tweets`, `watch("everyone")`).
    Everyone,
    /// A viewer's own tweets and those of whom they follow (by the viewer's id).
    Home(i64),
    /// One user's tweets, replies included (by user id).
    User(i64),
    /// The direct replies to one tweet (by tweet id).
    Replies(i64),
}

/// What the rule needs to know of a tweet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Who wrote it.
    pub author: i64,
    /// The tweet it answers, for a reply.
    pub reply_to: Option<i64>,
}

/// Whether `list` shows `tweet`. `follows(author)` answers whether the list's viewer follows
/// `author` (only a home list asks).
pub fn shows(list: List, tweet: Facts, follows: impl FnOnce(i64) -> bool) -> bool {
    match list {
        List::Everyone => true,
        List::Home(viewer) => tweet.author == viewer || follows(tweet.author),
        List::User(user) => tweet.author == user,
        List::Replies(parent) => tweet.reply_to == Some(parent),
    }
}

/// The lists that show a tweet, as keys to look them up by: the same rule as `shows`, turned
/// around for an index keyed by list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audiences {
    /// `List::Everyone` shows every tweet.
    pub everyone: bool,
    /// `List::User(user)` shows it.
    pub user: i64,
    /// `List::Replies(parent)` shows it, for a reply.
    pub replies: Option<i64>,
    /// `List::Home(viewer)` shows it for this viewer (the author)…
    pub home_of: i64,
    /// …and for every viewer who follows this user (the author).
    pub homes_following: i64,
}

impl Audiences {
    /// The lists that show `tweet`.
    pub fn of(tweet: Facts) -> Self {
        Self {
            everyone: true,
            user: tweet.author,
            replies: tweet.reply_to,
            home_of: tweet.author,
            homes_following: tweet.author,
        }
    }

    /// Whether `list` is among them; `follows(viewer, user)` answers for home lists.
    pub fn contains(&self, list: List, follows: impl FnOnce(i64, i64) -> bool) -> bool {
        match list {
            List::Everyone => self.everyone,
            List::User(user) => self.user == user,
            List::Replies(parent) => self.replies == Some(parent),
            List::Home(viewer) => viewer == self.home_of || follows(viewer, self.homes_following),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_list_shows_what_it_says() {
        let reply = Facts {
            author: 1,
            reply_to: Some(10),
        };
        let top = Facts {
            author: 2,
            reply_to: None,
        };
        let follows_2 = |a: i64| a == 2;
        assert!(shows(List::Everyone, reply, follows_2) && shows(List::Everyone, top, follows_2));
        assert!(shows(List::Home(1), reply, follows_2), "own tweets");
        assert!(shows(List::Home(3), top, follows_2), "followed");
        assert!(!shows(List::Home(3), reply, follows_2), "neither");
        assert!(shows(List::User(1), reply, follows_2) && !shows(List::User(1), top, follows_2));
        assert!(shows(List::Replies(10), reply, follows_2));
        assert!(!shows(List::Replies(10), top, follows_2));
        assert!(
            !shows(List::Replies(1), reply, follows_2),
            "by parent, not author"
        );
    }

    #[test]
    fn audiences_are_exactly_the_lists_that_show_a_tweet() {
        // Every list over a few users and tweets, every follow graph of three users.
        let users = [1, 2, 3];
        for graph in 0u32..(1 << 9) {
            let follows = |a: i64, b: i64| graph & (1 << ((a - 1) * 3 + (b - 1))) != 0;
            for author in users {
                for reply_to in [None, Some(1), Some(2)] {
                    let tweet = Facts { author, reply_to };
                    let audiences = Audiences::of(tweet);
                    let lists = [List::Everyone].into_iter().chain(
                        users
                            .iter()
                            .flat_map(|&u| [List::Home(u), List::User(u), List::Replies(u)]),
                    );
                    for list in lists {
                        let viewer = match list {
                            List::Home(v) => v,
                            _ => 0,
                        };
                        assert_eq!(
                            shows(list, tweet, |a| follows(viewer, a)),
                            audiences.contains(list, follows),
                            "{list:?} {tweet:?} graph {graph:b}"
                        );
                    }
                }
            }
        }
    }
}
