// Relative times ("now", "42s", "5m", "3h", "Mar 4") with the exact time on hover, and a
// clock that keeps every <time data-relative> on the page current.

const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const sameYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const otherYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric' });

/** Short relative form of `date` as seen at `now`. */
export function relativeTime(date, now = new Date()) {
  const seconds = Math.round((now - date) / 1000);
  if (seconds < 5) return 'now';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  return (date.getFullYear() === now.getFullYear() ? sameYear : otherYear).format(date);
}

/** The full local date and time, for the hover title. */
export const exactTime = (date) => exactFormat.format(date);

/** A <time> element showing `iso` relatively, exactly on hover. */
export function timeElement(iso) {
  const date = new Date(iso);
  const el = document.createElement('time');
  el.dateTime = iso;
  el.dataset.relative = '';
  if (Number.isNaN(date.getTime())) {
    el.textContent = '';
    return el;
  }
  el.title = exactTime(date);
  el.textContent = relativeTime(date);
  return el;
}

let clock = 0;
/** Refresh every relative time on the page twice a minute (and when the tab comes back). */
export function startClock() {
  if (clock) return;
  const tick = () => {
    const now = new Date();
    for (const el of document.querySelectorAll('time[data-relative]')) {
      const date = new Date(el.dateTime);
      if (!Number.isNaN(date.getTime())) el.textContent = relativeTime(date, now);
    }
  };
  clock = setInterval(tick, 30_000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) tick(); });
}
