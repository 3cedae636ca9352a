/**
 * A Gemini that takes its time: every generateContent call is answered after `answerMs` (a real
 * model's latency, with none of its CPU), through test/fakes/gemini-server.ts, so the service
 * drives it with the real @ai-sdk/google over HTTP. It counts the calls in flight and their peak.
 */
import { type FakeGemini, type GeminiRequest, startFakeGemini } from '../test/fakes/gemini-server.ts';

export interface SlowModel {
  gemini: FakeGemini;
  /** Calls being answered now, and the most at once since the last `resetPeak()`. */
  inFlight(): number;
  peak(): number;
  resetPeak(): void;
  close(): Promise<void>;
}

export async function startSlowModel(answerMs: number): Promise<SlowModel> {
  const gemini = await startFakeGemini();
  let inFlight = 0;
  let peak = 0;
  gemini.setDefault((request: GeminiRequest) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    const done = new Promise<void>((resolve) => setTimeout(resolve, answerMs)).then(() => {
      inFlight -= 1;
    });
    return { text: `answer to ${lastUserText(request).slice(0, 80)}`, release: done };
  });
  return {
    gemini,
    inFlight: () => inFlight,
    peak: () => peak,
    resetPeak: () => {
      peak = inFlight;
    },
    close: () => gemini.close(),
  };
}

function lastUserText(request: GeminiRequest): string {
  const user = [...request.body.contents].reverse().find((content) => content.role === 'user');
  return (user?.parts ?? []).map((part) => part.text ?? '').join('');
}
