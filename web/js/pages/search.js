// "/search?q=…&type=tweets|users": what the header's search field found, with Tweets | People
// tabs. Tweets match every word (the last also as a prefix), `#tag` and `from:name`; people
// match the beginning of their username or display name. No query yet: a word on what to
// type, and the cursor in the field. No banner: results page backwards only.

import { h } from '../dom.js';
import { searchPath } from '../searchbox.js';
import { backButton, titled } from './page.js';

export default {
  name: 'search',
  title: ({ route }) => titled(route.q ? `Search: ${route.q}` : 'Search'),
  header: ({ route }) => [backButton(),
    h('div', { className: 'view-title' },
      h('h1', {}, 'Search'),
      route.q ? h('p', { className: 'muted search-query' }, `“${route.q}”`) : null)],
  tabs: ({ route }) => (route.q ? {
    label: 'Search results',
    tabs: [[searchPath(route.q), 'Tweets', route.type === 'tweets'],
      [searchPath(route.q, 'users'), 'People', route.type === 'users']],
  } : null),
  // Without a query, the timeline's status line says what to type.
  timeline: ({ route }) => (route.type === 'tweets' || !route.q.trim() ? { query: route.q } : null),
  async load(ctx) {
    const { q, type } = ctx.route;
    if (!q.trim()) {
      ctx.timeline.setStatus('Search tweets by their words, a #tag or from:username, and people by their name.');
      ctx.searchBox.focus();
      return;
    }
    if (type === 'users') {
      // The list loads on its own; the page is ready to use at once.
      ctx.people.search(q, ctx.me);
      return;
    }
    await ctx.loadTimeline();
  },
};
