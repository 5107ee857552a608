//! The path of change without PostgreSQL, Redis or Node: a recording listener stands in for
//! the sockets and caches, and a scripted broker for the other nodes (their changes go in
//! through the real `Inbox`, as `RedisBroker`'s subscriber hands them over).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::*;
use crate::domain::{Draft, TweetText};

/// What a listener was told, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Told {
    Heard(Change),
    Delivered(Change),
    Missed,
}

/// Records everything; each delivery also goes down a channel to wait on.
struct Recorder {
    told: Mutex<Vec<Told>>,
    delivered: mpsc::UnboundedSender<Change>,
}

impl Recorder {
    fn new() -> (Arc<Self>, mpsc::UnboundedReceiver<Change>) {
        let (delivered, rx) = mpsc::unbounded_channel();
        let recorder = Arc::new(Self {
            told: Mutex::default(),
            delivered,
        });
        (recorder, rx)
    }

    fn told(&self) -> Vec<Told> {
        self.told.lock().unwrap().clone()
    }
}

impl Listener for Recorder {
    fn heard(&self, change: &Change) {
        self.told.lock().unwrap().push(Told::Heard(change.clone()));
    }

    fn deliver(&self, change: &Change) {
        self.told
            .lock()
            .unwrap()
            .push(Told::Delivered(change.clone()));
        let _ = self.delivered.send(change.clone());
    }

    fn missed(&self) {
        self.told.lock().unwrap().push(Told::Missed);
    }
}

/// Another node's side of a cluster, scripted: always subscribed and settled, with
/// `others` other nodes, keeping what this node publishes.
struct Scripted {
    others: usize,
    published: Mutex<Vec<Change>>,
}

#[async_trait]
impl Broker for Scripted {
    fn publish(&self, change: &Change, _ack: Option<broker::Ack>) {
        self.published.lock().unwrap().push(change.clone());
    }

    // Subscribed, settled and healthy as one node alone is.
    fn subscribed(&self) -> bool {
        MemoryBroker.subscribed()
    }

    fn unsettled(&self) -> bool {
        MemoryBroker.unsettled()
    }

    fn health(&self) -> Result<(), String> {
        MemoryBroker.health()
    }

    async fn other_nodes(&self) -> Option<usize> {
        Some(self.others)
    }

    fn needs_order(&self) -> bool {
        true
    }
}

impl Scripted {
    /// A scripted broker with `others` other nodes, nothing published yet.
    fn new(others: usize) -> Arc<Self> {
        Arc::new(Self {
            others,
            published: Mutex::default(),
        })
    }
}

/// A SQLite store in a temporary directory, with `tweets` tweets by one user (ids 1…).
async fn store_with(tweets: usize) -> (tempfile::TempDir, Arc<dyn Store>, Vec<Change>) {
    let (dir, store, ada) = crate::storage::test_store().await;
    let drafts: Vec<Draft> = (0..tweets)
        .map(|i| {
            let text = TweetText::parse(&format!("tweet {i}")).unwrap();
            Draft::new(ada.clone(), text, None)
        })
        .collect();
    let stored = if drafts.is_empty() {
        Vec::new()
    } else {
        store.create_tweets(&drafts).await.unwrap()
    };
    let changes = stored.iter().map(Change::tweet).collect();
    (dir, store, changes)
}

/// A node alone (no Redis), with `listener`.
fn one_node(store: Arc<dyn Store>, listener: Arc<dyn Listener>) -> Changes {
    Changes::start(
        ChangesConfig {
            store,
            redis_url: None,
            newest_tweet_id: 0,
        },
        vec![listener],
    )
    .unwrap()
}

/// A cluster node over `broker`, with `listener`, and its inbox for other nodes' changes.
fn cluster_node(
    store: Arc<dyn Store>,
    broker: Arc<Scripted>,
    listener: Arc<dyn Listener>,
) -> (Changes, Inbox) {
    let listeners: Listeners = vec![listener].into();
    let confirmations = Arc::new(Confirmations::default());
    let (queue, pending) = mpsc::unbounded_channel();
    let inbox = Inbox {
        listeners: listeners.clone(),
        queue: queue.clone(),
        confirmations: confirmations.clone(),
        store: store.clone(),
    };
    let changes = Changes::run(
        broker,
        listeners,
        confirmations,
        (queue, pending),
        ChangesConfig {
            store,
            redis_url: None,
            newest_tweet_id: 0,
        },
    );
    (changes, inbox)
}

/// The next delivery (a hung test fails rather than waits forever).
async fn next(rx: &mut mpsc::UnboundedReceiver<Change>) -> Change {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a delivery")
        .expect("the delivery task runs")
}

#[tokio::test]
async fn one_node_drops_caches_before_publish_returns_then_tells_sockets_in_order() {
    let (_dir, store, tweets) = store_with(2).await;
    let (recorder, mut delivered) = Recorder::new();
    let changes = one_node(store, recorder.clone());
    assert!(changes.coherent(), "one node's caches are always coherent");
    assert_eq!(changes.health().await, Ok(()));
    changes.publish(tweets[0].clone());
    assert_eq!(
        recorder.told(),
        [Told::Heard(tweets[0].clone())],
        "heard before publish returns"
    );
    changes.publish(Change::deleted(1));
    changes.publish(tweets[1].clone());
    assert_eq!(next(&mut delivered).await, tweets[0]);
    assert_eq!(next(&mut delivered).await, Change::deleted(1));
    assert_eq!(next(&mut delivered).await, tweets[1]);
}

