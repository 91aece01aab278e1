//! Session lifecycle: refresh rotation and reuse detection, logout, logout
//! everywhere, account deletion, and the revocations each one publishes.

use proto::auth::v1::{RevocationReason, SessionStatus};
use serde_json::{Value, json};
use tokio_stream::StreamExt;

use crate::helpers::{TestApp, assert_error, new_user, spawn_app, token_ids};

async fn next_revocation(app: &TestApp, from: u64) -> proto::auth::v1::Revocation {
    let mut stream = app.revocations_from(from).await;
    tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token_and_keeps_the_session() {
    let app = spawn_app().await;
    let login = app.register_and_login(&new_user()).await;
    let response = app.refresh(login["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.unwrap();
    assert_ne!(refreshed["refresh_token"], login["refresh_token"]);
    assert_eq!(refreshed["token_type"], "Bearer");
    assert_eq!(
        token_ids(&refreshed),
        token_ids(&login),
        "same user, same session"
    );
    assert_eq!(app.get_me(refreshed["token"].as_str()).await.status(), 200);
    // The new refresh token works in turn.
    assert_eq!(
        app.refresh(refreshed["refresh_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let login = app.register_and_login(&new_user()).await;
    let (user_id, session_id) = token_ids(&login);
    let spent = login["refresh_token"].as_str().unwrap();
    let refreshed: Value = app.refresh(spent).await.json().await.unwrap();

    assert_error(app.refresh(spent).await, 401, "invalid_refresh_token").await;
    // The thief's replay also killed the legitimate holder's newer token.
    assert_error(
        app.refresh(refreshed["refresh_token"].as_str().unwrap())
            .await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_eq!(
        app.check_session(&user_id, &session_id).await.0,
        SessionStatus::SessionRevoked
    );
    assert_error(
        app.get_me(refreshed["token"].as_str()).await,
        401,
        "invalid_token",
    )
    .await;
    let revocation = next_revocation(&app, 0).await;
    assert_eq!(
        (revocation.user_id.as_str(), revocation.session_id.as_str()),
        (user_id.as_str(), session_id.as_str())
    );
    assert_eq!(revocation.reason(), RevocationReason::RefreshReuse);
}

#[tokio::test]
async fn of_two_concurrent_refreshes_with_one_token_one_wins_and_the_loser_ends_the_session() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let login = app.register_and_login(&new_user()).await;
        let token = login["refresh_token"].as_str().unwrap();
        let (a, b) = tokio::join!(app.refresh(token), app.refresh(token));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 401], "exactly one winner");
        let winner = if a.status().as_u16() == 200 { a } else { b };
        let won: Value = winner.json().await.unwrap();
        // The loser presented a token that was spent by then: the session is
        // revoked, so even the winner's fresh tokens are dead.
        let (user_id, session_id) = token_ids(&won);
        assert_eq!(
            app.check_session(&user_id, &session_id).await.0,
            SessionStatus::SessionRevoked
        );
        assert_error(
            app.refresh(won["refresh_token"].as_str().unwrap()).await,
            401,
            "invalid_refresh_token",
        )
        .await;
    }
}

#[tokio::test]
async fn unknown_and_malformed_refresh_tokens_are_refused() {
    let app = spawn_app().await;
    assert_error(
        app.refresh("not-a-token").await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_error(
        app.refresh(&"x".repeat(10_000)).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_error(app.refresh("").await, 401, "invalid_refresh_token").await;
    let response = app
        .post_json("/auth/refresh", &json!({"refresh_token": {"$ne": ""}}))
        .await;
    assert_error(response, 400, "malformed_request").await;
}

#[tokio::test]
async fn logout_by_refresh_token_ends_that_session_only() {
    let app = spawn_app().await;
    let user = new_user();
    let first = app.register_and_login(&user).await;
    let second: Value = app
        .login(
            user["username"].as_str().unwrap(),
            user["password"].as_str().unwrap(),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .logout(None, &json!({"refresh_token": first["refresh_token"]}))
        .await;
    assert_eq!(response.status(), 204);
    let (user_id, first_sid) = token_ids(&first);
    assert_eq!(
        app.check_session(&user_id, &first_sid).await.0,
        SessionStatus::SessionRevoked
    );
    assert_eq!(
        app.check_session(&user_id, &token_ids(&second).1).await.0,
        SessionStatus::Active
    );
    assert_error(
        app.refresh(first["refresh_token"].as_str().unwrap()).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_error(
        app.logout(None, &json!({"refresh_token": first["refresh_token"]}))
            .await,
        401,
        "invalid_refresh_token",
    )
    .await;
    let revocation = next_revocation(&app, 0).await;
    assert_eq!(
        (revocation.session_id.as_str(), revocation.reason()),
        (first_sid.as_str(), RevocationReason::Logout)
    );
}

#[tokio::test]
async fn logout_all_with_a_bearer_token_ends_every_session() {
    let app = spawn_app().await;
    let user = new_user();
    let mut logins = vec![app.register_and_login(&user).await];
    for _ in 0..2 {
        logins.push(
            app.login(
                user["username"].as_str().unwrap(),
                user["password"].as_str().unwrap(),
            )
            .await
            .json()
            .await
            .unwrap(),
        );
    }
    let bearer = logins[0]["token"].as_str().unwrap();
    assert_error(
        app.logout(None, &json!({"all": true})).await,
        401,
        "invalid_token",
    )
    .await;
    assert_eq!(
        app.logout(Some(bearer), &json!({"all": true}))
            .await
            .status(),
        204
    );
    for login in &logins {
        let (user_id, sid) = token_ids(login);
        assert_eq!(
            app.check_session(&user_id, &sid).await.0,
            SessionStatus::SessionRevoked
        );
    }
    let revocation = next_revocation(&app, 0).await;
    assert_eq!(
        (revocation.session_id.as_str(), revocation.reason()),
        ("", RevocationReason::LogoutAll)
    );
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_removes_everything() {
    let app = spawn_app().await;
    let user = new_user();
    let login = app.register_and_login(&user).await;
    let token = login["token"].as_str().unwrap();
    let (user_id, sid) = token_ids(&login);

    assert_error(
        app.delete_me(token, "wrong-password-1").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.all_users().await.len(),
        1,
        "a wrong password deletes nothing"
    );

    assert_eq!(
        app.delete_me(token, user["password"].as_str().unwrap())
            .await
            .status(),
        204
    );
    assert!(app.all_users().await.is_empty());
    let sessions = app
        .db
        .collection::<mongodb::bson::Document>("sessions")
        .count_documents(mongodb::bson::doc! {})
        .await
        .unwrap();
    assert_eq!(sessions, 0, "sessions and their refresh tokens are gone");
    assert_eq!(
        app.check_session(&user_id, &sid).await.0,
        SessionStatus::UnknownUser
    );
    assert_error(app.get_me(Some(token)).await, 401, "invalid_token").await;
    assert_error(
        app.refresh(login["refresh_token"].as_str().unwrap()).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_error(
        app.login(
            user["username"].as_str().unwrap(),
            user["password"].as_str().unwrap(),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    let revocation = next_revocation(&app, 0).await;
    assert_eq!(
        (revocation.user_id.as_str(), revocation.reason()),
        (user_id.as_str(), RevocationReason::UserDeleted)
    );
}

#[tokio::test]
async fn logout_with_a_spent_refresh_token_ends_the_session_a_thief_refreshed() {
    let app = spawn_app().await;
    let victim = app.register_and_login(&new_user()).await;
    let (user_id, session_id) = token_ids(&victim);
    let stolen = victim["refresh_token"].as_str().unwrap();
    // The thief refreshes first with a copy: the victim's token is now spent.
    let thief: Value = app.refresh(stolen).await.json().await.unwrap();
    assert_eq!(app.get_me(thief["token"].as_str()).await.status(), 200);

    // The victim logs out with the token it holds.
    let response = app.logout(None, &json!({"refresh_token": stolen})).await;
    assert_eq!(response.status(), 204);

    assert_error(
        app.get_me(thief["token"].as_str()).await,
        401,
        "invalid_token",
    )
    .await;
    assert_error(
        app.refresh(thief["refresh_token"].as_str().unwrap()).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_eq!(
        app.check_session(&user_id, &session_id).await.0,
        SessionStatus::SessionRevoked
    );
    // Announced, so gateways close the thief's sockets.
    let revocation = next_revocation(&app, 0).await;
    assert_eq!(
        (revocation.user_id.as_str(), revocation.session_id.as_str()),
        (user_id.as_str(), session_id.as_str())
    );
    assert_eq!(revocation.reason(), RevocationReason::RefreshReuse);
}

#[tokio::test]
async fn logout_with_a_token_that_was_never_issued_changes_nothing() {
    let app = spawn_app().await;
    let login = app.register_and_login(&new_user()).await;
    let response = app
        .logout(None, &json!({"refresh_token": "x".repeat(43)}))
        .await;
    assert_error(response, 401, "invalid_refresh_token").await;
    assert_eq!(app.get_me(login["token"].as_str()).await.status(), 200);
}

/// The `exp` claim of a token response.
fn exp_of(body: &Value) -> i64 {
    crate::helpers::claims(body)["exp"].as_i64().unwrap()
}

#[tokio::test]
async fn no_access_token_outlives_its_session() {
    let app = crate::helpers::spawn_app_with(
        &crate::helpers::mongodb_uri(),
        &[("ACCESS_TOKEN_TTL", "30s"), ("REFRESH_TOKEN_TTL", "30s")],
    )
    .await;
    let login = app.register_and_login(&new_user()).await;
    let session_end = exp_of(&login);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let refreshed: Value = app
        .refresh(login["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    // Uncapped, this token would live 30 s from now: past the session.
    assert_eq!(exp_of(&refreshed), session_end);
    let expires_in = refreshed["expires_in"].as_i64().unwrap();
    assert!((27..=29).contains(&expires_in), "expires_in {expires_in}");
}

#[tokio::test]
async fn two_hundred_concurrent_logouts_all_succeed_and_each_is_announced() {
    let _turn = crate::helpers::heavy().await;
    let app = spawn_app().await;
    let user = new_user();
    // The 200 sessions are opened through the store (200 password checks
    // would only measure argon2); the logouts go through HTTP.
    let user_id = token_ids(&app.register_and_login(&user).await).0;
    let store = auth_service::store::Store::connect(&crate::helpers::mongodb_uri(), app.db.name())
        .await
        .unwrap();
    let end = mongodb::bson::DateTime::from_millis(
        mongodb::bson::DateTime::now().timestamp_millis() + 3_600_000,
    );
    let mut refresh_tokens = Vec::new();
    for _ in 0..200 {
        let token = auth_service::tokens::RefreshToken::generate().unwrap();
        store
            .create_session(&user_id, token.hash, end)
            .await
            .unwrap();
        refresh_tokens.push(token.token);
    }
    let bodies: Vec<Value> = refresh_tokens
        .iter()
        .map(|t| json!({"refresh_token": t}))
        .collect();
    let logouts = bodies.iter().map(|body| app.logout(None, body));
    let statuses: Vec<u16> = futures::future::join_all(logouts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
    // Every logout is in the revocation log, once, at its own position.
    let mut stream = app.revocations_from(0).await;
    let mut sessions = std::collections::BTreeSet::new();
    let mut positions = Vec::new();
    while sessions.len() < 200 {
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        sessions.insert(r.session_id.clone());
        positions.push(r.position);
    }
    assert_eq!(positions, (1..=200).collect::<Vec<u64>>());
}

#[tokio::test]
async fn the_spent_token_list_of_a_session_stays_bounded() {
    let _turn = crate::helpers::heavy().await;
    let app = spawn_app().await;
    let login = app.register_and_login(&new_user()).await;
    let (_, session_id) = token_ids(&login);
    let mut tokens = vec![login["refresh_token"].as_str().unwrap().to_owned()];
    for _ in 0..80 {
        let next: Value = app
            .refresh(tokens.last().unwrap())
            .await
            .json()
            .await
            .unwrap();
        tokens.push(next["refresh_token"].as_str().unwrap().to_owned());
    }
    let session = app
        .db
        .collection::<mongodb::bson::Document>("sessions")
        .find_one(mongodb::bson::doc! {"_id": &session_id})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.get_array("spent_hashes").unwrap().len(), 64);
    // A recently spent token is still detected as reuse and ends the session.
    assert_error(app.refresh(&tokens[70]).await, 401, "invalid_refresh_token").await;
    assert_error(
        app.refresh(tokens.last().unwrap()).await,
        401,
        "invalid_refresh_token",
    )
    .await;
}
