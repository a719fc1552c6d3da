/** Generated parts of markdown files (docs tables): content between `<!-- name:start -->` and `<!-- name:end -->`. */
export interface MarkedBlock {
  name: string;
  render: () => string;
}

/** Replaces each marked block present in the text with its rendering; text without markers is unchanged. */
export function fillMarkedBlocks(markdown: string, blocks: readonly MarkedBlock[]): string {
  let out = markdown;
  for (const block of blocks) {
    const start = `<!-- ${block.name}:start -->`;
    const end = `<!-- ${block.name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) continue;
    out = `${out.slice(0, from + start.length)}\n${block.render()}\n${out.slice(to)}`;
  }
  return out;
}
