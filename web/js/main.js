// Chirp's web app: wires the modules together and applies the page being shown.
//
//   api.js      HTTP client            socket.js   Socket.IO connection and `watch`
//   router.js   pushState navigation   routes.js   the route table: path → page module
//   pages/      one module per page: what it renders, its title, what it watches
//   auth.js     sign in / up / out     timeline.js the list of tweets
//   tweet.js    one tweet              pending.js  honest new-tweet count
//   banner.js   the "Show N new tweets" button     compose.js  the post box
//   time.js     relative times         profile.js  the profile card
//   people.js   followers / following, suggestions follow.js the Follow button
//   conversation.js a tweet, its parent, reply box
//   notifications.js the unread badge and the notifications page
//   safety.js   Mute / Block / Report on a profile      report.js  the report dialog
//   dialog.js   small modal dialogs                      hidden.js  whom you just blocked or muted
//   blocks.js   the /settings/blocks lists               admin.js   the moderators' /admin page
//   searchbox.js the header's search field               trending.js the Trending box
//   hashtag.js  tag names and their pages
//
// Every page is applied the same way (`renderRoute`): its header, title and tabs, which
// parts show, the timeline it lists and the one the socket watches (so the banner counts
// only what that page would show), then its own `load`. A page whose user or tweet the API
// does not know becomes the not-found page, at the same address.
//
// Data flow: the socket and the API feed `pending` and `timeline`; the banner only shows
// what `pending` counts; nothing the user typed is ever replaced by a re-render. A block or
// mute (here or in another tab) takes that account's tweets out of both at once (hidden.js).

import * as router from './router.js';
import { notFound } from './routes.js';
import * as live from './socket.js';
import { AuthForm, currentUser, renderAccount, signOut } from './auth.js';
import { Banner } from './banner.js';
import { Compose } from './compose.js';
import { Pending } from './pending.js';
import { Timeline } from './timeline.js';
import { ProfileCard } from './profile.js';
import { PeopleList, showSuggestions } from './people.js';
import { startClock } from './time.js';
import { h, replaceChildren } from './dom.js';
import { paintAvatar } from './avatar.js';
import { Conversation } from './conversation.js';
import { Badge, NotificationsPage } from './notifications.js';
import { BlocksPage } from './blocks.js';
import { AdminPage } from './admin.js';
import { reportDialog } from './report.js';
import * as hidden from './hidden.js';
import { SearchBox } from './searchbox.js';
import { Trending } from './trending.js';

const $ = (id) => document.getElementById(id);
const root = document.documentElement;

const state = { me: null, route: null, socketUp: false, renderSeq: 0 };

let toastTimer = 0;
function toast(message) {
  const el = $('toast');
  el.textContent = message;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.classList.remove('show'); el.textContent = ''; }, 5000);
}

/** The report dialog for `tweet` (from its Report action), that tweet chosen. */
async function reportTweet(tweet) {
  const filed = await reportDialog({ username: tweet.author.username, tweet });
  if (filed) toast('Thank you. Your report was sent to the moderators.');
}

const timeline = new Timeline({
  list: $('timeline'),
  status: $('timeline-status'),
  more: $('load-more'),
  topbar: $('topbar'),
  toast,
  onReport: reportTweet,
});
const banner = new Banner({
  button: $('banner'),
  onActivate: (opts) => pending.show(opts),
  keepingPlace: (fn) => timeline.keepingPlace(fn),
});
const pending = new Pending({ timeline, banner, toast });
const needAuth = (message) => authForm.prompt('signin', message);
/** What an empty profile timeline says when a block or mute stands between you. */
function hiddenNote(profile) {
  if (profile.blocks_me) return `@${profile.username} blocked you.`;
  if (profile.blocked_by_me) return `You blocked @${profile.username}, so their tweets are hidden.`;
  if (profile.muted_by_me) return `You muted @${profile.username}, so their tweets are hidden.`;
  return null;
}

/**
 * A block, mute or their undo was confirmed by the server (profile, blocks page): hide or
 * show the account's tweets everywhere, and count the unread notifications again (a hidden
 * account's leave the count). On their profile, an undo loads their tweets back.
 */
function safetyChanged(profile, what) {
  const changed = hidden.setHidden(profile.id, !!(profile.blocked_by_me || profile.muted_by_me));
  // A newly hidden account's tab listener below fetched the count already.
  if (!changed || !hidden.isHidden(profile.id)) badge.refresh();
  const onProfile = state.route && state.route.name === 'user' && timeline.username
    && timeline.username.toLowerCase() === profile.username.toLowerCase();
  if (!onProfile) return;
  timeline.setEmptyNote(hiddenNote(profile));
  if (what === 'unblock' || what === 'unmute') reloadTimeline();
}

const profileCard = new ProfileCard({
  section: $('profile'),
  toast,
  needAuth,
  onSafety: safetyChanged,
});
const people = new PeopleList({
  section: $('people'),
  list: $('people-list'),
  status: $('people-status'),
  more: $('people-more'),
  toast,
  needAuth,
});

