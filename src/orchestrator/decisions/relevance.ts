/**
 * BM25 relevance of a message to each agent's description (name, role, backstory, goal). Whole
 * tokens, not substrings: `typescript` never matches `script`; words every agent shares weigh
 * little next to a word only one agent has.
 */

export interface RelevanceDocument {
  id: string;
  name: string;
  role: string;
  backstory: string;
  goal: string;
}

const K1 = 1.2;
const B = 0.75;

// biome-ignore format: one compact block of words
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'about', 'above', 'after', 'again', 'against', 'all', 'am', 'an', 'and', 'any', 'are', 'as', 'at',
  'be', 'because', 'been', 'before', 'being', 'below', 'between', 'both', 'but', 'by', 'can', 'could',
  'd', 'did', 'do', 'does', 'doing', 'don', 'down', 'during', 'each', 'few', 'for', 'from', 'further',
  'get', 'had', 'has', 'have', 'having', 'he', 'her', 'here', 'hers', 'herself', 'him', 'himself', 'his',
  'how', 'i', 'if', 'in', 'into', 'is', 'it', 'its', 'itself', 'just', 'll', 'm', 'me', 'more', 'most',
  'my', 'myself', 'no', 'nor', 'not', 'now', 'of', 'off', 'on', 'once', 'only', 'or', 'other', 'our',
  'ours', 'out', 'over', 'own', 'please', 're', 's', 'same', 'she', 'should', 'so', 'some', 'such', 't',
  'than', 'that', 'the', 'their', 'them', 'then', 'there', 'these', 'they', 'this', 'those', 'through',
  'to', 'too', 'under', 'until', 'up', 've', 'very', 'was', 'we', 'were', 'what', 'when', 'where',
  'which', 'while', 'who', 'whom', 'why', 'will', 'with', 'would', 'you', 'your', 'yours', 'yourself',
]);

/** Lowercased letter/digit runs (any script), without stop words, lightly stemmed. */
export function tokenize(text: string): string[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}\p{M}]+/u)
    .filter((token) => token.length > 0 && !STOP_WORDS.has(token))
    .map(stem);
}

/**
 * Strips English plural, -ing and -ed endings (and a final -e, so `bake`/`baking`/`baked` meet).
 * Deliberately light: both the message and the descriptions go through it, so consistency matters
 * more than linguistic accuracy.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (/(?:x|z|ch|sh)es$/u.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !/(?:ss|us|is)$/u.test(w)) w = w.slice(0, -1);

  if (w.length > 5 && w.endsWith('ing')) w = undouble(w.slice(0, -3));
  else if (w.length > 4 && w.endsWith('ed') && !w.endsWith('eed')) w = undouble(w.slice(0, -2));

  if (w.length >= 4 && w.endsWith('e') && !w.endsWith('ee')) w = w.slice(0, -1);
  return w;
}

/** `running` → `runn` → `run`; but `falling` → `fall`, `passed` → `pass`. */
function undouble(w: string): string {
  return /([^aeiouylsz])\1$/u.test(w) ? w.slice(0, -1) : w;
}

/** BM25 score of `query` against each document, keyed by document id (0 when nothing matches). */
export function scoreRelevance(query: string, documents: readonly RelevanceDocument[]): Map<string, number> {
  const docs = documents.map((d) => ({
    id: d.id,
    terms: countTerms(tokenize(`${d.name} ${d.role} ${d.backstory} ${d.goal}`)),
  }));
  const lengths = docs.map((d) => sumCounts(d.terms));
  const averageLength = lengths.reduce((a, b) => a + b, 0) / Math.max(docs.length, 1) || 1;
  const queryTerms = [...new Set(tokenize(query))];

  const documentFrequency = new Map<string, number>();
  for (const term of queryTerms) {
    documentFrequency.set(term, docs.filter((d) => d.terms.has(term)).length);
  }

  const scores = new Map<string, number>();
  docs.forEach((doc, i) => {
    const lengthNorm = 1 - B + (B * (lengths[i] ?? 0)) / averageLength;
    let score = 0;
    for (const term of queryTerms) {
      const tf = doc.terms.get(term) ?? 0;
      if (tf === 0) continue;
      score +=
        idf(docs.length, documentFrequency.get(term) ?? 0) * ((tf * (K1 + 1)) / (tf + K1 * lengthNorm));
    }
    scores.set(doc.id, score);
  });
  return scores;
}

/** Lucene's BM25 idf: always positive, smallest for a term every document has. */
function idf(documentCount: number, documentFrequency: number): number {
  return Math.log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

function countTerms(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  return counts;
}

function sumCounts(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}
