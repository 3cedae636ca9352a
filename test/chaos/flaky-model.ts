/**
 * A Gemini that misbehaves on a fixed schedule: for each request it draws from a seeded PRNG keyed
 * by the conversation's last user turn and how many times that turn was asked before, so a given
 * message's n-th model call always gets the same fate whatever the order requests arrive in:
 * `failRate` of calls get HTTP 500, `hangRate` never get an answer (the service must time out;
 * the fake lets go once the caller hangs up), the rest a short answer quoting the user's text.
 * Built on test/fakes/gemini-server.ts, driven through the real @ai-sdk/google by the service.
 */
import {
  type FakeGemini,
  type GeminiRequest,
  type GeminiStep,
  startFakeGemini,
} from '../fakes/gemini-server.ts';

export interface FlakyModel {
  gemini: FakeGemini;
  /** Fates handed out so far. */
  counts: { ok: number; failed: number; hung: number };
  close(): Promise<void>;
}

/** Long enough to outlast any LLM_TIMEOUT_MS of a test; the server drops it when the client goes. */
const HANG_MS = 10 * 60_000;

export async function startFlakyModel(options: {
  seed: number;
  failRate: number;
  hangRate: number;
  /** The answer for `said` (the last user turn). */
  answer?: (said: string) => string;
}): Promise<FlakyModel> {
  const gemini = await startFakeGemini();
  const seen = new Map<string, number>();
  const counts = { ok: 0, failed: 0, hung: 0 };
  const answer = options.answer ?? ((said: string) => `reply to ${said}`);
  gemini.setDefault((request: GeminiRequest): GeminiStep => {
    const said = lastUserText(request);
    const attempt = seen.get(said) ?? 0;
    seen.set(said, attempt + 1);
    const draw = uniform(`${options.seed}:${said}:${attempt}`);
    if (draw < options.failRate) {
      counts.failed += 1;
      return { status: 500 };
    }
    if (draw < options.failRate + options.hangRate) {
      counts.hung += 1;
      return { text: 'too late', delayMs: HANG_MS };
    }
    counts.ok += 1;
    return { text: answer(said) };
  });
  return { gemini, counts, close: () => gemini.close() };
}

function lastUserText(request: GeminiRequest): string {
  const user = [...request.body.contents].reverse().find((content) => content.role === 'user');
  return (user?.parts ?? []).map((part) => part.text ?? '').join('');
}

/** A deterministic draw in [0, 1) for `key`: FNV-1a to seed one mulberry32 step. */
export function uniform(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  let t = (hash + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
