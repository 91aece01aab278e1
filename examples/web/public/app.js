// The demo page: register or log in, join a public or presence room, see
// who is online, chat, watch the connection state, log out. Everything
// goes through the SDK; the page is served from the same origin as the
// auth-service and gateway (examples/web/serve.mjs).

import { createGatehouse } from '/sdk/index.js';

const $ = (sel) => document.querySelector(sel);
const gh = createGatehouse({ authUrl: location.origin, gatewayUrl: location.origin });
// For the browser test and curious developers.
window.gatehouse = gh;

let room = null;
const members = new Map();

function showError(e) {
  $('#error').textContent = e ? `${e.code ?? 'error'}: ${e.message}` : '';
}

/** Runs a UI action, showing its error code if it fails. */
function action(fn) {
  return async (ev) => {
    ev?.preventDefault();
    showError(null);
    try {
      await fn();
    } catch (e) {
      showError(e);
    }
  };
}

function renderMembers() {
  const ul = $('#members');
  ul.replaceChildren(
    ...[...members.values()]
      .sort((a, b) => a.username.localeCompare(b.username))
      .map((m) => Object.assign(document.createElement('li'), { textContent: m.username })),
  );
  $('#count').textContent = String(members.size);
}

function setMembers(list) {
  members.clear();
  for (const m of list ?? []) members.set(m.id, m);
  renderMembers();
}

function addMessage(msg) {
  const li = document.createElement('li');
  const who = document.createElement('b');
  who.textContent = msg.from.username;
  li.append(who, document.createTextNode(msg.body));
  $('#messages').append(li);
  li.scrollIntoView({ block: 'end' });
}

function showLoggedIn(loggedIn) {
  $('#auth-panel').hidden = loggedIn;
  $('#room-panel').hidden = !loggedIn;
  $('#logout').hidden = !loggedIn;
  $('#who').textContent = loggedIn && gh.user ? `signed in as ${gh.user.username}` : '';
  if (!loggedIn) {
    room = null;
    setMembers([]);
    $('#messages').replaceChildren();
    $('#current-room').textContent = '';
  }
}

gh.on('state', async (state, info) => {
  $('#state').textContent = state;
  $('#state').dataset.state = state;
  if (state === 'unauthorized') {
    showLoggedIn(false);
    showError({ code: info.code, message: 'the session ended; log in again' });
  }
  // After a reconnect the SDK has joined the room again; the list may have changed meanwhile.
  if (state === 'connected' && room?.startsWith('presence:')) {
    gh.members(room).then((r) => setMembers(r.members), () => undefined);
  }
});

gh.socket.on('message', (msg) => {
  if (msg.room === room) addMessage(msg);
});
gh.socket.on('presence:join', ({ room: r, user }) => {
  if (r !== room) return;
  members.set(user.id, user);
  renderMembers();
});
gh.socket.on('presence:leave', ({ room: r, user }) => {
  if (r !== room) return;
  members.delete(user.id);
  renderMembers();
});

const credentials = () => ({ username: $('#username').value.trim(), password: $('#password').value });

$('#auth-form').addEventListener('submit', action(async () => {
  await gh.login(credentials());
  showLoggedIn(true);
}));

$('#register').addEventListener('click', action(async () => {
  const { username, password } = credentials();
  await gh.register({ username, password, email: $('#email').value.trim() });
  await gh.login({ username, password });
  showLoggedIn(true);
}));

$('#join-form').addEventListener('submit', action(async () => {
  const next = $('#room').value.trim();
  if (room && room !== next) await gh.leaveRoom(room);
  const ack = await gh.joinRoom(next);
  room = next;
  $('#current-room').textContent = `in ${next}`;
  $('#messages').replaceChildren();
  // Presence rooms answer with their members; other rooms have no member list.
  document.querySelector('aside').hidden = ack.members === undefined;
  setMembers(ack.members);
}));

$('#send-form').addEventListener('submit', action(async () => {
  if (!room) throw Object.assign(new Error('join a room first'), { code: 'not_in_room' });
  await gh.send(room, $('#message').value);
  $('#message').value = '';
}));

$('#logout').addEventListener('click', action(async () => {
  await gh.logout();
  showLoggedIn(false);
}));
