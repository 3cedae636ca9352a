/**
 * Generators of hostile text: what a model (or a person) can write to make a post ping people,
 * hide a link, break a parser or a platform limit. Used for model outputs, command texts and
 * message contents alike.
 */
import fc from 'fast-check';

const slackId = (prefix: string) => fc.stringMatching(/^[A-Z0-9]{2,11}$/).map((rest) => `${prefix}${rest}`);
const discordId = fc.bigInt({ min: 10n ** 16n, max: 10n ** 19n }).map(String);
const word = fc.constantFrom('hi', 'team', 'devs', 'ops', 'click', 'here', 'everyone', 'channel', 'ok');
const url = fc.constantFrom(
  'https://evil.example/login',
  'http://phish.test/a?b=c',
  'https://discord.com/channels/1/2/3',
  'mailto:x@evil.example',
  'javascript:alert(1)',
  'https://slack.com@evil.example/',
);

/** Pieces that mean something to Slack, Discord or Markdown. */
export const hostileFragment: fc.Arbitrary<string> = fc.oneof(
  // Broadcasts, written every way the platforms read them.
  fc.constantFrom(
    '<!channel>',
    '<!here>',
    '<!everyone>',
    '<!channel|@channel>',
    '<!here|here>',
    '<! channel>',
    '<!CHANNEL>',
    '@everyone',
    '@here',
    '@channel',
    '@Everyone',
    '＠everyone',
    '@\u200beveryone',
    '<<!channel>>',
    '<!<!here>>',
    '`<!here>`',
    '```\n<!channel>\n```',
    '&lt;!channel&gt;',
    '<!date^1392734382^{date}|Feb 18>',
  ),
  slackId('S').map((id) => `<!subteam^${id}>`),
  fc.tuple(slackId('S'), word).map(([id, w]) => `<!subteam^${id}|@${w}>`),
  // User, channel and role mentions.
  slackId('U').map((id) => `<@${id}>`),
  slackId('W').map((id) => `<@${id}|someone>`),
  slackId('C').map((id) => `<#${id}>`),
  discordId.map((id) => `<@${id}>`),
  discordId.map((id) => `<@!${id}>`),
  discordId.map((id) => `<@&${id}>`),
  discordId.map((id) => `<#${id}>`),
  // Masked links.
  fc.tuple(word, url).map(([w, u]) => `[${w}](${u})`),
  fc.tuple(url, url).map(([shown, real]) => `[${shown}](${real})`),
  fc.tuple(url, word).map(([u, w]) => `<${u}|${w}>`),
  fc.tuple(url, url).map(([real, shown]) => `<${real}|${shown}>`),
  // Text that is hard on parsers and limits.
  fc.constantFrom(
    '\u0000',
    '\u0000\u0000',
    '\u202e',
    '\u202dabc\u202c',
    '\u2066\u2067\u2069',
    '\ud800',
    '\udfff',
    '\udc00\ud800',
    '\ufeff',
    '\u200b',
    '\r\n',
    '\n\n\n',
    '```',
    '~~~',
    '`',
    '*',
    '_',
    '|',
    '> ',
    '# ',
    '- ',
    '| a | b |\n|---|---|\n| <!here> | x |',
    '\\',
    '"',
    '“',
    '<',
    '>',
    '&',
    '<>',
    '<<>>',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  word,
);

/** A long text around hostile fragments: `size` characters of repeated pings and words. */
export const longHostileText = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .tuple(
      hostileFragment,
      fc.integer({ min, max }),
      fc.constantFrom('<!here> x ', '@everyone y\n', 'word '),
      hostileFragment,
    )
    .map(([a, size, unit, b]) => `${a} ${unit.repeat(Math.ceil(size / unit.length)).slice(0, size)} ${b}`);

/** A model output: hostile fragments and words, sometimes long (up to 8 KB). */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(hostileFragment, { minLength: 1, maxLength: 12 }).map((p) => p.join(' ')),
  },
  { weight: 1, arbitrary: fc.array(hostileFragment, { minLength: 1, maxLength: 12 }).map((p) => p.join('')) },
  { weight: 1, arbitrary: longHostileText(3_000, 8_000) },
);

/** Slack broadcasts as Slack reads them in posted text (`<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`). */
export const SLACK_BROADCAST = /<!(channel|here|everyone|subteam\^)/iu;
/** A raw `@here` Slack would link with link_names (the joiner-free form). */
export const SLACK_RAW_BROADCAST = /(^|[^\p{L}\p{N}_@])@(channel|here|everyone)(?![\p{L}\p{N}_])/iu;
/** Discord's broadcast words as plain text (without the zero-width space the adapter inserts). */
export const DISCORD_BROADCAST = /@(everyone|here)\b/iu;
/** A Slack user mention `<@U…>` / `<@W…>`. */
export const SLACK_USER_MENTION = /<@([UW][A-Z0-9]+)(\|[^>]*)?>/gu;
/** A Discord user or role mention. */
export const DISCORD_MENTION = /<@[!&]?(\d+)>/gu;
/** A masked link: Slack `<url|label>`, Markdown `[label](url)`. */
export const SLACK_MASKED_LINK = /<(https?:\/\/|mailto:)[^|>]*\|[^>]+>/iu;
export const MARKDOWN_MASKED_LINK = /\[[^\]]+\]\(\s*<?[a-z][a-z0-9+.-]*:[^)]*\)/iu;
