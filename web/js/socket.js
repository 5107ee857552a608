// The Socket.IO connection (the official client, loaded by a classic <script> before this
// module, as `window.io`). Same origin, so the handshake carries the session cookie and the
// server knows who we are; after signing in or out we reconnect so it learns the change.
//
// It asks for connection state recovery (`auth: {recover: true}`): after a short drop the
// client reconnects with its pid and last offset, and when the server recovered the
// connection (`socket.recovered`) it kept our watch and replays every announcement we
// missed, so the page asks the API nothing. Otherwise (too long away, a server restart,
// another node) the watch is sent again and, once acknowledged, the page asks the API what
// it missed (`onWatched`).
//
// Each page says which timeline it shows with `watch(kind)` ("home", "everyone",
// "user:<name>"); the server then announces only tweets that timeline gains. A new
// connection starts on "everyone", so the watch is sent again after every reconnect, and
// `watching` names a timeline only once the server has acknowledged it: announcements that
// arrive before that belong to the previous timeline.

/**
 * `handlers`: onNewTweet({id, author}), onTweetDeleted(id), onNotification(n) (a
 * notification with the recipient's `unread_count`), onUnreadCount(n) (the count went down:
 * a block or mute took notifications away), onConnect(), onStatus(state)
 * with state "up", "down" or "unavailable", onWatched(kind, ok) when the server answered a
 * watch, onRecovered() when a reconnect was recovered (the watch kept, what was missed on
 * its way). Returns { reconnect(), watch(kind), watching, socket }.
 */
export function connect({ onNewTweet, onTweetDeleted, onConnect, onStatus, onWatched = () => {}, onRecovered = () => {}, onNotification = () => {}, onUnreadCount = () => {} }) {
  if (typeof window.io !== 'function') {
    onStatus('unavailable');
    return { socket: null, watching: null, reconnect() {}, watch() {} };
  }
  const socket = window.io({ withCredentials: true, auth: { recover: true } });
  let switching = false;
  let wanted = 'everyone';
  // The last timeline the server acknowledged (kept across drops: a recovered connection
  // still watches it).
  let confirmed = null;
  let seq = 0;

  const handle = {
    socket,
    /** The timeline the server has confirmed this connection watches (null while unsure). */
    watching: null,
    /** Reconnect so the server sees the current session cookie. */
    reconnect() {
      switching = true;
      handle.watching = null;
      socket.disconnect();
      socket.connect();
    },
    /** Ask the server to announce what timeline `kind` gains (again on every reconnect). */
    watch(kind) {
      wanted = kind;
      handle.watching = null;
      if (socket.connected) send();
    },
  };

  function send() {
    const mine = ++seq;
    const kind = wanted;
    socket.timeout(10_000).emit('watch', kind, (err, answer) => {
      if (mine !== seq || !socket.connected) return; // a newer watch or connection took over
      const ok = !err && !!answer && answer.ok === true;
      handle.watching = ok ? kind : null;
      confirmed = ok ? kind : null;
      onWatched(kind, ok);
    });
  }

  socket.on('connect', () => {
    switching = false;
    onStatus('up');
    if (socket.recovered && confirmed !== null && confirmed === wanted) {
      // The server kept the watch and sends what we missed right after this: no API call.
      handle.watching = confirmed;
      onRecovered();
    } else {
      handle.watching = null;
      confirmed = null;
      send();
    }
    onConnect();
  });
  socket.on('disconnect', () => {
    handle.watching = null;
    if (!switching) onStatus('down');
  });
  socket.on('connect_error', () => onStatus('down'));

  // The tutorial's shape: newTweet(true, {id, author}). Be lenient about the flag.
  socket.on('newTweet', (...args) => {
    const tweet = args.find((a) => a && typeof a === 'object');
    if (tweet && Number.isSafeInteger(tweet.id) && tweet.author && typeof tweet.author.username === 'string') {
      onNewTweet(tweet, handle.watching);
    }
  });
  // Sent to every socket of the recipient, whatever timeline it watches.
  socket.on('notification', (payload) => {
    if (payload && typeof payload === 'object' && Number.isSafeInteger(payload.unread_count)) onNotification(payload);
  });
  // Sent to every socket of the user whose unread count a block or mute lowered.
  socket.on('unreadCount', (payload) => {
    if (payload && Number.isSafeInteger(payload.unread_count)) onUnreadCount(payload.unread_count);
  });
  socket.on('tweetDeleted', (payload) => {
    if (payload && Number.isSafeInteger(payload.id)) onTweetDeleted(payload.id);
  });

  return handle;
}
