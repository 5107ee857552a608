// "/users/{username}": the profile card (its avatar is the page's only one, with Mute, Block
// and Report on someone else's) over the user's tweets; the post box on your own. No such
// user: the not-found page.

import { h } from '../dom.js';
import { backButton, titled } from './page.js';

export default {
  name: 'user',
  title: ({ route }) => titled('@' + route.username),
  header: ({ route }) => [backButton(),
    h('div', { className: 'view-title' }, h('h1', {}, '@' + route.username), h('p', { className: 'muted' }, 'Tweets'))],
  timeline: ({ route }) => ({ username: route.username }),
  watch: ({ route }) => 'user:' + route.username,
  compose: ({ own }) => own,
  async load(ctx) {
    ctx.profileCard.load(ctx.route.username, ctx.me).then((profile) => {
      // A block or mute between you empties their list: say why, not "hasn't posted yet".
      if (profile && ctx.isCurrent()) ctx.timeline.setEmptyNote(ctx.hiddenNote(profile));
    });
    try {
      await ctx.loadTimeline({ rethrow: true });
    } catch (e) {
      // 400: not even a valid username; 404: no such user.
      if (e.status === 404 || e.status === 400) ctx.notFound('This account doesn’t exist.');
    }
  },
};
