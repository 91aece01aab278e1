//! The presence store's Redis scripts against a real `redis-server`, raced:
//! many sockets of one user joining at once make exactly one "first", and
//! leaving them all makes exactly one "last", with nothing left behind.

use std::sync::Arc;

use realtime_gateway::presence::store::Store;
use shared_types::socket::WhoAmI;

use crate::redis::start_redis;

fn who(id: &str) -> WhoAmI {
    WhoAmI {
        id: id.into(),
        username: format!("name-{id}"),
    }
}

#[tokio::test]
async fn racing_joins_and_leaves_of_one_user_announce_once_each() {
    let redis = start_redis().await;
    let store = Arc::new(Store::redis(&format!("{}?protocol=resp3", redis.url)).unwrap());
    let joins = (0..50).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.join("presence:race", &who("u1")).await.unwrap() })
    });
    let firsts = futures::future::join_all(joins)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(firsts, 1);
    let roster = store.members("presence:race", 100).await.unwrap();
    assert_eq!(roster.count, 1);
    assert_eq!(roster.listed[0].sockets, 50);
    assert_eq!(roster.listed[0].user, who("u1"));

    let leaves = (0..50).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.leave("presence:race", "u1").await.unwrap() })
    });
    let lasts = futures::future::join_all(leaves)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(lasts, 1);
    let empty = store.members("presence:race", 0).await.unwrap();
    assert_eq!((empty.count, empty.listed.len()), (0, 0));
}

#[tokio::test]
async fn listings_cap_at_the_limit_and_the_full_roster_has_everyone() {
    let redis = start_redis().await;
    let store = Store::redis(&format!("{}?protocol=resp3", redis.url)).unwrap();
    for i in 0..300 {
        store
            .join("presence:big", &who(&i.to_string()))
            .await
            .unwrap();
    }
    store.join("presence:big", &who("7")).await.unwrap();
    let some = store.members("presence:big", 100).await.unwrap();
    assert_eq!(some.count, 300);
    assert!(
        !some.listed.is_empty() && some.listed.len() <= 100,
        "{}",
        some.listed.len()
    );
    let all = store.members("presence:big", 0).await.unwrap();
    assert_eq!(all.listed.len(), 300);
    let seven = all.listed.iter().find(|m| m.user.id == "7").unwrap();
    assert_eq!(seven.sockets, 2);
}

#[tokio::test]
async fn an_unreachable_redis_is_an_error_not_a_count() {
    let redis = start_redis().await;
    let url = format!("{}?protocol=resp3", redis.url);
    drop(redis);
    let store = Store::redis(&url).unwrap();
    assert!(store.join("presence:x", &who("u1")).await.is_err());
    assert!(store.members("presence:x", 10).await.is_err());
}
