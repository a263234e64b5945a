import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AnySchemaObject, ValidateFunction } from 'ajv';

// ajv and its plugins are CommonJS: load them through require so their default exports are the classes
// (an ESM default import under NodeNext types is the module namespace).
const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020').default as typeof import('ajv/dist/2020.js').default;
const Ajv07 = require('ajv').default as typeof import('ajv').default;
const AjvDraft04 = require('ajv-draft-04').default as typeof import('ajv-draft-04').default;
const addFormats = require('ajv-formats').default as typeof import('ajv-formats').default;

type Draft = '2020-12' | '2019-09' | 'draft-07' | 'draft-04';

function draftOf(schema: AnySchemaObject): Draft {
  const s = String(schema.$schema ?? '');
  if (s.includes('2020-12')) return '2020-12';
  if (s.includes('2019-09')) return '2019-09';
  if (s.includes('draft-04')) return 'draft-04';
  return 'draft-07';
}

/**
 * Compiles a JSON Schema file from ../shared/schemas with the right draft. Sibling files referenced by relative
 * name (CycloneDX's spdx/jsf schemas) are added from the same directory. `ref` selects a sub-schema, e.g.
 * `#/$defs/BatchImportFindingsRequest`.
 */
export function compileSchemaFile(path: string, options: { ref?: string; siblings?: string[] } = {}): ValidateFunction {
  const schema = JSON.parse(readFileSync(path, 'utf8')) as AnySchemaObject;
  const draft = draftOf(schema);
  const opts = { allErrors: true, strict: false, validateFormats: true };
  const ajv =
    draft === '2020-12'
      ? new Ajv2020(opts)
      : draft === 'draft-04'
        ? new AjvDraft04(opts)
        : draft === '2019-09'
          ? new (require('ajv/dist/2019').default as typeof import('ajv/dist/2019.js').default)(opts)
          : new Ajv07(opts);
  addFormats(ajv as never);
  for (const sibling of options.siblings ?? []) {
    const s = JSON.parse(readFileSync(join(dirname(path), sibling), 'utf8')) as AnySchemaObject;
    ajv.addSchema(s, sibling);
  }
  const id = 'root-under-test';
  ajv.addSchema(schema, id);
  const validate = ajv.getSchema(options.ref ? `${id}${options.ref}` : id);
  if (!validate) throw new Error(`cannot compile ${path}${options.ref ?? ''}`);
  return validate;
}

/** Short error text for assertion messages. */
export function schemaErrors(validate: ValidateFunction, max = 5): string {
  return JSON.stringify(validate.errors?.slice(0, max), null, 2);
}
