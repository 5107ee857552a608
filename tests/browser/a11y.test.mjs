// Keyboard and contrast (issue 18, a newcomer's findings): every focusable control shows a
// focus indicator with at least 3:1 contrast (WCAG 2.4.7, 1.4.11) whose ring never covers a
// neighbour, input borders are at least 3:1 against their background in both themes, and
// sign-up shows every field's problem at once, each next to its field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, post } from './helpers.mjs';

let env;
let ada;
let tweet;
before(async () => {
  env = await setUp();
  ada = await env.client.signUp('ada');
  tweet = await post(env.client, ada.token, 'Focus, please.');
});
after(async () => { await env?.close(); });

/** WCAG contrast ratio of two colours given as "rgb(r, g, b)" / "rgba(…)" strings. */
function contrast(a, b) {
  const lum = (css) => {
    const [r, g, bl] = css.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/**
 * Focus `locator` from the keyboard's point of view and describe its indicator: the outline
 * (or a box-shadow ring), its colour, the background behind it, and the ring's box.
 */
async function focusRing(page, locator) {
  await page.keyboard.press('Shift'); // the last input came from the keyboard: :focus-visible
  await locator.focus();
  return locator.evaluate((el) => {
    const s = getComputedStyle(el);
    const bgOf = (node) => {
      for (let n = node; n; n = n.parentElement) {
        const c = getComputedStyle(n).backgroundColor;
        if (c && c !== 'rgba(0, 0, 0, 0)' && !c.endsWith(', 0)')) return c;
      }
      return 'rgb(255, 255, 255)';
    };
    const width = s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth);
    const offset = parseFloat(s.outlineOffset) || 0;
    const r = el.getBoundingClientRect();
    const grow = Math.max(0, width + offset);
    return {
      focused: document.activeElement === el && el.matches(':focus-visible'),
      width,
      color: s.outlineColor,
      shadow: s.boxShadow,
      background: bgOf(el.parentElement),
      ring: { left: r.left - grow, right: r.right + grow, top: r.top - grow, bottom: r.bottom + grow },
    };
  });
}

async function assertVisibleFocus(page, locator, name) {
  const f = await focusRing(page, locator);
  assert.ok(f.focused, `${name} takes keyboard focus`);
  assert.ok(f.width >= 2, `${name}: no focus outline (${JSON.stringify(f)})`);
  const ratio = contrast(f.color, f.background);
  assert.ok(ratio >= 3, `${name}: focus ring ${f.color} on ${f.background} is ${ratio.toFixed(2)}:1`);
  return f;
}

const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

test('every focusable control shows a visible focus ring, in both themes', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page, context } = await env.open({ username: `kb_${colorScheme}`, path: `/tweets/${tweet.id}`, colorScheme });
    await assertVisibleFocus(page, page.locator('#conversation textarea'), `${colorScheme} reply box`);
    await page.goto(env.url('/everyone'));
    await page.locator('#compose').waitFor();
    await assertVisibleFocus(page, page.locator('#compose-text'), `${colorScheme} compose box`);
    await page.locator('#compose-text').fill('x');
    for (const sel of ['#compose-submit', '#sign-out', 'a.me', 'a.brand', '#notif-link', '#search-q', '#timeline > li .action.like', '#tabs a.tab']) {
      await assertVisibleFocus(page, page.locator(sel).first(), `${colorScheme} ${sel}`);
    }
    await page.goto(env.url(`/users/kb_${colorScheme}`));
    await page.locator('#edit-profile').click();
    for (const sel of ['#profile-display_name', '#profile-bio']) {
      await assertVisibleFocus(page, page.locator(sel), `${colorScheme} ${sel}`);
    }
    await context.close();

    const out = await env.open({ colorScheme });
    for (const sel of ['#auth-username', '#auth-password', '#mode-signup', '#auth-submit']) {
      await assertVisibleFocus(out.page, out.page.locator(sel), `${colorScheme} ${sel}`);
    }
    await out.context.close();
  }
});

test('a focus ring never covers a neighbour in the top bar', async () => {
  for (const width of [900, 390]) {
    const { page, context } = await env.open({ username: `ring_${width}`, path: '/everyone', viewport: { width, height: 700 } });
    // The search field on a wide screen; on a phone, the button that opens it.
    const controls = ['a.brand', width > 640 ? '#search-q' : '#search-open', '#notif-link', 'a.me', '#sign-out'];
    const boxes = {};
    for (const sel of controls) {
      boxes[sel] = await page.locator(sel).evaluate((el) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      });
    }
    for (const sel of controls) {
      const f = await assertVisibleFocus(page, page.locator(sel), `${width}px ${sel}`);
      for (const other of controls) {
        if (other === sel) continue;
        assert.ok(!overlaps(f.ring, boxes[other]), `${width}px: the focus ring of ${sel} covers ${other} (${JSON.stringify(f.ring)} vs ${JSON.stringify(boxes[other])})`);
      }
    }
    await context.close();
  }
});

test('input borders have at least 3:1 contrast with what surrounds them, in both themes', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page, context } = await env.open({ colorScheme });
    for (const sel of ['#auth-username', '#auth-password']) {
      const c = await page.locator(sel).evaluate((el) => ({
        border: getComputedStyle(el).borderTopColor,
        inside: getComputedStyle(el).backgroundColor,
        outside: getComputedStyle(el.closest('.card')).backgroundColor,
      }));
      for (const against of [c.inside, c.outside]) {
        const ratio = contrast(c.border, against);
        assert.ok(ratio >= 3, `${colorScheme} ${sel}: border ${c.border} on ${against} is ${ratio.toFixed(2)}:1`);
      }
    }
    await context.close();
  }
});

test('sign-up shows every field’s problem at once, each by its field', async () => {
  const { page, context, failures } = await env.open();
  await page.locator('#account button', { hasText: 'Sign up' }).click();
  await page.locator('#auth-username').fill('a!');
  await page.locator('#auth-password').fill('short');
  await page.locator('#auth-submit').click();
  const username = page.locator('#auth-username-error');
  const password = page.locator('#auth-password-error');
  await username.filter({ hasText: /\S/ }).waitFor();
  assert.match(await username.textContent(), /3 to 20|letters, digits/);
  assert.match(await password.textContent(), /8/);
  for (const [input, error] of [['#auth-username', 'auth-username-error'], ['#auth-password', 'auth-password-error']]) {
    assert.equal(await page.locator(input).getAttribute('aria-invalid'), 'true', input);
    assert.ok((await page.locator(input).getAttribute('aria-describedby')).split(/\s+/).includes(error), input);
  }
  assert.deepEqual(failures, [], 'the client caught both without asking the server');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'auth-username', 'focus on the first bad field');

  // Username pattern (right length, wrong characters) and too long, with a good password.
  await page.locator('#auth-username').fill('ada lovelace');
  await page.locator('#auth-password').fill('a'.repeat(129));
  await page.locator('#auth-submit').click();
  await username.filter({ hasText: /letters, digits/ }).waitFor();
  assert.match(await password.textContent(), /128/);

  // The server's answer goes by its field too: a taken name.
  await page.locator('#auth-username').fill('ADA');
  await page.locator('#auth-password').fill('correct horse battery');
  await page.locator('#auth-submit').click();
  await username.filter({ hasText: /taken/i }).waitFor();
  assert.equal(await password.textContent(), '');
  assert.equal(await page.locator('#auth-password').getAttribute('aria-invalid'), null);
  await context.close();
});
