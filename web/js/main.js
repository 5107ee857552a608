// Chirp's web app: wires the modules together and renders the pages.
//
//   api.js      HTTP client            socket.js   Socket.IO connection and `watch`
//   router.js   pushState routes       auth.js     sign in / up / out, account area
//   timeline.js the list of tweets     tweet.js    one tweet
//   pending.js  honest new-tweet count banner.js   the "Show N new tweets" button
//   compose.js  the post box           time.js     relative times
//   profile.js  the profile card       people.js   followers / following, suggestions
//   follow.js   the Follow button      conversation.js a tweet, its parent, reply box
//   notifications.js the unread badge and the notifications page
//
// Pages: "/" is Home signed in (everyone's tweets signed out), "/everyone", a profile,
// its followers / following, one tweet with its replies (a conversation), notifications.
// Each timeline page (a conversation watches `replies:<id>`) tells the socket which timeline
// to watch, so the banner counts only what that page would show.
//
// Data flow: the socket and the API feed `pending` and `timeline`; the banner only shows
// what `pending` counts; nothing the user typed is ever replaced by a re-render.

import * as router from './router.js';
import * as live from './socket.js';
import { AuthForm, currentUser, renderAccount, signOut } from './auth.js';
import { Banner } from './banner.js';
import { Compose } from './compose.js';
import { Pending } from './pending.js';
import { Timeline } from './timeline.js';
import { ProfileCard } from './profile.js';
import { PeopleList, showSuggestions } from './people.js';
import { startClock } from './time.js';
import { h, icon, replaceChildren } from './dom.js';
import { avatar, paintAvatar } from './avatar.js';
import { Conversation } from './conversation.js';
import { Badge, NotificationsPage } from './notifications.js';

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

