// Writes the search stage's tweets as tab-separated files for bench/search.sh to load with
// SQL: T tweets of "realistic" text by A authors over the last 30 days. Each tweet is 4–24
// words drawn with a Zipf distribution (word k with weight 1/k) from a vocabulary of V words:
// the most common English words first (a few with accents, so folding is exercised), then
// pronounceable made-up words; its first word capitalised, sometimes a comma or a full stop.
// A share of the tweets (10% by default) carries one to three hashtags, drawn the same way
// from their own vocabulary of 2,000 tags (some written in capitals, which name the same tag).
//
// Only the tweets are written: bench/search.sh loads them with SQL and lets the server index
// them (tags and search words) with its own code, the backfill that indexes tweets stored
// before search existed. The same seed gives the same rows.
//
//   node bench/search-seed.mjs --out DIR [--tweets 1000000] [--authors 2000] [--first-user 2]
//        [--vocabulary 30000] [--tagged 0.1] [--seed 21]
//
// Writes DIR/tweets.tsv (id, author_id, created_at µs, text) and DIR/probes.json: the queries
// the stage times and how many tweets each matches, counted here by the contract's rules
// (words folded as src/domain/search_words.rs does).
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    out: { type: 'string' },
    tweets: { type: 'string', default: '1000000' },
    authors: { type: 'string', default: '2000' },
    'first-user': { type: 'string', default: '2' },
    vocabulary: { type: 'string', default: '30000' },
    tagged: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '21' },
  },
});
if (!o.out) {
  console.error('usage: node bench/search-seed.mjs --out DIR [--tweets N] [--authors N] [--vocabulary N] [--tagged P] [--seed S]');
  process.exit(2);
}
const TWEETS = Number(o.tweets);
const AUTHORS = Number(o.authors);
const FIRST_USER = Number(o['first-user']);
const VOCABULARY = Number(o.vocabulary);
const TAGGED = Number(o.tagged);

/** mulberry32: a small seeded generator, so that a seed gives the same tweets everywhere. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(Number(o.seed));

// English words by frequency, most common first; a few carry accents (café, naïve, über…).
const COMMON = `the be to of and a in that have i it for not on with he as you do at this but his by
from they we say her she or an will my one all would there their what so up out if about who get
which go me when make can like time no just him know take people into year your good some could
them see other than then now look only come its over think also back after use two how our work
first well way even new want because any these give day most us is was are been has had were said
did got made went world word worth worry working words café great little own old right big high
different small large next early young important few public bad same able last long thing man life
child woman through down should still find here thing tell call try ask need feel become leave put
mean keep let begin seem help talk turn start show hear play run move live believe hold bring happen
write provide sit stand lose pay meet include continue set learn change lead understand watch follow
stop create speak read allow add spend grow open walk win offer remember love consider appear buy
wait serve die send expect build stay fall cut reach kill remain suggest raise pass sell require
report decide pull naïve über jalapeño coffee rust code music night home city game team water money
story fact month lot book eye job word business issue side kind head house service friend father
power hour line end member law car idea body information back parent face others level office door
health person art war history party result morning reason research girl guy moment air teacher
force education déjà vu résumé piñata crème brûlée`.split(/\s+/).filter(Boolean);

const TAG_WORDS = `music rust photography art news tech coding travel food football science books
movies gaming nature weather politics health fitness design startup javascript python linux
opensource climate space history coffee cats dogs running cycling cooking fashion economy
education jazz poetry café`.split(/\s+/).filter(Boolean);

const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z',
  'br', 'ch', 'cl', 'dr', 'fl', 'gr', 'pl', 'pr', 'sh', 'st', 'th', 'tr'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'io'];
const CODAS = ['', '', '', 'n', 'r', 's', 'l', 't', 'm', 'nd', 'st'];

/** `count` made-up words of 2–4 syllables, none repeated nor a real word above. */
function madeUp(count, taken) {
  const words = [];
  const seen = new Set(taken);
  const pick = (list) => list[Math.floor(random() * list.length)];
  while (words.length < count) {
    const syllables = 1 + Math.floor(random() * 3);
    let w = '';
    for (let s = 0; s < syllables; s++) w += pick(ONSETS) + pick(VOWELS);
    w += pick(CODAS);
    if (!seen.has(w)) { seen.add(w); words.push(w); }
  }
  return words;
}

