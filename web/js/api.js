// The HTTP API client: one function per endpoint of the contract, JSON in and out.
// Requests are same-origin, so the HttpOnly `chirp_session` cookie carries the session;
// a non-2xx answer becomes an ApiError carrying the server's `code`, `message` and `field`.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

async function request(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body instanceof FormData) {
    init.body = body; // the browser writes the multipart content type and boundary
  } else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'Can’t reach Chirp. Check your connection and try again.');
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: handled below */ }
  if (!res.ok) {
    const e = json && json.error;
    throw new ApiError(
      res.status,
      (e && e.code) || 'http_' + res.status,
      (e && e.message) || `Something went wrong (${res.status}).`,
      e && e.field,
    );
  }
  return json;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  const s = q.toString();
  return s ? '?' + s : '';
}

export const getMe = () => request('GET', '/api/me');
export const signUp = (username, password) => request('POST', '/api/users', { username, password });
export const signIn = (username, password) => request('POST', '/api/sessions', { username, password });
export const signOut = () => request('DELETE', '/api/sessions');

export const getTweet = (id) => request('GET', `/api/tweets/${encodeURIComponent(id)}`);
/** Post a tweet; `replyTo` (a tweet id) makes it a reply; `mediaIds` attach uploads. */
export function postTweet(text, replyTo, mediaIds = []) {
  const body = { text };
  if (replyTo) body.reply_to = replyTo;
  if (mediaIds.length) body.media_ids = mediaIds;
  return request('POST', '/api/tweets', body);
}
/** Upload an image (a File or Blob); resolves to the attachment. */
export function uploadMedia(file, description) {
  const form = new FormData();
  form.append('file', file, file.name || 'image');
  if (description) form.append('description', description);
  return request('POST', '/api/media', form);
}
/** Change an upload's alt text (before a tweet carries it). */
export const describeMedia = (id, description) =>
  request('PUT', `/api/media/${encodeURIComponent(id)}`, { description });
/** A page of the direct replies to tweet `id`, oldest first; `after` walks forward. */
export async function listReplies(id, { after, limit } = {}) {
  const page = await request('GET', `/api/tweets/${encodeURIComponent(id)}/replies` + query({ limit, after: after || undefined }));
  return (page && page.tweets) || [];
}
export const deleteTweet = (id) => request('DELETE', `/api/tweets/${encodeURIComponent(id)}`);
export const setLike = (id, liked) =>
  request(liked ? 'PUT' : 'DELETE', `/api/tweets/${encodeURIComponent(id)}/like`);

/**
 * One page of a timeline, newest first. `home` picks the signed-in user's home timeline,
 * `username` a user's tweets, `tag` a hashtag's tweets, otherwise everyone's;
 * `before`/`after` are tweet ids; `limit` is 1–100.
 */
export async function listTweets({ home, username, tag, before, after, limit } = {}) {
  let base = '/api/tweets';
  if (home) base = '/api/timelines/home';
  else if (username) base = `/api/users/${encodeURIComponent(username)}/tweets`;
  else if (tag) base = `/api/tags/${encodeURIComponent(tag)}/tweets`;
  const page = await request('GET', base + query({ limit, before, after }));
  return (page && page.tweets) || [];
}

/**
 * Search: `type` "tweets" (words, `#tag`, `from:name`; newest first, `before` pages) answers
 * {tweets}; "users" (names beginning with `q`, most followed first) answers {users} and,
 * where there are more, the `next_cursor` to pass as `cursor`.
 */
export const search = (q, type, { before, cursor, limit } = {}) =>
  request('GET', '/api/search' + query({ q, type, limit, before, cursor }));
/** The tweets matching `q`, newest first (a page of them: `before`, `limit`). */
export async function searchTweets(q, { before, limit } = {}) {
  const page = await search(q, 'tweets', { before, limit });
  return (page && page.tweets) || [];
}
/** Up to 10 tags of the last 24 hours, most people first: {tags: [{name, tweets, people}]}. */
export const trendingTags = () => request('GET', '/api/tags/trending');

const userPath = (username) => `/api/users/${encodeURIComponent(username)}`;

/** A profile as the viewer sees it (counts, `followed_by_me`, `follows_me`). */
export const getProfile = (username) => request('GET', userPath(username));
/** Change your own `display_name` and/or `bio`; answers your profile. */
export const updateMe = (changes) => request('PATCH', '/api/me', changes);
/** Follow (`on`) or unfollow; answers their profile as you now see it. */
export const setFollow = (username, on) => request(on ? 'PUT' : 'DELETE', userPath(username) + '/follow');
/** A page of `kind` ("followers" or "following"): {users, next_cursor}. */
export const listPeople = (username, kind, { cursor, limit } = {}) =>
  request('GET', `${userPath(username)}/${kind}` + query({ cursor, limit }));
/** Accounts to follow, most-followed first: {users}. */
export const suggestions = (limit) => request('GET', '/api/suggestions' + query({ limit }));

/** A page of your notifications, newest first: {notifications, unread_count}. */
export const listNotifications = ({ before, limit } = {}) =>
  request('GET', '/api/notifications' + query({ limit, before }));
/** Mark your notifications up to `upTo` (all when absent) as read. */
export const markNotificationsRead = (upTo) =>
  request('POST', '/api/notifications/read', upTo ? { up_to: upTo } : {});

/** Block (`on`) or unblock `username`; answers their profile as you now see it. */
export const setBlock = (username, on) => request(on ? 'PUT' : 'DELETE', userPath(username) + '/block');
/**
 * Mute (`on`) or unmute `username`; a mute also hides their notifications unless
 * `notifications` is false. Answers their profile as you now see it.
 */
export const setMute = (username, on, { notifications = true } = {}) =>
  (on ? request('PUT', userPath(username) + '/mute', { notifications }) : request('DELETE', userPath(username) + '/mute'));
/** A page of the accounts you block, most recent first: {users, next_cursor}. */
export const listBlocks = ({ cursor, limit } = {}) => request('GET', '/api/me/blocks' + query({ cursor, limit }));
/** A page of the accounts you mute, most recent first: {users, next_cursor}. */
export const listMutes = ({ cursor, limit } = {}) => request('GET', '/api/me/mutes' + query({ cursor, limit }));

/**
 * Report `username` to the moderators: `category` is "spam", "abuse", "illegal" or "other",
 * `reason` 1–1000 characters, `tweetIds` up to 20 of their tweets. Answers the report.
 */
export const fileReport = ({ username, tweetIds = [], category, reason }) =>
  request('POST', '/api/reports', { username, tweet_ids: tweetIds, category, reason });

/** Moderators: a page of reports (`status` "open" by default), newest first: {reports}. */
export const listReports = ({ status, before, limit } = {}) =>
  request('GET', '/api/admin/reports' + query({ status, before, limit }));
/** Moderators: close report `id`, with an optional note (≤ 1000); answers the report. */
export const resolveReport = (id, note) =>
  request('POST', `/api/admin/reports/${encodeURIComponent(id)}/resolve`, note ? { note } : {});
/** Moderators: suspend `username`, saying why (1–1000); answers the profile. */
export const suspendUser = (username, reason) =>
  request('POST', `/api/admin/users/${encodeURIComponent(username)}/suspend`, { reason });
/** Moderators: lift `username`'s suspension; answers the profile. */
export const unsuspendUser = (username) =>
  request('POST', `/api/admin/users/${encodeURIComponent(username)}/unsuspend`);
