// The app's pages in one table: a path pattern and the module that renders it (pages/).
// A new page is a new file in pages/ and one line here; the server answers the same paths
// with the app (src/web.rs). Patterns name their parameters: `username`, `kind`, `id`, `tag`;
// the search page reads its query string (`q`, `type`).

import home from './pages/home.js';
import everyone from './pages/everyone.js';
import user from './pages/user.js';
import people from './pages/people.js';
import conversation from './pages/conversation.js';
import notifications from './pages/notifications.js';
import blocks from './pages/blocks.js';
import admin from './pages/admin.js';
import searchPage from './pages/search.js';
import tagPage from './pages/tag.js';
import notFound from './pages/notfound.js';
import { tagName } from './hashtag.js';

const ROUTES = [
  [/^\/?$/, home],
  [/^\/everyone\/?$/, everyone],
  [/^\/users\/(?<username>[^/]+)\/?$/, user],
  [/^\/users\/(?<username>[^/]+)\/(?<kind>followers|following)\/?$/, people],
  [/^\/tweets\/(?<id>\d{1,16})\/?$/, conversation],
  [/^\/notifications\/?$/, notifications],
  [/^\/settings\/blocks\/?$/, blocks],
  [/^\/admin\/?$/, admin],
  [/^\/search\/?$/, searchPage],
  [/^\/tags\/(?<tag>[^/]+)\/?$/, tagPage],
];

/** The page that says a path, user or tweet does not exist. */
export { notFound };

/**
 * Route for a path and its query string: {name, page, username?, kind?, id?, tag?, q?, type?}.
 * `name` is the page's name ("home", "everyone", "user", "people", "tweet", "notifications",
 * "blocks", "admin", "search", "tag" or "notfound"). A tag is its normalised name; a search
 * has `q` (as typed, "" when absent) and `type` ("tweets" or "users").
 */
export function parse(pathname, queryString = '') {
  for (const [pattern, page] of ROUTES) {
    const m = pathname.match(pattern);
    if (!m) continue;
    const route = { name: page.name, page, ...m.groups };
    if (route.username !== undefined) {
      try { route.username = decodeURIComponent(route.username); } catch { /* keep raw */ }
    }
    if (route.id !== undefined) route.id = Number(route.id);
    if (route.tag !== undefined) {
      try { route.tag = tagName(decodeURIComponent(route.tag)); } catch { route.tag = tagName(route.tag); }
    }
    if (page === searchPage) {
      const params = new URLSearchParams(queryString);
      route.q = params.get('q') || '';
      route.type = params.get('type') === 'users' ? 'users' : 'tweets';
    }
    return route;
  }
  return { name: notFound.name, page: notFound };
}
