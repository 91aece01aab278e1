//! Graceful shutdown: requests in flight when the signal arrives finish.

use std::time::Duration;

use crate::helpers::{new_user, spawn_app};

#[tokio::test]
async fn in_flight_requests_finish_after_the_shutdown_signal() {
    let mut app = spawn_app().await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    let (name, password) = (
        user["username"].as_str().unwrap().to_owned(),
        user["password"].as_str().unwrap().to_owned(),
    );
    // Twenty logins queue behind the argon2 semaphore.
    let logins: Vec<_> = (0..20)
        .map(|_| {
            let request = app
                .client
                .post(format!("{}/auth/login", app.address))
                .json(&serde_json::json!({"username": name, "password": password}));
            tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    // Signal once the server is provably working through them: at least one
    // has been answered, and (checked below) not all of them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !logins.iter().any(|l| l.is_finished()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let done_before_signal = logins.iter().filter(|l| l.is_finished()).count();
    assert!(
        (1..20).contains(&done_before_signal),
        "{done_before_signal} of 20 done before the signal: nothing was in flight"
    );
    tokio::time::timeout(Duration::from_secs(30), app.stop())
        .await
        .unwrap()
        .unwrap();
    for login in logins {
        assert_eq!(
            login.await.unwrap().unwrap(),
            200,
            "an in-flight login was dropped"
        );
    }
    assert!(
        app.client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .is_err(),
        "no longer listening"
    );
}
