//! The search index's two parts, called on the store directly (no HTTP, no background mover):
//! on SQLite a new tweet's words wait in `tweet_words_pending` until `index_pending_words`
//! moves them into the FTS5 index; a search reads both, so pages walk every match once, in
//! order, whichever part each tweet is in — before, during and after the move — and deletions
//! leave both. On PostgreSQL (words in the row) the same calls give the same answers.

use chirp::domain::{Draft, Page, PageCursor, SearchQuery, Tweet, TweetText, User, Username};
use chirp::storage::Store;

fn ids(tweets: &[Tweet]) -> Vec<i64> {
    tweets.iter().map(|t| t.id).collect()
}

async fn search(store: &dyn Store, q: &str, limit: i64, cursor: PageCursor) -> Vec<i64> {
    let query = SearchQuery::parse(q).unwrap();
    ids(&store
        .search_tweets(&query, Page { limit, cursor }, None)
        .await
        .unwrap())
}

/// Every match of `q`, walked newest first and then oldest first, `limit` at a time.
async fn walk(store: &dyn Store, q: &str, limit: i64) -> (Vec<i64>, Vec<i64>) {
    let mut down = Vec::new();
    let mut cursor = PageCursor::Newest;
    loop {
        let page = search(store, q, limit, cursor).await;
        let Some(&last) = page.last() else { break };
        down.extend(&page);
        cursor = PageCursor::Before(last);
    }
    let mut up = Vec::new();
    let mut cursor = PageCursor::After(0);
    loop {
        // Each page newest first: reversed to walk up.
        let page = search(store, q, limit, cursor).await;
        let Some(&newest) = page.first() else { break };
        up.extend(page.iter().rev());
        cursor = PageCursor::After(newest);
    }
    (down, up)
}

/// Both walks found `want` (newest first).
fn check(want: &[i64], stage: &str, (down, up): (Vec<i64>, Vec<i64>)) {
    assert_eq!(down, want, "newest first, {stage}");
    let mut oldest_first = want.to_vec();
    oldest_first.reverse();
    assert_eq!(up, oldest_first, "oldest first, {stage}");
}

/// Pages of searches walk the same tweets whichever part of the index they are in.
pub async fn search_reads_pending_words_then_the_index(store: &dyn Store) {
    let ann = store
        .create_user(&Username::parse("ann").unwrap(), "hash")
        .await
        .unwrap();
    let draft = |author: &User, text: &str| {
        Draft::new(author.clone(), TweetText::parse(text).unwrap(), None)
    };
    let mut want = Vec::new();
    for i in 0..9 {
        let texts = [format!("Pagé number {i}"), format!("filler {i}")];
        let drafts: Vec<Draft> = texts.iter().map(|t| draft(&ann, t)).collect();
        let stored = store.create_tweets(&drafts).await.unwrap();
        want.push(stored[0].id);
    }
    want.reverse();
    check(&want, "all pending", walk(store, "page", 2).await);
    check(&want, "prefix, all pending", walk(store, "pa", 4).await);
    // The four oldest move: pages now cross from the pending words into the index.
    let moved = store.index_pending_words(8).await.unwrap();
    let sqlite = moved > 0;
    if sqlite {
        assert_eq!(moved, 8, "the eight oldest rows (tweets and fillers)");
    }
    check(&want, "half moved", walk(store, "page", 2).await);
    check(&want, "prefix, half moved", walk(store, "pa", 3).await);
    assert_eq!(
        search(store, "number 3", 20, PageCursor::Newest).await,
        [want[5]]
    );
    assert_eq!(
        search(store, "number 7", 20, PageCursor::Newest).await,
        [want[1]]
    );
    // Whole words only, in both parts: `numbe` is a prefix only when last.
    assert_eq!(
        search(store, "numbe 3", 20, PageCursor::Newest).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        search(store, "3 numbe", 20, PageCursor::Newest).await,
        [want[5]]
    );
    // Deleted tweets leave both parts.
    store.delete_tweet(want[0], ann.id).await.unwrap();
    store.delete_tweet(want[8], ann.id).await.unwrap();
    let (newest, oldest) = (want[0], want[8]);
    want.retain(|id| *id != newest && *id != oldest);
    check(&want, "after deletions", walk(store, "page", 2).await);
    assert_eq!(
        store.index_pending_words(100).await.unwrap(),
        if sqlite { 9 } else { 0 }
    );
    assert_eq!(
        store.index_pending_words(100).await.unwrap(),
        0,
        "nothing left"
    );
    check(&want, "all moved", walk(store, "page", 2).await);
    check(&want, "prefix, all moved", walk(store, "pag", 5).await);
}
