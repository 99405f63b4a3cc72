// Token estimates for the composer's counter: no tokenizer ships with the page, so these are
// approximations (README "The chat UI"), close to BPE tokenizers on English prose and code.

// A word costs a token per 6 letters (common words are one token with their space), a number
// one per 3 digits, any other symbol one, a CJK character one. Cheap, and nearer to BPE
// tokenizers than characters/4 on short English text; still only an estimate.
const PIECES = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|\p{L}+|\p{N}+|[^\s\p{L}\p{N}]/gu;
const WIDE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** The estimated number of tokens in `text`. */
export function estimateTokens(text) {
  let n = 0;
  for (const [p] of String(text ?? '').matchAll(PIECES)) {
    n += WIDE.test(p) ? 1 : /\p{N}/u.test(p[0]) ? Math.ceil(p.length / 3) : /\p{L}/u.test(p[0]) ? Math.ceil(p.length / 6) : 1;
  }
  return n;
}

/** Known context windows (tokens) by model name prefix; the first match wins. */
export const CONTEXT_SIZES = [
  ['gpt-4.1', 1_047_576], ['gpt-4o', 128_000], ['gpt-4-turbo', 128_000], ['gpt-4', 8_192], ['gpt-3.5', 16_385],
  ['gpt-5', 400_000], ['o1', 200_000], ['o3', 200_000], ['o4', 200_000],
  ['claude', 200_000], ['gemini-1.5-pro', 2_097_152], ['gemini', 1_048_576],
  ['llama', 128_000], ['mistral', 32_000], ['qwen', 32_768],
];
export const DEFAULT_CONTEXT = 128_000;

/** The context window of `model` (its name without a vendor prefix), else the default. */
export function contextSize(model) {
  const name = String(model ?? '').toLowerCase().split('/').pop();
  return CONTEXT_SIZES.find(([prefix]) => name.startsWith(prefix))?.[1] ?? DEFAULT_CONTEXT;
}

/** 1234 → "1.2k", 128000 → "128k", 1048576 → "1M". */
export function compact(n) {
  const [v, unit] = n < 1000 ? [n, ''] : n < 1e6 ? [n / 1000, 'k'] : [n / 1e6, 'M'];
  return `${unit && v < 10 ? +v.toFixed(1) : Math.round(v)}${unit}`;
}
