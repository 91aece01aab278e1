//! Where presence is counted: per room, each user's number of sockets and
//! their username. With `REDIS_URL` in two Redis hashes per room, changed by
//! Lua scripts so a count and its "first socket" / "last socket" answer are
//! one atomic step across replicas; on a single node in memory.
//!
//! Cost in a room of N users: a join or a leave is O(1) (one script, two
//! hash fields); a listing of up to 100 members is one `HSCAN` of ~100
//! entries; only the server API's full listing reads all N.

use std::collections::HashMap;
use std::sync::Mutex;

use shared_types::socket::WhoAmI;

use crate::redis_conn::RedisConn;

/// One listed member and their sockets in the room (cluster-wide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Who.
    pub user: WhoAmI,
    /// Their sockets in the room.
    pub sockets: u64,
}

/// A room's members: some or all listed, `count` distinct users.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Roster {
    /// The listed members.
    pub listed: Vec<Member>,
    /// Distinct users in the room.
    pub count: u64,
}

/// The store could not answer (Redis unreachable).
#[derive(Debug, thiserror::Error)]
#[error("presence store: {0}")]
pub struct StoreError(String);

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        Self(e.to_string())
    }
}

/// Adds one socket of ARGV[1] (username ARGV[2]); returns the user's sockets.
const JOIN: &str = r"
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return n
";

/// Removes one socket of ARGV[1]; returns the user's remaining sockets.
const LEAVE: &str = r"
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 0
end
return n
";

/// Returns {count, names (id, username pairs), sockets (id, n pairs)} for
/// up to ARGV[1] members (0 = all).
const MEMBERS: &str = r"
local count = redis.call('HLEN', KEYS[1])
local limit = tonumber(ARGV[1])
if limit == 0 then
  return {count, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[1])}
