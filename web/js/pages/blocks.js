// "/settings/blocks": the accounts you block and mute (blocks.js), each with its undo.

import { h } from '../dom.js';
import { backButton, titled } from './page.js';

export default {
  name: 'blocks',
  title: () => titled('Blocked and muted accounts'),
  header: () => [backButton(), h('h1', {}, 'Blocked and muted')],
  load(ctx) {
    // The lists load on their own; the page is ready to use at once.
    ctx.blocksPage.show(ctx.me);
  },
};
