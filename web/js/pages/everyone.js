// "/everyone": everyone's tweets, the Everyone tab beside Home, with the Trending box.

import { h } from '../dom.js';
import { timelineTabs, titled } from './page.js';

export default {
  name: 'everyone',
  title: () => titled('Everyone'),
  header: () => [h('h1', {}, 'Everyone')],
  tabs: ({ me }) => timelineTabs(me, 'everyone'),
  timeline: () => ({}),
  watch: () => 'everyone',
  compose: ({ me }) => !!me,
  trending: () => true,
  load: (ctx) => ctx.loadTimeline(),
};
