// "/tweets/{id}": the tweet, its parent and a reply box (conversation.js), its replies as
// the timeline, oldest first, and a "Show N new replies" banner once the tweet is known to
// exist. No such tweet: the not-found page.

import { h } from '../dom.js';
import { backButton, titled } from './page.js';

export default {
  name: 'tweet',
  title: () => titled('Tweet'),
  header: () => [backButton(), h('h1', {}, 'Tweet')],
  timeline: ({ route }) => ({ replyTo: route.id }),
  watch: ({ route }) => `replies:${route.id}`,
  noun: ['reply', 'replies'],
  async load(ctx) {
    let tweet;
    try {
      tweet = await ctx.conversation.load(ctx.route.id, ctx.me, {
        focusReply: location.hash === '#reply',
        status: (text) => ctx.timeline.setStatus(text),
      });
    } catch (e) {
      if (e.status === 404) ctx.notFound('This tweet doesn’t exist. It may have been deleted.');
      return;
    }
    if (!ctx.isCurrent() || !tweet) return;
    ctx.setTitle(titled(`@${tweet.author.username}: “${tweet.text.slice(0, 40)}”`));
    ctx.pending.enabled = true;
    await ctx.loadTimeline();
  },
};
