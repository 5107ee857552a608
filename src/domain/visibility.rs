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
//! Blocks, mutes and suspensions are the rule's second question, beside "follows": a viewer
//! *hides* some authors (those they block, are blocked by or mute, and every suspended
//! account). No list shows a hidden author's tweet, and the lists that gather many authors
//! (everyone, home, a tag's, search results) also leave out replies to a hidden author's
//! tweets. `hides` is asked for each tweet a viewer could see; an anonymous viewer hides only
//! suspended accounts.

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
    /// One tag's tweets (`GET /api/tags/{name}/tweets`, `watch("tag:<name>")`). Whether a
    /// tweet carries the tag is matched by name where the list is read; the rule here is
    /// only who is hidden, as on every list that gathers many authors.
    Tag,
    /// A search's results (`GET /api/search`); as `Tag`, the matching is the search's own.
    Search,
}

/// What the rule needs to know of a tweet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Who wrote it.
    pub author: i64,
    /// The tweet it answers, for a reply.
    pub reply_to: Option<i64>,
    /// The author of the tweet it answers, for a reply.
    pub reply_to_author: Option<i64>,
}

impl List {
    /// Whether the list gathers many authors' tweets, and so also leaves out replies to the
    /// viewer's hidden authors (a user's own list and a thread's replies do not).
    pub fn gathers(self) -> bool {
        matches!(
            self,
            List::Everyone | List::Home(_) | List::Tag | List::Search
        )
    }
}

/// Whether a viewer who hides the authors `hides` names must not see `tweet` on `list`.
pub fn hidden(list: List, tweet: Facts, hides: impl Fn(i64) -> bool) -> bool {
    hides(tweet.author) || (list.gathers() && tweet.reply_to_author.is_some_and(hides))
}

/// Whether `list` shows `tweet` to a viewer who hides the authors `hides` names.
/// `follows(author)` answers whether the list's viewer follows `author` (only a home list
/// asks).
pub fn shows(
    list: List,
    tweet: Facts,
    follows: impl FnOnce(i64) -> bool,
    hides: impl Fn(i64) -> bool,
) -> bool {
    if hidden(list, tweet, hides) {
        return false;
    }
    match list {
        List::Everyone | List::Tag | List::Search => true,
        List::Home(viewer) => tweet.author == viewer || follows(tweet.author),
        List::User(user) => tweet.author == user,
        List::Replies(parent) => tweet.reply_to == Some(parent),
    }
}

/// The lists that show a tweet, as keys to look them up by: the same rule as `shows`, turned
/// around for an index keyed by list. Who hides the tweet is asked per recipient
/// (`hidden`, with the tweet's `facts`), and only of recipients who hide anyone.
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
    /// The tweet, for asking who hides it.
    pub facts: Facts,
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
            facts: tweet,
        }
    }

    /// Whether `list` is among them, for a viewer who hides what `hides` names;
    /// `follows(viewer, user)` answers for home lists.
    pub fn contains(
        &self,
        list: List,
        follows: impl FnOnce(i64, i64) -> bool,
        hides: impl Fn(i64) -> bool,
    ) -> bool {
        if hidden(list, self.facts, hides) {
            return false;
        }
        match list {
            List::Everyone | List::Tag | List::Search => self.everyone,
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
            reply_to_author: Some(2),
        };
        let top = Facts {
            author: 2,
            reply_to: None,
            reply_to_author: None,
        };
        let follows_2 = |a: i64| a == 2;
        let none = |_: i64| false;
        let shows = |list, tweet, follows: &dyn Fn(i64) -> bool| shows(list, tweet, follows, none);
        assert!(shows(List::Everyone, reply, &follows_2) && shows(List::Everyone, top, &follows_2));
        assert!(shows(List::Home(1), reply, &follows_2), "own tweets");
        assert!(shows(List::Home(3), top, &follows_2), "followed");
        assert!(!shows(List::Home(3), reply, &follows_2), "neither");
        assert!(shows(List::User(1), reply, &follows_2) && !shows(List::User(1), top, &follows_2));
        assert!(shows(List::Replies(10), reply, &follows_2));
        assert!(!shows(List::Replies(10), top, &follows_2));
        assert!(
            !shows(List::Replies(1), reply, &follows_2),
            "by parent, not author"
        );
    }

    #[test]
    fn hidden_authors_leave_every_list_and_their_threads_leave_the_gathering_ones() {
        let reply_to_3 = Facts {
            author: 1,
            reply_to: Some(10),
            reply_to_author: Some(3),
        };
        let hides_1 = |a: i64| a == 1;
        let hides_3 = |a: i64| a == 3;
        let always = |_: i64| true;
        for list in [
            List::Everyone,
            List::Home(1),
            List::User(1),
            List::Replies(10),
        ] {
            assert!(!shows(list, reply_to_3, always, hides_1), "{list:?}");
        }
        assert!(!shows(List::Everyone, reply_to_3, always, hides_3));
        assert!(!shows(List::Tag, reply_to_3, always, hides_3));
        assert!(!shows(List::Search, reply_to_3, always, hides_3));
        assert!(shows(List::Tag, reply_to_3, always, |_| false));
        assert!(!shows(List::Home(5), reply_to_3, always, hides_3));
        assert!(shows(List::User(1), reply_to_3, always, hides_3));
        assert!(shows(List::Replies(10), reply_to_3, always, hides_3));
    }

    #[test]
    fn audiences_are_exactly_the_lists_that_show_a_tweet() {
        // Every list over a few users and tweets, every follow graph of three users.
        let users = [1, 2, 3];
        for graph in 0u32..(1 << 9) {
            let follows = |a: i64, b: i64| graph & (1 << ((a - 1) * 3 + (b - 1))) != 0;
            for author in users {
                for reply_to in [None, Some(1), Some(2)] {
                    let tweet = Facts {
                        author,
                        reply_to,
                        reply_to_author: reply_to.map(|p| 4 - p),
                    };
                    let audiences = Audiences::of(tweet);
                    let lists = [List::Everyone, List::Tag, List::Search].into_iter().chain(
                        users
                            .iter()
                            .flat_map(|&u| [List::Home(u), List::User(u), List::Replies(u)]),
                    );
                    for list in lists {
                        let viewer = match list {
                            List::Home(v) => v,
                            _ => 0,
                        };
                        for hidden in [0, 1, 2, 3] {
                            let hides = |a: i64| a == hidden;
                            assert_eq!(
                                shows(list, tweet, |a| follows(viewer, a), hides),
                                audiences.contains(list, follows, hides),
                                "{list:?} {tweet:?} graph {graph:b} hiding {hidden}"
                            );
                        }
                    }
                }
            }
        }
    }
}
