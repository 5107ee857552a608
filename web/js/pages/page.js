// What every page module in this folder exports (as its default), and the header pieces
// they share. Each page says what it renders; main.js applies it the same way for all:
//
//   name                 html[data-view], and `route.name`
//   title(ctx)           document.title ("Everyone · Chirp"); the banner adds "(3) " in front
//   header(ctx)          the view header's children, an <h1> among them
//   tabs?(ctx)           {label, tabs: [[href, text, current]]} under the header
//   timeline?(ctx)       the list of tweets shown: {home?, username?, replyTo?}; none without
//   watch?(ctx)          the timeline the socket watches, which the banner counts (`watch`)
//   noun?                what the banner counts: ['reply', 'replies'] (default tweets)
//   compose?(ctx)        whether the post box shows
//   signIn?(ctx)         whether the sign-in card shows
//   trending?(ctx)       whether the Trending box shows (beside everyone's tweets)
//   load(ctx)            fill the page; may call ctx.notFound(message) (the API said 404)
//
// `ctx` holds the route, `me` (or null), the page's parts (timeline, profileCard, people,
// conversation, notificationsPage, blocksPage, adminPage, searchBox, pending, …) and `setTitle`,
// `loadTimeline`, `notFound`, `hiddenNote(profile)`.

import * as router from '../router.js';
import { h, icon } from '../dom.js';

/** The "Back" button of a page's header. */
export function backButton() {
  const btn = h('button', { type: 'button', className: 'icon-btn', title: 'Back' },
    icon('back'), h('span', { className: 'visually-hidden' }, 'Back'));
  btn.addEventListener('click', () => router.back());
  return btn;
}

/** The Home | Everyone tabs, signed in only. */
export function timelineTabs(me, current) {
  if (!me) return null;
  return { label: 'Timelines', tabs: [['/', 'Home', current === 'home'], ['/everyone', 'Everyone', current === 'everyone']] };
}

/** A page title: "Everyone" → "Everyone · Chirp". */
export const titled = (what) => `${what} · Chirp`;
