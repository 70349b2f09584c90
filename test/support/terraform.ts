/**
 * The Terraform of infra/, parsed offline with @cdktf/hcl2json and merged over its files, for tests
 * that check it against the app. Blocks are arrays (`resource.T.N[0].x[0].y`); expressions stay
 * strings (`"${var.region}"`); a literal object whose keys are literal stays an object.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** Any parsed HCL value. */
// biome-ignore lint/suspicious/noExplicitAny: parsed HCL is untyped JSON; the tests assert its shape.
export type Hcl = any;

export interface Terraform {
  /** Every `.tf` file, by name, with its text. */
  files: Map<string, string>;
  /** `resource.TYPE.NAME` -> the block (the first, there is one per name). */
  resources: Map<string, Hcl>;
  /** `data.TYPE.NAME` -> the block. */
  dataSources: Map<string, Hcl>;
  /** Every local, over all `locals` blocks. */
  locals: Record<string, Hcl>;
  /** `variable NAME` -> the block. */
  variables: Record<string, Hcl>;
  /** `output NAME` -> the block. */
  outputs: Record<string, Hcl>;
  /** The `terraform` blocks. */
  settings: Hcl[];
}

/** Parses and merges every `.tf` file of `dir` (not recursive: one root module). */
export async function loadTerraform(dir: string): Promise<Terraform> {
  const terraform: Terraform = {
    files: new Map(),
    resources: new Map(),
    dataSources: new Map(),
    locals: {},
    variables: {},
    outputs: {},
    settings: [],
  };
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith('.tf'))
    .sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    terraform.files.set(name, text);
    mergeFile(terraform, name, (await parse(name, text)) as Record<string, Hcl>);
  }
  return terraform;
}

/** Adds the blocks of one parsed file to `terraform`. */
function mergeFile(terraform: Terraform, name: string, parsed: Record<string, Hcl>): void {
  mergeResources(terraform, name, parsed.resource ?? {});
  for (const [type, byName] of Object.entries<Record<string, Hcl[]>>(parsed.data ?? {})) {
    for (const [dataName, blocks] of Object.entries(byName))
      terraform.dataSources.set(`data.${type}.${dataName}`, blocks[0]);
  }
  for (const block of parsed.locals ?? []) Object.assign(terraform.locals, block);
  for (const [variable, blocks] of Object.entries<Hcl[]>(parsed.variable ?? {})) {
    terraform.variables[variable] = blocks[0];
  }
  for (const [output, blocks] of Object.entries<Hcl[]>(parsed.output ?? {})) {
    terraform.outputs[output] = blocks[0];
  }
  terraform.settings.push(...(parsed.terraform ?? []));
}

/** Adds `resource TYPE NAME` blocks; a name declared twice (in any file) is an error. */
function mergeResources(
  terraform: Terraform,
  name: string,
  resources: Record<string, Record<string, Hcl[]>>,
): void {
  for (const [type, byName] of Object.entries(resources)) {
    for (const [resourceName, blocks] of Object.entries(byName)) {
      const key = `${type}.${resourceName}`;
      if (terraform.resources.has(key)) throw new Error(`${name}: ${key} is declared twice`);
      terraform.resources.set(key, blocks[0]);
    }
  }
}

/** The resource `TYPE.NAME`, or an error naming what is missing. */
export function resourceOf(terraform: Terraform, key: string): Hcl {
  const resource = terraform.resources.get(key);
  if (!resource) throw new Error(`infra/ declares no resource ${key}`);
  return resource;
}

/** The `local.NAME` references in an expression string, in order, without repeats. */
export function localsReferenced(expression: string): string[] {
  return [
    ...new Set(
      [...expression.matchAll(/\blocal\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] as string),
    ),
  ];
}

/** A variable's default (undefined when it has none). */
export function defaultOf(terraform: Terraform, variable: string): unknown {
  const block = terraform.variables[variable];
  if (!block) throw new Error(`infra/ declares no variable ${variable}`);
  return block.default;
}
