// Gatehouse example client: the flow a front-end app uses.
//
//   register → login → io(url, {auth: {token}}) → whoami → join a room →
//   send a message → keep the socket alive with auth:refresh → log out.
//
// Usage: node client.mjs   (with the stack from ./scripts/dev.sh running)
// AUTH_URL and GATEWAY_URL override the default addresses.
import { io } from "socket.io-client";

const AUTH_URL = process.env.AUTH_URL ?? "http://127.0.0.1:8080";
const GATEWAY_URL = process.env.GATEWAY_URL ?? "http://127.0.0.1:3000";

async function post(path, body, bearer) {
  const headers = { "Content-Type": "application/json" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch(`${AUTH_URL}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  const json = text ? JSON.parse(text) : {};
  if (!response.ok) throw new Error(`${path}: ${response.status} ${json.code}: ${json.message}`);
  return json;
}

// 1. Register (a fresh name each run) and log in.
const username = `demo_${Math.random().toString(36).slice(2, 10)}`;
const password = "a-long-demo-password";
await post("/auth/register", { username, email: `${username}@example.com`, password });
let tokens = await post("/auth/login", { username, password });
console.log(`logged in as ${username}; access token valid ${tokens.expires_in}s`);

// 2. Connect exactly as the seed client does: the token goes in `auth`.
const socket = io(GATEWAY_URL, { auth: { token: tokens.token } });

socket.on("connect_error", async (err) => {
  // err.message is one stable code; see the README's table.
  console.error(`connect_error: ${err.message}`);
  if (err.message === "auth_unavailable") setTimeout(() => socket.connect(), 2000);
  else if (err.message === "token_expired") {
    tokens = await post("/auth/refresh", { refresh_token: tokens.refresh_token });
    socket.auth.token = tokens.token;
    socket.connect();
  } else process.exit(1);
});

// 3. Before the access token expires, the gateway says so; refresh over
//    HTTP and hand the new token to the live socket.
socket.on("auth:expiring", async ({ expires_at }) => {
  console.log(`token expires at ${new Date(expires_at * 1000).toISOString()}; refreshing`);
  tokens = await post("/auth/refresh", { refresh_token: tokens.refresh_token });
  socket.auth.token = tokens.token; // used if the socket ever reconnects
  const ack = await socket.emitWithAck("auth:refresh", { token: tokens.token });
  console.log("auth:refresh ack", ack);
});

socket.on("message", (message) => {
  console.log(`[${message.room}] ${message.from.username}: ${message.body}`);
});

socket.on("disconnect", (reason) => console.log(`disconnected: ${reason}`));

socket.on("connect", async () => {
  console.log(`connected (socket ${socket.id})`);
  console.log("whoami", await socket.emitWithAck("whoami"));
  console.log("room:join", await socket.emitWithAck("room:join", { room: "public:lobby" }));
  console.log("message", await socket.emitWithAck("message", { room: "public:lobby", body: "hello from the example client" }));
  if (!process.env.STAY) {
    // 4. Log out: the gateway closes this socket by itself.
    await post("/auth/logout", { refresh_token: tokens.refresh_token });
    console.log("logged out");
    setTimeout(() => process.exit(0), 1500);
  }
});