const badge = new Badge({ link: $('notif-link'), count: $('notif-badge') });
const notificationsPage = new NotificationsPage({
  section: $('notifications'),
  list: $('notif-list'),
  status: $('notif-status'),
  more: $('notif-more'),
  badge,
  toast,
});
const searchBox = new SearchBox({
  form: $('search-form'),
  input: $('search-q'),
  open: $('search-open'),
  close: $('search-close'),
  bar: $('topbar'),
});
const trending = new Trending({ section: $('trending'), list: $('trending-list') });
const blocksPage = new BlocksPage({ section: $('blocks'), toast, onChange: safetyChanged });
const adminPage = new AdminPage({ section: $('admin'), toast });
// Whoever was just blocked or muted (in this tab or another) leaves the page at once, and
// their notifications leave the unread count (no event says so: ask again).
hidden.onChange((userId, on) => {
  if (!on) return;
  timeline.removeHidden();
  pending.dropHidden();
  badge.refresh();
});
const conversation = new Conversation({
  section: $('conversation'),
  onReport: reportTweet,
  // Our own reply joins the replies at once; the server does not announce it to us.
  onReplied: (tweet) => {
    const [li] = timeline.insert([tweet]);
    if (li) timeline.reveal(li);
  },
  onLike: (id, liked, btn) => timeline.like(id, liked, btn),
  needAuth: (message) => needAuth(message),
  toast,
});

const compose = new Compose({
  form: $('compose'),
  textarea: $('compose-text'),
  left: $('compose-left'),
  counter: $('compose-counter'),
  submit: $('compose-submit'),
  error: $('compose-error'),
  // Our own tweet goes straight to the top; the server sends us no announcement for it.
  onPosted: (tweet) => timeline.insert([tweet]),
});

const authForm = new AuthForm({
  onSignedIn: async (user) => {
    setMe(user);
    connection.reconnect();
    await renderRoute(state.route);
  },
});
timeline.on('needAuth', (message) => authForm.prompt('signin', message));
// An empty home timeline suggests whom to follow instead of a blank page.
timeline.on('empty', () => {
  if (!timeline.home) return;
  const seq = state.renderSeq;
  showSuggestions($('suggestions'), {
    me: state.me, toast, needAuth,
    isCurrent: () => seq === state.renderSeq,
    // Following someone puts their tweets, old ones too, in Home: load it again (the
    // suggestions stay, so that several people can be followed in a row).
    onFollowed: () => { if (seq === state.renderSeq) reloadTimeline(); },
  });
});

/** Load the current timeline page from scratch, keeping the rest of the page. */
async function reloadTimeline() {
  const seq = state.renderSeq;
  const note = timeline.emptyNote;
  timeline.reset({ ...timeline.source, single: false, me: state.me });
  timeline.emptyNote = note;
  pending.reset({ enabled: pending.enabled, me: state.me, username: pending.username, watch: pending.watch });
  try { await timeline.loadInitial(); } catch { /* shown in the status line */ }
  if (seq === state.renderSeq && state.socketUp) pending.catchUp();
}

function setMe(me) {
  // Whom the previous account hid is none of the next one's business.
  if (!me || !state.me || me.id !== state.me.id) hidden.clear();
  state.me = me;
  root.dataset.signedIn = me ? 'true' : 'false';
  renderAccount($('account'), me, {
    onSignOut: async () => {
      try {
        await signOut();
      } catch (e) {
        toast(e.message);
        return;
      }
      setMe(null);
      connection.reconnect();
      await renderRoute(state.route);
    },
    onPrompt: (mode) => authForm.prompt(mode),
  });
  if (me) paintAvatar($('compose-avatar'), me.username);
  badge.start(me);
}

function setConnection(status) {
  root.dataset.socket = status;
  const note = $('conn-note');
  if (status === 'down') {
    note.textContent = 'Reconnecting…';
    note.classList.add('show');
  } else if (status === 'unavailable') {
    note.textContent = 'Live updates unavailable';
    note.classList.add('show');
  } else {
    note.textContent = '';
    note.classList.remove('show');
  }
}

const connection = live.connect({
  onNewTweet: (tweet, watching) => pending.announced(tweet, watching),
  onTweetDeleted: (id) => { pending.deleted(id); adminPage.deleted(id); },
  onNotification: (n) => {
    if (!state.me) return;
    badge.set(n.unread_count);
    if (state.route && state.route.name === 'notifications') notificationsPage.arrived(n);
    if (state.route && state.route.name === 'admin') adminPage.arrived(n);
  },
  onUnreadCount: (n) => { if (state.me) badge.set(n); },
  onStatus: (status) => {
    state.socketUp = status === 'up';
    setConnection(status);
  },
  onConnect: () => {},
  // Once the server watches this page's timeline (after every reconnect too), ask the API
  // what was posted meanwhile: announcements made before that are gone or were another's.
  onWatched: (kind) => { if (kind === pending.watch) pending.catchUp(); },
});

