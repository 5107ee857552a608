// "/": signed in, Home (you and whom you follow, with suggestions while it is empty);
// signed out, everyone's tweets under the sign-in card, and titled so, with the Trending box.

import { h } from '../dom.js';
import { timelineTabs, titled } from './page.js';

const what = (me) => (me ? 'Home' : 'Everyone');

export default {
  name: 'home',
  title: ({ me }) => titled(what(me)),
  header: ({ me }) => [h('h1', {}, what(me))],
  tabs: ({ me }) => timelineTabs(me, 'home'),
  timeline: ({ me }) => ({ home: !!me }),
  watch: ({ me }) => (me ? 'home' : 'everyone'),
  compose: ({ me }) => !!me,
  signIn: ({ me }) => !me,
  trending: ({ me }) => !me,
  load: (ctx) => ctx.loadTimeline(),
};
