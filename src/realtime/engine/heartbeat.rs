//! The one timer for every session: a sweep forty times per ping timeout that pings each
//! session whose interval has passed, closes those whose ping went unanswered for the
//! timeout, those that never sent a Socket.IO CONNECT in time, and those whose transport
//! failed. No task or timer per socket.

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;

use super::session::{Session, Written};
use super::{Hub, frame};

/// Engine.IO `ping`.
const PING: &str = "2";

impl Hub {
    /// Start the shared heartbeat. (Written here, not beside `Hub`, so that the heartbeat
    /// depends on the hub and not the other way round.)
    pub fn start(self: &Arc<Self>) {
        tokio::spawn(run(Arc::downgrade(self)));
    }
}

/// Sweep until the hub is gone.
async fn run(hub: Weak<Hub>) {
    let period = match hub.upgrade() {
        Some(hub) => sweep_period(&hub),
        None => return,
    };
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ping_frame = frame::text(PING.as_bytes());
    let ping_packet = Bytes::from_static(PING.as_bytes());
    loop {
        ticks.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        sweep(&hub, &ping_frame, &ping_packet);
    }
}

/// Often enough that a timeout fires at most a few percent late (every 500 ms with the
/// default 20 s timeout: a walk over 20k sessions costs about a millisecond).
fn sweep_period(hub: &Hub) -> Duration {
    let shortest = hub.config.ping_interval.min(hub.config.ping_timeout);
    (shortest / 40).clamp(Duration::from_millis(5), Duration::from_millis(500))
}

fn sweep(hub: &Hub, ping_frame: &Bytes, ping_packet: &Bytes) {
    let now = hub.now();
    let interval = hub.config.ping_interval.as_millis() as u64;
    let timeout = hub.config.ping_timeout.as_millis() as u64;
    let connect_timeout = hub.config.connect_timeout.as_millis() as u64;
    let mut to_close: Vec<(Arc<Session>, &'static str)> = Vec::new();
    let mut backlogged = Vec::new();
    hub.registry.for_each(|session| {
        let mut state = session.lock();
        if state.closed {
            return;
        }
        if state.doomed {
            to_close.push((session.clone(), "transport error"));
        } else if state.pong_pending {
            if now.saturating_sub(state.ping_at) >= timeout {
                to_close.push((session.clone(), "ping timeout"));
            }
        } else if !state.established && now.saturating_sub(state.opened_at) >= connect_timeout {
            to_close.push((session.clone(), "connect timeout"));
        } else if now.saturating_sub(state.ping_at) >= interval {
            state.ping_at = now;
            state.pong_pending = true;
            if state.write(ping_frame, ping_packet, hub.config.max_backlog) == Written::Backlogged {
                backlogged.push(session.clone());
            }
        }
    });
    for session in backlogged {
        session.after_write(Written::Backlogged);
    }
    for (session, reason) in to_close {
        hub.close(&session, reason);
    }
}
