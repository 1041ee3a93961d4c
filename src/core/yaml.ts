/**
 * The YAML parser, loaded on first use: most warms (--query, --keys) and every inspect never read
 * YAML, and loading the parser cost about 20 ms of CPU per run (module evaluation plus the
 * compiler threads). Only the functions the warmlist and twemproxy readers use.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const requireYaml = createRequire(import.meta.url);
let loaded: typeof Yaml | undefined;

function yaml(): typeof Yaml {
  return (loaded ??= requireYaml('yaml') as typeof Yaml);
}

export type { Node, Pair, YAMLMap } from 'yaml';

export function newLineCounter(): Yaml.LineCounter {
  return new (yaml().LineCounter)();
}

export function parseDocument(text: string, options: Yaml.ParseOptions & Yaml.DocumentOptions): Yaml.Document.Parsed {
  return yaml().parseDocument(text, options);
}

export function isMap(node: unknown): node is Yaml.YAMLMap {
  return yaml().isMap(node);
}

export function isScalar(node: unknown): node is Yaml.Scalar {
  return yaml().isScalar(node);
}

export function isSeq(node: unknown): node is Yaml.YAMLSeq {
  return yaml().isSeq(node);
}
