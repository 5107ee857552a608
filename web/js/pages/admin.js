// "/admin": the moderators' page (admin.js): open reports, live, with Resolve, Suspend /
// Unsuspend and Delete. Everyone else is told it is for moderators only.

import { h } from '../dom.js';
import { backButton, titled } from './page.js';

export default {
  name: 'admin',
  title: () => titled('Moderation'),
  header: () => [backButton(),
    h('div', { className: 'view-title' }, h('h1', {}, 'Moderation'), h('p', { className: 'muted' }, 'Open reports'))],
  load(ctx) {
    // The list loads on its own; the page is ready to use at once.
    ctx.adminPage.show(ctx.me);
  },
};
