// How the bench's parts write: lines said to the console and to the results file, paragraphs wrapped like the rest.
export type Say = (line?: string) => void;

/** Says a paragraph wrapped at 118 columns, then an empty line. */
export function paragraph(say: Say, text: string): void {
  let line = '';
  for (const word of text.trim().split(/\s+/)) {
    if (line && line.length + 1 + word.length > 118) {
      say(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  say(line);
  say();
}