const timeline = new Timeline({
  list: $('timeline'),
  status: $('timeline-status'),
  more: $('load-more'),
  topbar: $('topbar'),
  toast,
});
const banner = new Banner({
  button: $('banner'),
  onActivate: (opts) => pending.show(opts),
  keepingPlace: (fn) => timeline.keepingPlace(fn),
});
const pending = new Pending({ timeline, banner, toast });
const needAuth = (message) => authForm.prompt('signin', message);
const profileCard = new ProfileCard({
  section: $('profile'),
  toast,
  needAuth,
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
const conversation = new Conversation({
  section: $('conversation'),
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
  timeline.reset({ username: timeline.username, home: timeline.home, single: false, me: state.me, replyTo: timeline.replyTo });
  pending.reset({ enabled: pending.enabled, me: state.me, username: pending.username, watch: pending.watch });
  try { await timeline.loadInitial(); } catch { /* shown in the status line */ }
  if (seq === state.renderSeq && state.socketUp) pending.catchUp();
}

function setMe(me) {
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
  onTweetDeleted: (id) => pending.deleted(id),
  onNotification: (n) => {
    if (!state.me) return;
    badge.set(n.unread_count);
    if (state.route && state.route.name === 'notifications') notificationsPage.arrived(n);
  },
  onStatus: (status) => {
    state.socketUp = status === 'up';
    setConnection(status);
  },
  onConnect: () => {},
  // Once the server watches this page's timeline (after every reconnect too), ask the API
  // what was posted meanwhile: announcements made before that are gone or were another's.
  onWatched: (kind) => { if (kind === pending.watch) pending.catchUp(); },
});

/** The timeline a route shows, as `watch` names it; null where no banner counts. */
function watchKind(route, me) {
  switch (route.name) {
    case 'home': return me ? 'home' : 'everyone';
    case 'everyone': return 'everyone';
    case 'user': return 'user:' + route.username;
    case 'tweet': return `replies:${route.id}`;
    default: return null;
  }
}

function backButton() {
  const btn = h('button', { type: 'button', className: 'icon-btn', title: 'Back' },
    icon('back'), h('span', { className: 'visually-hidden' }, 'Back'));
  btn.addEventListener('click', () => router.back());
  return btn;
}

function tab(href, text, current) {
  return h('a', { className: 'tab', href, 'aria-current': current ? 'page' : null }, text);
}

function renderTabs(route) {
  const tabs = $('tabs');
  if (state.me && (route.name === 'home' || route.name === 'everyone')) {
    replaceChildren(tabs, tab('/', 'Home', route.name === 'home'), tab('/everyone', 'Everyone', route.name === 'everyone'));
    tabs.setAttribute('aria-label', 'Timelines');
  } else if (route.name === 'people') {
    const base = `/users/${encodeURIComponent(route.username)}`;
    replaceChildren(tabs, tab(`${base}/followers`, 'Followers', route.kind === 'followers'),
      tab(`${base}/following`, 'Following', route.kind === 'following'));
    tabs.setAttribute('aria-label', 'People');
  } else {
    tabs.replaceChildren();
  }
  tabs.hidden = !tabs.firstChild;
}

function renderHeader(route) {
  const header = $('view-header');
  switch (route.name) {
    case 'home':
      replaceChildren(header, h('h1', {}, 'Home'));
      return 'Chirp';
    case 'everyone':
      replaceChildren(header, h('h1', {}, 'Everyone'));
      return 'Chirp';
    case 'people':
      replaceChildren(header, backButton(), avatar(route.username, 'l'),
        h('div', { className: 'view-title' },
          h('h1', {}, '@' + route.username),
          h('p', { className: 'muted' }, route.kind === 'followers' ? 'Followers' : 'Following')));
      return `${route.kind === 'followers' ? 'Followers of' : 'Followed by'} @${route.username} · Chirp`;
    case 'user':
      replaceChildren(header, backButton(), avatar(route.username, 'l'),
        h('div', { className: 'view-title' },
          h('h1', {}, '@' + route.username),
          h('p', { className: 'muted' }, 'Tweets')));
      return `@${route.username} · Chirp`;
    case 'tweet':
      replaceChildren(header, backButton(), h('h1', {}, 'Tweet'));
      return 'Tweet · Chirp';
    case 'notifications':
      replaceChildren(header, backButton(), h('h1', {}, 'Notifications'));
      return 'Notifications · Chirp';
    default:
      replaceChildren(header, backButton(), h('h1', {}, 'Page not found'));
      return 'Not found · Chirp';
  }
}

/** Render `route` for the current user. Safe to call again (sign-in, back button). */
async function renderRoute(route, { restoreScroll = 0, navigated = false } = {}) {
  const seq = ++state.renderSeq;
  state.route = route;
  const me = state.me;
  const own = me && route.name === 'user' && route.username.toLowerCase() === me.username.toLowerCase();

  const isPeople = route.name === 'people';
  const noTimeline = isPeople || route.name === 'notifications';
  authForm.show(!me && route.name === 'home');
  $('compose').hidden = !(me && (route.name === 'home' || route.name === 'everyone' || own));
  banner.setBaseTitle(renderHeader(route));
  renderTabs(route);
  $('timeline').hidden = noTimeline;
  $('timeline').nextElementSibling.hidden = noTimeline;
  $('suggestions').hidden = true;
  $('suggestions').replaceChildren();
  // After an in-app navigation, start screen readers and keyboards at the new page's title
  // (the link that had focus is gone).
  if (navigated) {
    const h1 = $('view-header').querySelector('h1');
    h1.tabIndex = -1;
    h1.focus({ preventScroll: true });
  }

  const username = route.name === 'user' ? route.username : null;
  const watch = watchKind(route, me);
  const replyTo = route.name === 'tweet' ? route.id : null;
  timeline.reset({ username, home: !!me && route.name === 'home', me, replyTo });
  banner.noun = replyTo ? ['reply', 'replies'] : ['tweet', 'tweets'];
  // A conversation counts replies only once its tweet is known to exist (below).
  pending.reset({ enabled: watch !== null && !replyTo, me, username, watch });
  // Where no banner counts, the socket still needs a timeline: everyone's (deletions reach
  // every socket whatever it watches).
  connection.watch(watch || 'everyone');
  if (route.name === 'user') {
    profileCard.load(route.username, me);
  } else {
    profileCard.hide();
  }
  if (isPeople) people.show(route.username, route.kind, me);
  else people.hide();
  if (route.name === 'notifications') $('notif-link').setAttribute('aria-current', 'page');
  else $('notif-link').removeAttribute('aria-current');
  if (route.name === 'notifications') notificationsPage.show(me);
  else notificationsPage.hide();
  if (route.name !== 'tweet') conversation.hide();
  root.dataset.view = route.name;
  root.dataset.loading = 'true';

  if (noTimeline) {
    // The list loads on its own; the page is ready to use at once.
  } else if (route.name === 'tweet') {
    const tweet = await conversation.load(route.id, me, {
      focusReply: location.hash === '#reply',
      status: (text) => timeline.setStatus(text),
    });
    if (seq === state.renderSeq && tweet) {
      banner.setBaseTitle(`@${tweet.author.username}: “${tweet.text.slice(0, 40)}” · Chirp`);
      pending.enabled = true;
      try { await timeline.loadInitial(); } catch { /* shown in the status line */ }
    }
  } else if (route.name === 'notfound') {
    timeline.setStatus('There’s nothing here. Try the home timeline.');
  } else {
    try { await timeline.loadInitial(); } catch { /* shown in the status line */ }
  }
  if (seq !== state.renderSeq) return;
  window.scrollTo(0, restoreScroll);
  root.dataset.loading = 'false';
  root.dataset.ready = 'true';
  pending.render();
  if (state.socketUp) pending.catchUp();
}

// A handle for debugging in the console and for the browser tests (e.g. to cut the socket).
window.chirp = { connection, pending, timeline, banner, compose, profileCard, people, conversation, badge, notificationsPage };

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
