/** Command-line words back into the `/agent` text form. */

/** The shell already split the words; quote each value again so the text parser sees them whole. */
export function argvToCommandText(words: readonly string[]): string {
  return words
    .map((word) => {
      const eq = word.indexOf('=');
      const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      if (eq > 0 && /^[a-z]+$/i.test(word.slice(0, eq)))
        return `${word.slice(0, eq + 1)}${quote(word.slice(eq + 1))}`;
      return /[\s"'=]/.test(word) ? quote(word) : word;
    })
    .join(' ');
}
