// The Trending box beside everyone's tweets: up to 10 tags of the last 24 hours, most people
// first (GET /api/tags/trending), each a link to its tag page. Asked again every minute
// while it is shown and the tab is visible; hidden when nothing trends or the API fails
// (a nicety: the timeline does not depend on it). Beside the column on wide screens, a row
// of chips above the timeline on narrow ones (style.css).

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { tagPath } from './hashtag.js';

const REFRESH_MS = 60_000;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export class Trending {
  /** `section` is the box (an <aside>); `list` its <ol>. */
  constructor({ section, list }) {
    this.section = section;
    this.list = list;
    this.shown = false;
    this.generation = 0;
    this.timer = 0;
    document.addEventListener('visibilitychange', () => {
      if (this.shown && !document.hidden) this.refresh();
    });
  }

  /** Show the box and keep it fresh. */
  show() {
    if (this.shown) return this.refresh();
    this.shown = true;
    return this.refresh();
  }

  hide() {
    this.shown = false;
    this.generation++;
    clearTimeout(this.timer);
    this.section.hidden = true;
  }

  async refresh() {
    const gen = ++this.generation;
    clearTimeout(this.timer);
    let tags = [];
    try {
      tags = (await api.trendingTags()).tags || [];
    } catch {
      tags = null; // keep what is shown; try again later
    }
    if (gen !== this.generation || !this.shown) return;
    if (tags) this.render(tags);
    this.timer = setTimeout(() => { if (!document.hidden) this.refresh(); }, REFRESH_MS);
  }

  render(tags) {
    replaceChildren(this.list, tags.map((t) => h('li', { className: 'trend' },
      h('a', { className: 'trend-name', href: tagPath(t.name) }, '#' + t.name),
      h('span', { className: 'trend-count' },
        `${plural(t.people, 'person', 'people')} · ${plural(t.tweets, 'tweet', 'tweets')}`))));
    this.section.hidden = !tags.length;
  }
}