#[tokio::test]
async fn one_node_signs_out_without_waiting_and_tells_its_sockets() {
    let (_dir, store, _) = store_with(0).await;
    let (recorder, mut delivered) = Recorder::new();
    let changes = one_node(store, recorder.clone());
    changes.end_session("hash").await;
    assert_eq!(
        recorder.told(),
        [Told::Heard(Change::session_ended("hash"))]
    );
    assert_eq!(next(&mut delivered).await, Change::session_ended("hash"));
}

#[tokio::test]
async fn a_gap_is_filled_from_the_store_in_order_and_told_to_the_caches() {
    let (_dir, store, tweets) = store_with(3).await;
    let broker = Scripted::new(1);
    let (recorder, mut delivered) = Recorder::new();
    let (_changes, inbox) = cluster_node(store, broker, recorder.clone());
    // Another node's tweet 3 arrives; 1 and 2 never come over the broker.
    assert_eq!(inbox.received(tweets[2].clone()), None);
    for tweet in &tweets {
        assert_eq!(&next(&mut delivered).await, tweet);
    }
    let heard: Vec<Told> = recorder
        .told()
        .into_iter()
        .filter(|t| matches!(t, Told::Heard(_)))
        .collect();
    assert_eq!(
        heard,
        [
            Told::Heard(tweets[2].clone()),
            Told::Heard(tweets[0].clone()),
            Told::Heard(tweets[1].clone()),
        ],
        "the caches hear the arrival at once, and the tweets read from the store"
    );
}

#[tokio::test]
async fn notifications_pass_a_gap_and_deletions_wait_behind_it_once() {
    let (_dir, store, tweets) = store_with(2).await;
    let broker = Scripted::new(1);
    let (recorder, mut delivered) = Recorder::new();
    let (_changes, inbox) = cluster_node(store, broker, recorder);
    let notification = Change::Event(Event::Notification {
        recipient: 1,
        payload: "{}".into(),
    });
    inbox.received(tweets[1].clone());
    inbox.received(Change::deleted(2));
    inbox.received(Change::deleted(2));
    inbox.received(notification.clone());
    assert_eq!(next(&mut delivered).await, notification, "not held");
    assert_eq!(next(&mut delivered).await, tweets[0]);
    assert_eq!(next(&mut delivered).await, tweets[1]);
    assert_eq!(next(&mut delivered).await, Change::deleted(2));
    inbox.received(Change::liked(9));
    assert_eq!(
        next(&mut delivered).await,
        Change::liked(9),
        "the repeated deletion was dropped"
    );
}

#[tokio::test]
async fn own_changes_are_published_and_others_are_not_published_again() {
    let (_dir, store, tweets) = store_with(1).await;
    let broker = Scripted::new(1);
    let (recorder, mut delivered) = Recorder::new();
    let (changes, inbox) = cluster_node(store, broker.clone(), recorder);
    changes.publish(tweets[0].clone());
    inbox.received(Change::profile_changed(4));
    assert_eq!(next(&mut delivered).await, tweets[0]);
    assert_eq!(next(&mut delivered).await, Change::profile_changed(4));
    assert_eq!(*broker.published.lock().unwrap(), [tweets[0].clone()]);
}

#[tokio::test]
async fn a_sign_out_waits_for_every_other_node_to_confirm() {
    let (_dir, store, _) = store_with(0).await;
    let broker = Scripted::new(2);
    let (recorder, _delivered) = Recorder::new();
    let (changes, inbox) = cluster_node(store, broker.clone(), recorder);
    let done = Arc::new(AtomicBool::new(false));
    let signing_out = tokio::spawn({
        let done = done.clone();
        async move {
            changes.end_session("hash").await;
            done.store(true, Ordering::SeqCst);
        }
    });
    // Wait until the sign-out is published (it registers its waiter first).
    while broker.published.lock().unwrap().is_empty() {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        *broker.published.lock().unwrap(),
        [Change::session_ended("hash")]
    );
    let forgotten = Change::Control(Control::SessionForgotten {
        token_hash: "hash".into(),
    });
    assert_eq!(inbox.received(forgotten.clone()), None);
    tokio::task::yield_now().await;
    assert!(!done.load(Ordering::SeqCst), "one of two nodes confirmed");
    inbox.received(forgotten);
    tokio::time::timeout(Duration::from_secs(1), signing_out)
        .await
        .expect("confirmed before the 2 s wait ran out")
        .unwrap();
    assert!(done.load(Ordering::SeqCst));
}

#[tokio::test]
async fn another_nodes_sign_out_is_forgotten_then_confirmed() {
    let (_dir, store, _) = store_with(0).await;
    let broker = Scripted::new(1);
    let (recorder, mut delivered) = Recorder::new();
    let (_changes, inbox) = cluster_node(store, broker, recorder.clone());
    let answer = inbox.received(Change::session_ended("hash"));
    assert_eq!(
        answer,
        Some(Change::Control(Control::SessionForgotten {
            token_hash: "hash".into()
        }))
    );
    assert_eq!(
        recorder.told(),
        [Told::Heard(Change::session_ended("hash"))],
        "forgotten before the confirmation is sent"
    );
    assert_eq!(next(&mut delivered).await, Change::session_ended("hash"));
}

#[tokio::test]
async fn a_lost_subscription_is_missed_by_every_listener() {
    let (_dir, store, _) = store_with(0).await;
    let broker = Scripted::new(1);
    let (recorder, _delivered) = Recorder::new();
    let counter = Arc::new(Counter::default());
    let listeners: Listeners = vec![recorder.clone() as Arc<dyn Listener>, counter.clone()].into();
    let (_changes, inbox) = cluster_node(store, broker, recorder.clone());
    let inbox = Inbox { listeners, ..inbox };
    inbox.missed();
    assert_eq!(recorder.told(), [Told::Missed]);
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
}

/// Counts `missed`.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Listener for Counter {
    fn missed(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
