// The Socket.IO connection (the official client, loaded by a classic <script> before this
// module, as `window.io`). Same origin, so the handshake carries the session cookie and the
// server knows who we are; after signing in or out we reconnect so it learns the change.
// Every (re)connect is reported: announcements sent while we were away are not replayed,
// so the page asks the API what it missed.

/**
 * `handlers`: onNewTweet({id, author}), onTweetDeleted(id), onConnect(), onStatus(state)
 * with state "up", "down" or "unavailable". Returns { reconnect(), socket }.
 */
export function connect({ onNewTweet, onTweetDeleted, onConnect, onStatus }) {
  if (typeof window.io !== 'function') {
    onStatus('unavailable');
    return { socket: null, reconnect() {} };
  }
  const socket = window.io({ withCredentials: true });
  let switching = false;

  socket.on('connect', () => {
    switching = false;
    onStatus('up');
    onConnect();
  });
  socket.on('disconnect', () => { if (!switching) onStatus('down'); });
  socket.on('connect_error', () => onStatus('down'));

  // The tutorial's shape: newTweet(true, {id, author}). Be lenient about the flag.
  socket.on('newTweet', (...args) => {
    const tweet = args.find((a) => a && typeof a === 'object');
    if (tweet && Number.isSafeInteger(tweet.id) && tweet.author && typeof tweet.author.username === 'string') {
      onNewTweet(tweet);
    }
  });
  socket.on('tweetDeleted', (payload) => {
    if (payload && Number.isSafeInteger(payload.id)) onTweetDeleted(payload.id);
  });

  return {
    socket,
    /** Reconnect so the server sees the current session cookie. */
    reconnect() {
      switching = true;
      socket.disconnect();
      socket.connect();
    },
  };
}
