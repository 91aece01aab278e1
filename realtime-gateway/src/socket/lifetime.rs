//! The life of an authenticated socket (README, "For the life of the socket"):
//! `auth:expiring {expires_at}` is emitted `AUTH_EXPIRING_LEAD` before the
//! token's `exp`, and the socket is disconnected at `exp` unless an
//! `auth:refresh` moved the expiry first.
//!
//! The timer converts the wall-clock `exp` into a `tokio::time::Instant`
//! deadline each time the expiry changes, so tests drive it with a paused
//! clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

/// What the timer asks its socket to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerEvent {
    /// Emit `auth:expiring` for this expiry.
    Expiring(i64),
    /// The token expired un-refreshed: disconnect.
    Expired,
}

/// Milliseconds since the Unix epoch.
pub fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn deadline_for(exp_unix_secs: i64) -> Instant {
    let remaining_ms = exp_unix_secs
        .saturating_mul(1000)
        .saturating_sub(now_unix_ms());
    Instant::now() + Duration::from_millis(u64::try_from(remaining_ms).unwrap_or(0))
}

/// Runs until the socket expires, `cancel` fires, or the expiry sender is
/// dropped. `on_event` is called once per `Expiring` per expiry value, and
/// at most once with `Expired` (after which the timer returns).
pub async fn run_expiry_timer(
    mut expiry: watch::Receiver<i64>,
    lead: Duration,
    cancel: CancellationToken,
    mut on_event: impl FnMut(TimerEvent),
) {
    loop {
        let exp = *expiry.borrow_and_update();
        let expire_at = deadline_for(exp);
        let warn_at = expire_at.checked_sub(lead).unwrap_or_else(Instant::now);
        let mut warned = false;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                changed = expiry.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
                () = sleep_until(warn_at), if !warned => {
                    warned = true;
                    on_event(TimerEvent::Expiring(exp));
                }
                () = sleep_until(expire_at) => {
                    on_event(TimerEvent::Expired);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    fn start(
        exp: i64,
        lead: Duration,
    ) -> (
        watch::Sender<i64>,
        mpsc::UnboundedReceiver<TimerEvent>,
        CancellationToken,
    ) {
        let (tx, rx) = watch::channel(exp);
        let (etx, erx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        tokio::spawn(run_expiry_timer(rx, lead, cancel.clone(), move |e| {
            let _ = etx.send(e);
        }));
        (tx, erx, cancel)
    }

    fn now_secs() -> i64 {
        now_unix_ms() / 1000
    }

    async fn after(secs: u64) {
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn warns_lead_before_exp_then_disconnects_at_exp() {
        let exp = now_secs() + 120;
        let (_tx, mut events, _c) = start(exp, Duration::from_secs(60));
        after(55).await;
        assert!(events.try_recv().is_err(), "no warning before exp - lead");
        after(10).await;
        assert_eq!(events.try_recv(), Ok(TimerEvent::Expiring(exp)));
        after(40).await;
        assert!(events.try_recv().is_err(), "still connected before exp");
        after(20).await;
        assert_eq!(events.try_recv(), Ok(TimerEvent::Expired));
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_moves_both_deadlines() {
        let exp = now_secs() + 120;
        let (tx, mut events, _c) = start(exp, Duration::from_secs(60));
        after(65).await;
        assert_eq!(events.try_recv(), Ok(TimerEvent::Expiring(exp)));
        let new_exp = now_secs() + 300;
        tx.send(new_exp).unwrap();
        after(120).await;
        assert!(
            events.try_recv().is_err(),
            "the old expiry no longer disconnects"
        );
        after(130).await;
        assert_eq!(events.try_recv(), Ok(TimerEvent::Expiring(new_exp)));
        after(60).await;
        assert_eq!(events.try_recv(), Ok(TimerEvent::Expired));
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_already_inside_the_lead_warns_at_once() {
        let exp = now_secs() + 30;
        let (_tx, mut events, _c) = start(exp, Duration::from_secs(60));
        after(1).await;
        assert_eq!(events.try_recv(), Ok(TimerEvent::Expiring(exp)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_disconnected_socket_stops_its_timer() {
        let (_tx, mut events, cancel) = start(now_secs() + 10, Duration::from_secs(5));
        cancel.cancel();
        after(60).await;
        assert!(events.try_recv().is_err());
    }
}