end
local names = redis.call('HSCAN', KEYS[2], 0, 'COUNT', limit)[2]
local sockets = {}
for i = 1, #names, 2 do
  sockets[#sockets + 1] = names[i]
  sockets[#sockets + 1] = redis.call('HGET', KEYS[1], names[i]) or '0'
end
return {count, names, sockets}
";

/// Per room: user id → (username, sockets).
type Rooms = HashMap<String, HashMap<String, (String, u64)>>;

/// The presence counts.
pub enum Store {
    /// This node only.
    Memory(Mutex<Rooms>),
    /// Every replica, in Redis.
    Redis(Box<RedisStore>),
}

/// The Redis side: the connection and the three scripts.
pub struct RedisStore {
    redis: RedisConn,
    /// [`JOIN`], [`LEAVE`], [`MEMBERS`].
    scripts: [redis::Script; 3],
}

fn keys(room: &str) -> [String; 2] {
    // One hash tag per room, so both keys live on one Redis Cluster slot.
    [
        format!("gatehouse:presence:{{{room}}}:sockets"),
        format!("gatehouse:presence:{{{room}}}:names"),
    ]
}

impl Store {
    /// In memory, for a single node.
    pub fn memory() -> Self {
        Self::Memory(Mutex::new(HashMap::new()))
    }

    /// In the Redis at `url`.
    pub fn redis(url: &str) -> anyhow::Result<Self> {
        Ok(Self::Redis(Box::new(RedisStore {
            redis: RedisConn::new(url)?,
            scripts: [JOIN, LEAVE, MEMBERS].map(redis::Script::new),
        })))
    }

    /// Counts one more socket of `user` in `room`; true if it is the user's
    /// first there.
    pub async fn join(&self, room: &str, user: &WhoAmI) -> Result<bool, StoreError> {
        match self {
            Self::Memory(rooms) => {
                let mut rooms = rooms.lock().unwrap_or_else(|p| p.into_inner());
                let entry = rooms
                    .entry(room.to_owned())
                    .or_default()
                    .entry(user.id.clone())
                    .or_insert_with(|| (user.username.clone(), 0));
                entry.1 += 1;
                Ok(entry.1 == 1)
            }
            Self::Redis(r) => {
                let RedisStore { redis, scripts } = r.as_ref();
                let [k1, k2] = keys(room);
                let n: i64 = redis
                    .script(&scripts[0], &[&k1, &k2], &[&user.id, &user.username])
                    .await?;
                Ok(n == 1)
            }
        }
    }

    /// Counts one socket of `user_id` less in `room`; true if it was the
    /// user's last there.
    pub async fn leave(&self, room: &str, user_id: &str) -> Result<bool, StoreError> {
        match self {
            Self::Memory(rooms) => {
                let mut rooms = rooms.lock().unwrap_or_else(|p| p.into_inner());
                let Some(users) = rooms.get_mut(room) else {
                    return Ok(false);
                };
                let last = match users.get_mut(user_id) {
                    Some(entry) if entry.1 > 1 => {
                        entry.1 -= 1;
                        false
                    }
                    Some(_) => {
                        users.remove(user_id);
                        true
                    }
                    None => false,
                };
                if users.is_empty() {
                    rooms.remove(room);
                }
                Ok(last)
            }
            Self::Redis(r) => {
                let RedisStore { redis, scripts } = r.as_ref();
                let [k1, k2] = keys(room);
                let n: i64 = redis.script(&scripts[1], &[&k1, &k2], &[user_id]).await?;
                Ok(n == 0)
            }
        }
    }

    /// Up to `limit` members of `room` (0 = all) and the distinct count.
    pub async fn members(&self, room: &str, limit: usize) -> Result<Roster, StoreError> {
        let limit = if limit == 0 { usize::MAX } else { limit };
        match self {
            Self::Memory(rooms) => {
                let rooms = rooms.lock().unwrap_or_else(|p| p.into_inner());
                let Some(users) = rooms.get(room) else {
                    return Ok(Roster::default());
                };
                let listed = users
                    .iter()
                    .take(limit)
                    .map(|(id, (username, sockets))| Member {
                        user: WhoAmI {
                            id: id.clone(),
                            username: username.clone(),
                        },
                        sockets: *sockets,
                    })
                    .collect();
                Ok(Roster {
                    listed,
                    count: users.len() as u64,
                })
            }
            Self::Redis(r) => {
                let RedisStore { redis, scripts } = r.as_ref();
                let [k1, k2] = keys(room);
                let asked = if limit == usize::MAX {
                    "0".to_owned()
                } else {
                    limit.to_string()
                };
                let (count, names, sockets): (u64, Vec<String>, Vec<String>) =
                    redis.script(&scripts[2], &[&k1, &k2], &[&asked]).await?;
                let sockets: HashMap<&str, u64> = sockets
                    .chunks_exact(2)
                    .map(|p| (p[0].as_str(), p[1].parse().unwrap_or(0)))
                    .collect();
                let listed = names
                    .chunks_exact(2)
                    .filter_map(|p| {
                        let n = *sockets.get(p[0].as_str())?;
                        (n > 0).then(|| Member {
                            user: WhoAmI {
                                id: p[0].clone(),
                                username: p[1].clone(),
                            },
                            sockets: n,
                        })
                    })
                    .take(limit)
                    .collect();
                Ok(Roster { listed, count })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(id: &str) -> WhoAmI {
        WhoAmI {
            id: id.into(),
            username: format!("name-{id}"),
        }
    }

    #[tokio::test]
    async fn a_user_is_one_member_however_many_sockets() {
        let store = Store::memory();
        assert!(store.join("presence:r", &who("a")).await.unwrap());
        assert!(!store.join("presence:r", &who("a")).await.unwrap());
        assert!(store.join("presence:r", &who("b")).await.unwrap());
        let roster = store.members("presence:r", 0).await.unwrap();
        assert_eq!(roster.count, 2);
        let a = roster.listed.iter().find(|m| m.user.id == "a").unwrap();
        assert_eq!((a.sockets, a.user.username.as_str()), (2, "name-a"));
        assert!(!store.leave("presence:r", "a").await.unwrap());
        assert!(store.leave("presence:r", "a").await.unwrap());
        assert!(!store.leave("presence:r", "a").await.unwrap());
        assert_eq!(store.members("presence:r", 1).await.unwrap().count, 1);
        assert!(store.leave("presence:r", "b").await.unwrap());
        assert_eq!(
            store.members("presence:r", 0).await.unwrap(),
            Roster::default()
        );
    }

    #[tokio::test]
    async fn listings_are_capped_but_the_count_is_not() {
        let store = Store::memory();
        for i in 0..150 {
            store
                .join("presence:big", &who(&i.to_string()))
                .await
                .unwrap();
        }
        let some = store.members("presence:big", 100).await.unwrap();
        assert_eq!((some.listed.len(), some.count), (100, 150));
        assert_eq!(
            store.members("presence:big", 0).await.unwrap().listed.len(),
            150
        );
    }
}