function tab([href, text, current]) {
  return h('a', { className: 'tab', href, 'aria-current': current ? 'page' : null }, text);
}

function renderTabs(tabs) {
  const nav = $('tabs');
  if (tabs) {
    replaceChildren(nav, tabs.tabs.map(tab));
    nav.setAttribute('aria-label', tabs.label);
  } else {
    nav.replaceChildren();
  }
  nav.hidden = !nav.firstChild;
}

/** Every part a page may show; each page's `load` shows its own. */
function hideParts() {
  profileCard.hide();
  people.hide();
  notificationsPage.hide();
  blocksPage.hide();
  adminPage.hide();
  conversation.hide();
  $('not-found').hidden = true;
  $('not-found').replaceChildren();
}

/**
 * Apply `page` for `route` (header, title, tabs, which parts show, the timeline and what the
 * socket watches) and start its `load`; resolves when that has finished.
 */
function applyPage(page, route, seq, { navigated = false, message = null } = {}) {
  const me = state.me;
  const own = !!(me && route.name === 'user' && route.username.toLowerCase() === me.username.toLowerCase());
  const ctx = {
    route, me, own, message,
    timeline, pending, banner, profileCard, people, conversation, notificationsPage, blocksPage, adminPage, searchBox,
    notFoundBox: $('not-found'),
    hiddenNote,
    isCurrent: () => seq === state.renderSeq,
    setTitle: (title) => { if (seq === state.renderSeq) banner.setBaseTitle(title); },
    async loadTimeline({ rethrow = false } = {}) {
      try { await timeline.loadInitial(); } catch (e) { if (rethrow) throw e; /* shown in the status line */ }
    },
    // The API says there is no such user or tweet: the not-found page, at the same address.
    notFound: (text) => {
      if (seq !== state.renderSeq || root.dataset.view === notFound.name) return;
      applyPage(notFound, route, seq, { message: text, navigated: $('view-header').contains(document.activeElement) });
    },
  };

  authForm.show(!!(page.signIn && page.signIn(ctx)));
  $('compose').hidden = !(page.compose && page.compose(ctx));
  replaceChildren($('view-header'), page.header(ctx));
  banner.setBaseTitle(page.title(ctx));
  renderTabs(page.tabs ? page.tabs(ctx) : null);
  const source = page.timeline ? page.timeline(ctx) : null;
  $('timeline').hidden = !source;
  $('timeline').nextElementSibling.hidden = !source;
  $('suggestions').hidden = true;
  $('suggestions').replaceChildren();
  // After an in-app navigation, start screen readers and keyboards at the new page's title
  // (the link that had focus is gone).
  if (navigated) {
    const h1 = $('view-header').querySelector('h1');
    h1.tabIndex = -1;
    h1.focus({ preventScroll: true });
  }

  const watch = page.watch ? page.watch(ctx) : null;
  const { username = null, home = false, replyTo = null, tag = null, query = null } = source || {};
  timeline.reset({ username, home, me, replyTo, tag, query });
  banner.noun = page.noun || ['tweet', 'tweets'];
  // A conversation counts replies only once its tweet is known to exist (pages/conversation.js).
  pending.reset({ enabled: watch !== null && !replyTo, me, username, watch });
  // Where no banner counts, the socket still needs a timeline: everyone's (deletions reach
  // every socket whatever it watches).
  connection.watch(watch || 'everyone');
  hideParts();
  if (page.trending && page.trending(ctx)) trending.show();
  else trending.hide();
  searchBox.showing(route);
  if (page.name === 'notifications') $('notif-link').setAttribute('aria-current', 'page');
  else $('notif-link').removeAttribute('aria-current');
  root.dataset.view = page.name;
  return page.load(ctx);
}

/** Render `route` for the current user. Safe to call again (sign-in, back button). */
async function renderRoute(route, { restoreScroll = 0, navigated = false } = {}) {
  const seq = ++state.renderSeq;
  state.route = route;
  root.dataset.loading = 'true';
  await applyPage(route.page, route, seq, { navigated });
  if (seq !== state.renderSeq) return;
  window.scrollTo(0, restoreScroll);
  root.dataset.loading = 'false';
  root.dataset.ready = 'true';
  pending.render();
  if (state.socketUp) pending.catchUp();
}

// A handle for debugging in the console and for the browser tests (e.g. to cut the socket).
window.chirp = { connection, pending, timeline, banner, compose, profileCard, people, conversation, badge, notificationsPage, blocksPage, adminPage, searchBox, trending };

startClock();
(async () => {
  try {
    setMe(await currentUser());
  } catch (e) {
    setMe(null);
    toast(e.message);
  }
  router.start((route, opts) => renderRoute(route, opts));
})();
