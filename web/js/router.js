// Navigation inside the app: same-origin links are followed with history.pushState, the
// back and forward buttons re-render the page and put the scroll position back where it
// was. Which page a path is lives in the route table (routes.js).

import { parse } from './routes.js';

export { parse };

let render = () => {};

function saveScroll() {
  history.replaceState({ ...(history.state || {}), scrollY: window.scrollY }, '');
}

/** Go to `path` without reloading the page. */
export function navigate(path, { replace = false } = {}) {
  const url = new URL(path, location.href);
  if (url.pathname + url.search === location.pathname + location.search && !replace) {
    window.scrollTo({ top: 0, behavior: 'smooth' });
    return;
  }
  saveScroll();
  // `inApp` tells a "Back" button that history.back() stays inside Chirp.
  if (replace) history.replaceState({ ...(history.state || {}), scrollY: 0 }, '', url.pathname + url.search + url.hash);
  else history.pushState({ inApp: true }, '', url.pathname + url.search + url.hash);
  render(parse(url.pathname, url.search), { restoreScroll: 0, navigated: true });
}

function onClick(e) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target instanceof Element && e.target.closest('a[href]');
  if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/static/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}

/** Go back if the previous entry is a Chirp page, else home. */
export function back() {
  if (history.state && history.state.inApp) history.back();
  else navigate('/');
}

/** Start routing: `onRoute(route, {restoreScroll, navigated})` renders a route. */
export function start(onRoute) {
  render = onRoute;
  if ('scrollRestoration' in history) history.scrollRestoration = 'manual';
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', (e) => {
    render(parse(location.pathname, location.search), { restoreScroll: (e.state && e.state.scrollY) || 0, navigated: true });
  });
  // Remember where we were if the page is reloaded or left.
  window.addEventListener('pagehide', saveScroll);
  render(parse(location.pathname, location.search), { restoreScroll: (history.state && history.state.scrollY) || 0 });
}
