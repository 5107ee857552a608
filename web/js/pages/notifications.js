// "/notifications": your notifications, marked read as they are shown.

import { h } from '../dom.js';
import { backButton, titled } from './page.js';

export default {
  name: 'notifications',
  title: () => titled('Notifications'),
  header: () => [backButton(), h('h1', {}, 'Notifications')],
  load(ctx) {
    // The list loads on its own; the page is ready to use at once.
    ctx.notificationsPage.show(ctx.me);
  },
};
