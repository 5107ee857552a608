// "/users/{username}/followers" and "/following": a list of people, with tabs between the
// two. No such user: the not-found page.

import { h } from '../dom.js';
import { avatar } from '../avatar.js';
import { backButton, titled } from './page.js';

const base = (username) => `/users/${encodeURIComponent(username)}`;

export default {
  name: 'people',
  title: ({ route }) => titled(`${route.kind === 'followers' ? 'Followers of' : 'Followed by'} @${route.username}`),
  header: ({ route }) => [backButton(), avatar(route.username, 'l'),
    h('div', { className: 'view-title' },
      h('h1', {}, '@' + route.username),
      h('p', { className: 'muted' }, route.kind === 'followers' ? 'Followers' : 'Following'))],
  tabs: ({ route }) => ({
    label: 'People',
    tabs: [[`${base(route.username)}/followers`, 'Followers', route.kind === 'followers'],
      [`${base(route.username)}/following`, 'Following', route.kind === 'following']],
  }),
  load(ctx) {
    // The list loads on its own; the page is ready to use at once.
    ctx.people.show(ctx.route.username, ctx.route.kind, ctx.me).then((found) => {
      if (found === false) ctx.notFound('This account doesn’t exist.');
    });
  },
};
