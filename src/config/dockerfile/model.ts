import { DockerfileParser, type From, type Instruction } from 'dockerfile-ast';

/** One build stage: its FROM and the instructions up to the next FROM. */
export interface DockerStage {
  index: number;
  from: From;
  /** `AS <name>`, lower-cased as BuildKit compares them. */
  name?: string;
  /** The base image with build ARGs expanded (as far as defaults allow). */
  image: string;
  instructions: Instruction[];
}

export interface DockerfileModel {
  path: string;
  text: string;
  /** ARGs before the first FROM. */
  globalArgs: Instruction[];
  stages: DockerStage[];
  /** Every instruction in file order. */
  instructions: Instruction[];
}

export function parseDockerfile(path: string, text: string): DockerfileModel {
  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const globalArgs: Instruction[] = [];
  const stages: DockerStage[] = [];
  let current: DockerStage | undefined;
  let fromIndex = 0;
  for (const ins of instructions) {
    const keyword = ins.getKeyword().toUpperCase();
    if (keyword === 'FROM') {
      const from = froms[fromIndex++] as From;
      const expanded = from.getExpandedArguments()[0]?.getValue() ?? from.getImage() ?? '';
      current = {
        index: stages.length,
        from,
        name: from.getBuildStage()?.toLowerCase() ?? undefined,
        image: expanded,
        instructions: [],
      };
      stages.push(current);
    } else if (current) current.instructions.push(ins);
    else globalArgs.push(ins);
  }
  return { path, text, globalArgs, stages, instructions };
}

/** 1-based line of an instruction. */
export function lineOf(ins: Instruction): number {
  return ins.getRange().start.line + 1;
}

export function keywordOf(ins: Instruction): string {
  return ins.getKeyword().toUpperCase();
}

/** The instruction's arguments as written, flags removed, continuation lines joined. */
export function argumentText(ins: Instruction): string {
  return ins.getArgumentsContent() ?? '';
}

export function flagsOf(ins: Instruction): Array<{ name: string; value: string | null }> {
  const withFlags = ins as Instruction & { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> };
  return (withFlags.getFlags?.() ?? []).map((f) => ({ name: f.getName(), value: f.getValue() }));
}

/**
 * Resolves `$VAR`/`${VAR}` in a value from ARG/ENV defaults in scope at that instruction (stage ENV and ARG,
 * global ARGs redeclared in the stage). Returns undefined when a variable has no known value.
 */
export function resolveVariables(
  model: DockerfileModel,
  stage: DockerStage,
  ins: Instruction,
  value: string,
): string | undefined {
  const vars = scopeVariables(model, stage, lineOf(ins));
  let unknown = false;
  const out = value.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (m, a, b) => {
      const name = (a ?? b) as string;
      const v = vars.get(name);
      if (v === undefined) {
        // ${VAR:-default}
        const def = /^\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}$/.exec(m);
        if (def) return def[1] ?? '';
        unknown = true;
        return m;
      }
      return v;
    },
  );
  return unknown ? undefined : out;
}

function scopeVariables(model: DockerfileModel, stage: DockerStage, beforeLine: number): Map<string, string> {
  const globals = new Map<string, string>();
  for (const ins of model.globalArgs) for (const [k, v] of propertiesOf(ins)) if (v !== null) globals.set(k, v);
  const vars = new Map<string, string>();
  for (const ins of stage.instructions) {
    if (lineOf(ins) >= beforeLine) break;
    const kw = keywordOf(ins);
    if (kw !== 'ARG' && kw !== 'ENV') continue;
    for (const [k, v] of propertiesOf(ins)) {
      if (v !== null) vars.set(k, v);
      else if (kw === 'ARG' && globals.has(k)) vars.set(k, globals.get(k) as string);
    }
  }
  return vars;
}

/** `KEY=value` pairs of ARG, ENV and LABEL (value null for `ARG NAME` without default). */
export function propertiesOf(ins: Instruction): Array<[string, string | null]> {
  const withProps = ins as Instruction & {
    getProperties?: () => Array<{ getName(): string; getValue(): string | null }>;
  };
  const props = withProps.getProperties?.();
  if (!props) return [];
  return props.map((p) => [p.getName(), unquote(p.getValue())]);
}

function unquote(v: string | null): string | null {
  if (v === null) return null;
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) {
    return v.slice(1, -1);
  }
  return v;
}