const uniqueCommon = [...new Set(COMMON)];
const words = [...uniqueCommon, ...madeUp(Math.max(0, VOCABULARY - uniqueCommon.length), uniqueCommon)];
const tags = [...TAG_WORDS, ...madeUp(2000 - TAG_WORDS.length, [...TAG_WORDS, ...words])];

/** A Zipf (s = 1) sampler over ranks 0..n-1: cumulative weights 1/k, binary search. */
function zipf(n) {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) { sum += 1 / (k + 1); cumulative[k] = sum; }
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
const wordRank = zipf(words.length);
const tagRank = zipf(tags.length);

/** The server's search words (src/domain/search_words.rs): folded, cut, each once. */
function indexedWords(text) {
  const folded = text.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFC').toLowerCase();
  return [...new Set(folded.split(/[^\p{L}\p{N}\p{Co}]+/u).filter(Boolean))];
}

// The queries the stage times: a common word, two words, a rare word, a prefix, a tag.
const rare = words[Math.min(words.length - 1, 20000)];
const probes = {
  common: { q: 'the' },
  two_words: { q: 'people time' },
  rare: { q: rare },
  prefix: { q: 'wor' },
  tag: { q: '#music', tag: 'music' },
};
for (const p of Object.values(probes)) p.matches = 0;
/** Whether a tweet with these indexed words and tags matches `q` (contract: Hashtags and search). */
function matches(q, wordSet, tagList) {
  const parts = q.split(' ');
  return parts.every((part, i) => {
    if (part.startsWith('#')) return tagList.includes(part.slice(1));
    const w = indexedWords(part)[0];
    if (i < parts.length - 1) return wordSet.has(w);
    for (const x of wordSet) if (x.startsWith(w)) return true;
    return false;
  });
}

const tweetsOut = createWriteStream(join(o.out, 'tweets.tsv'));
const DAY = 86_400_000_000;
const end = Date.now() * 1000;
const start = end - 30 * DAY;
let tweetBuf = '';
let tagRows = 0;
const flush = async (force) => {
  if (tweetBuf.length > (force ? 0 : 1 << 20)) {
    if (!tweetsOut.write(tweetBuf)) await new Promise((r) => tweetsOut.once('drain', r));
    tweetBuf = '';
  }
};

for (let id = 1; id <= TWEETS; id++) {
  const author = FIRST_USER + Math.floor(random() * AUTHORS);
  const createdAt = Math.floor(start + (id / TWEETS) * 30 * DAY);
  const n = 4 + Math.floor(random() * 21);
  const parts = [];
  for (let i = 0; i < n; i++) {
    let w = words[wordRank()];
    if (i === 0) w = w[0].toUpperCase() + w.slice(1);
    const r = random();
    if (r < 0.06 && i < n - 1) w += ',';
    else if (r < 0.09 && i < n - 1) w += '.';
    parts.push(w);
  }
  const tweetTags = [];
  if (random() < TAGGED) {
    const k = 1 + Math.floor(random() * random() * 3);
    for (let i = 0; i < k; i++) {
      const t = tags[tagRank()];
      if (!tweetTags.includes(t)) tweetTags.push(t);
    }
    for (const t of tweetTags) parts.push('#' + (random() < 0.2 ? t.toUpperCase() : t));
  }
  let text = parts.join(' ');
  // 280 characters at most: drop words from the middle until it fits (tags stay whole).
  while ([...text].length > 280) {
    parts.splice(Math.floor(parts.length / 2), 1);
    text = parts.join(' ');
  }
  const wordSet = new Set(indexedWords(text));
  for (const p of Object.values(probes)) if (matches(p.q, wordSet, tweetTags)) p.matches++;
  tweetBuf += `${id}\t${author}\t${createdAt}\t${text}\n`;
  tagRows += tweetTags.length;
  if ((id & 4095) === 0) await flush(false);
}
await flush(true);
await new Promise((r) => tweetsOut.end(r));
writeFileSync(join(o.out, 'probes.json'), JSON.stringify({ tweets: TWEETS, tag_rows: tagRows, vocabulary: words.length, probes }, null, 2) + '\n');
console.error(`wrote ${TWEETS} tweets (${tagRows} tag uses) to ${o.out}`);
