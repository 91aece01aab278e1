//! Tests of the session checker against an in-process fake directory: the
//! point is call counting (collapsing, caching) and failure modes, which the
//! real auth-service cannot be made to show on demand.

use std::sync::atomic::Ordering;

use super::*;
use crate::grpc::fake::spawn_fake;

/// A checker over `channel` with answers cached `ttl`.
fn checker(channel: tonic::transport::Channel, ttl: Duration) -> SessionChecker {
    SessionChecker::new(
        &AuthLink::new(channel, None).unwrap(),
        ttl,
        service_kit::metrics::latency_histogram(),
    )
}

#[tokio::test]
async fn concurrent_checks_of_one_session_make_one_call() {
    let (fake, channel) = spawn_fake().await;
    *fake.delay.lock().unwrap() = Duration::from_millis(200);
    let checker = checker(channel, Duration::from_secs(5));
    let results = futures::future::join_all((0..20).map(|_| {
        let c = checker.clone();
        async move { c.check("u1", "s1").await }
    }))
    .await;
    assert!(results.iter().all(|r| r.as_deref() == Ok("alice")));
    assert_eq!(fake.calls(), 1);
    // Another session of the same user is a different question.
    checker.check("u1", "s2").await.unwrap();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn active_answers_are_cached_for_the_ttl_only() {
    let (fake, channel) = spawn_fake().await;
    let checker = checker(channel, Duration::from_millis(300));
    checker.check("u1", "s1").await.unwrap();
    checker.check("u1", "s1").await.unwrap();
    assert_eq!(fake.calls(), 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    checker.check("u1", "s1").await.unwrap();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn negative_answers_and_failures_are_never_cached() {
    let (fake, channel) = spawn_fake().await;
    let checker = checker(channel, Duration::from_secs(5));
    fake.set_status(SessionStatus::SessionRevoked);
    assert_eq!(
        checker.check("u1", "s1").await,
        Err(AuthError::SessionRevoked)
    );
    assert_eq!(
        checker.check("u1", "s1").await,
        Err(AuthError::SessionRevoked)
    );
    assert_eq!(fake.calls(), 2);

    fake.set_status(SessionStatus::Disabled);
    assert_eq!(checker.check("u1", "s1").await, Err(AuthError::UnknownUser));
    fake.set_status(SessionStatus::UnknownUser);
    assert_eq!(checker.check("u1", "s1").await, Err(AuthError::UnknownUser));

    fake.fail.store(true, Ordering::SeqCst);
    assert_eq!(checker.check("u1", "s1").await, Err(AuthError::Unavailable));
    fake.fail.store(false, Ordering::SeqCst);
    fake.set_status(SessionStatus::Active);
    assert_eq!(checker.check("u1", "s1").await.as_deref(), Ok("alice"));
    assert_eq!(fake.calls(), 6);
}

#[tokio::test]
async fn a_slow_auth_service_is_unavailable_after_the_deadline() {
    let (fake, channel) = spawn_fake().await;
    *fake.delay.lock().unwrap() = Duration::from_secs(3);
    let checker = checker(channel, Duration::from_secs(5));
    let started = std::time::Instant::now();
    assert_eq!(checker.check("u1", "s1").await, Err(AuthError::Unavailable));
    assert!(started.elapsed() < Duration::from_millis(1800));
}

#[tokio::test]
async fn an_unreachable_auth_service_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let channel = crate::grpc::lazy_channel(&format!("http://{addr}")).unwrap();
    let checker = checker(channel, Duration::from_secs(5));
    assert_eq!(checker.check("u1", "s1").await, Err(AuthError::Unavailable));
}

#[tokio::test]
async fn a_revoked_session_is_refused_even_while_cached_active() {
    let (fake, channel) = spawn_fake().await;
    let checker = checker(channel, Duration::from_secs(60));
    checker.check("u1", "s1").await.unwrap();
    checker.revoke("u1", "s1", Duration::ZERO).await;
    assert_eq!(
        checker.check("u1", "s1").await,
        Err(AuthError::SessionRevoked)
    );
    assert_eq!(
        fake.calls(),
        1,
        "the local revoked-set answers without a call"
    );

    checker.check("u1", "s2").await.unwrap();
    checker.revoke("u1", "", Duration::ZERO).await;
    checker.check("u1", "s2").await.unwrap();
    assert_eq!(
        fake.calls(),
        3,
        "a user-wide revocation drops the cached answer"
    );
}

#[tokio::test]
async fn an_answer_in_flight_when_its_session_is_revoked_is_refused_and_not_cached() {
    let (fake, channel) = spawn_fake().await;
    *fake.delay.lock().unwrap() = Duration::from_millis(300);
    let checker = checker(channel, Duration::from_secs(60));
    let in_flight = tokio::spawn({
        let c = checker.clone();
        async move { c.check("u1", "s1").await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    checker.revoke("u1", "", Duration::ZERO).await;
    assert_eq!(in_flight.await.unwrap(), Err(AuthError::SessionRevoked));
    *fake.delay.lock().unwrap() = Duration::ZERO;
    // Not cached: the next check asks again (and the user may log in again).
    assert_eq!(checker.check("u1", "s1").await.as_deref(), Ok("alice"));
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn revoking_other_users_does_not_refuse_an_answer_in_flight() {
    let (fake, channel) = spawn_fake().await;
    *fake.delay.lock().unwrap() = Duration::from_millis(300);
    let checker = checker(channel, Duration::from_secs(60));
    let in_flight = tokio::spawn({
        let c = checker.clone();
        async move { c.check("u1", "s1").await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..1000 {
        checker
            .revoke(&format!("other{i}"), "s", Duration::ZERO)
            .await;
    }
    assert_eq!(in_flight.await.unwrap().as_deref(), Ok("alice"));
}

#[tokio::test]
async fn replayed_old_revocations_change_only_what_they_still_can() {
    let (fake, channel) = spawn_fake().await;
    let checker = checker(channel, Duration::from_secs(60));
    checker.check("u1", "s2").await.unwrap();
    // A user-wide revocation from an hour ago predates every cached answer
    // (they live 60 s): the answer cached now stays.
    checker.revoke("u1", "", Duration::from_secs(3600)).await;
    checker.check("u1", "s2").await.unwrap();
    assert_eq!(fake.calls(), 1, "the fresh answer stayed cached");
    // A session revoked longer ago than the memory is not remembered (the
    // auth-service answers for it); a recent one is.
    checker.revoke("u1", "s8", REVOKED_MEMORY * 2).await;
    checker.check("u1", "s8").await.unwrap();
    assert_eq!(fake.calls(), 2, "asked the auth-service");
    checker.revoke("u1", "s9", Duration::from_secs(3600)).await;
    assert_eq!(
        checker.check("u1", "s9").await,
        Err(AuthError::SessionRevoked)
    );
    assert_eq!(fake.calls(), 2, "answered from memory");
}
