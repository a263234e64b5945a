/**
 * A small POSIX-shell word splitter: enough to find simple commands, their arguments and what pipes into what in
 * RUN instructions, scripts, Makefile recipes and CI `run:` blocks. It honours quotes, backslash escapes and line
 * continuations; it does not expand anything, so `$VAR` stays as written.
 */
export interface SimpleCommand {
  argv: string[];
  /** The command this one reads from through `|`, if any. */
  pipedFrom?: SimpleCommand;
  /** 0-based offset of the line (within the text given) the command starts on. */
  lineOffset: number;
}

const SEPARATORS = ['&&', '||', ';;', ';', '|', '&', '\n', '(', ')'];

/** Splits shell text into simple commands. Environment assignments before a command (`A=b cmd`) are dropped. */
export function parseShell(text: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let line = 0;
  let startLine = 0;
  let pipeFrom: SimpleCommand | undefined;
  const endWord = (): void => {
    if (inWord) {
      if (words.length === 0) startLine = line;
      words.push(word);
    }
    word = '';
    inWord = false;
  };
  const endCommand = (sep: string): void => {
    endWord();
    while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) words.shift();
    let cmd: SimpleCommand | undefined;
    if (words.length > 0) {
      cmd = { argv: words, lineOffset: startLine, ...(pipeFrom ? { pipedFrom: pipeFrom } : {}) };
      commands.push(cmd);
    }
    words = [];
    pipeFrom = sep === '|' ? cmd : undefined;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === '\n') {
        line++;
        i += 2;
        continue;
      }
      if (next === '\r' && text[i + 2] === '\n') {
        line++;
        i += 3;
        continue;
      }
      if (next !== undefined) {
        word += next;
        inWord = true;
        i += 2;
        continue;
      }
    }
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end === -1 ? text.length : end;
      const chunk = text.slice(i + 1, stop);
      line += countNewlines(chunk);
      word += chunk;
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let chunk = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) {
          chunk += text[j + 1];
          j += 2;
        } else {
          chunk += text[j];
          j++;
        }
      }
      line += countNewlines(chunk);
      word += chunk;
      inWord = true;
      i = j + 1;
      continue;
    }
    if (ch === '$' && (text[i + 1] === '(' || text[i + 1] === '{')) {
      // $(cmd), $(VAR) in Makefiles, ${VAR}: one word, kept as written
      const close = text[i + 1] === '(' ? ')' : '}';
      let depth = 0;
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === text[i + 1]) depth++;
        else if (text[j] === close && --depth === 0) break;
      }
      const chunk = text.slice(i, j + 1);
      line += countNewlines(chunk);
      word += chunk;
      inWord = true;
      i = j + 1;
      continue;
    }
    if (ch === '#' && !inWord) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      continue;
    }
    const sep = SEPARATORS.find((s) => text.startsWith(s, i));
    if (sep) {
      endCommand(sep);
      if (sep === '\n') line++;
      i += sep.length;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      endWord();
      i++;
      continue;
    }
    word += ch;
    inWord = true;
    i++;
  }
  endCommand('');
  return commands;
}

function countNewlines(s: string): number {
  let n = 0;
  for (const c of s) if (c === '\n') n++;
  return n;
}

/** The command name without a path (`/usr/bin/sudo` → `sudo`). */
export function commandName(cmd: SimpleCommand): string {
  const a = cmd.argv[0] ?? '';
  return a.slice(a.lastIndexOf('/') + 1);
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'ash', 'dash', 'ksh']);
const DOWNLOADERS = new Set(['curl', 'wget']);

/** `curl … | sh` and the like: a shell reading a downloaded script from a pipe. */
export function isPipeToShell(cmd: SimpleCommand): boolean {
  let name = commandName(cmd);
  if (name === 'sudo' || name === 'env') name = (cmd.argv[1] ?? '').replace(/^.*\//, '');
  if (!SHELLS.has(name) && name !== 'python' && name !== 'python3' && name !== 'perl') return false;
  for (let from = cmd.pipedFrom; from; from = from.pipedFrom) if (DOWNLOADERS.has(commandName(from))) return true;
  return false;
}
