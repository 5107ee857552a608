// "/tags/{name}": the tweets with a hashtag, newest first, with the live "Show N new tweets"
// banner (the socket watches "tag:<name>"). The name in the address is normalised as the
// server does (NFKC, lowercase, `#` optional); one the server refuses is the not-found page.

import { h } from '../dom.js';
import { backButton, titled } from './page.js';

export default {
  name: 'tag',
  title: ({ route }) => titled('#' + route.tag),
  header: ({ route }) => [backButton(),
    h('div', { className: 'view-title' }, h('h1', {}, '#' + route.tag), h('p', { className: 'muted' }, 'Tweets'))],
  timeline: ({ route }) => ({ tag: route.tag }),
  watch: ({ route }) => 'tag:' + route.tag,
  async load(ctx) {
    try {
      await ctx.loadTimeline({ rethrow: true });
    } catch (e) {
      if (e.status === 404 || e.status === 400) ctx.notFound('That is not a hashtag.');
    }
  },
};
