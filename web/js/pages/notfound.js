// Any path no route knows, and a user or tweet the API says does not exist: what is
// missing, and a way home. The server answers these with 404 (src/web.rs).

import { h, replaceChildren } from '../dom.js';
import { backButton, titled } from './page.js';

export default {
  name: 'notfound',
  title: () => titled('Not found'),
  header: () => [backButton(), h('h1', {}, 'Page not found')],
  load(ctx) {
    replaceChildren(ctx.notFoundBox,
      h('p', { className: 'not-found-text' }, ctx.message || 'There’s nothing here.'),
      h('a', { className: 'btn btn-primary home-link', href: '/' }, 'Go to the home timeline'));
    ctx.notFoundBox.hidden = false;
  },
};
