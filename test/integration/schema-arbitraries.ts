import fc from 'fast-check';
import type { z } from 'zod';

/** Strings that have broken parsers, SQL casts, key lookups and storage paths before. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202e',
  '\uffff',
  '__proto__',
  'constructor',
  'valueOf',
  'toString',
  'hasOwnProperty',
  '../../../etc/passwd',
  '..\\..\\raw',
  "'; drop table users; --",
  '<script>alert(1)</script>',
  '-'.repeat(36),
  '00000000-0000-0000-0000-000000000000',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '9'.repeat(400),
  'x'.repeat(70_000),
];

/** Characters that pass a length check but not a database, a decoder or a reader. */
const HOSTILE_CHARACTERS = ['\u0000', '\ud800', '\u202e', '\u0007', '\r\n', '%00', '../'];

/** Path segments sent as they are: encodings a decoder may turn into a separator, NUL or an error. */
export const HOSTILE_SEGMENTS = ['..', '.', '%2e%2e', '..%2f..%2f..%2f', '..%2F', '%252f', '%5c', '%00', '%ff', '%E0%A4%A', '%c0%ae%c0%ae%c0%af', 'a%2fb', '%u002e', '%'];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(-1, -0, 0, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE),
  fc.constantFrom(null, true, false, [], {}),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown),
);

interface Def {
  type: string;
  checks?: Array<{ _zod: { def: { check: string; minimum?: number; maximum?: number; format?: string; pattern?: RegExp } } }>;
  [key: string]: unknown;
}
const defOf = (schema: unknown) => (schema as { _zod: { def: Def } })._zod.def;
const checksOf = (def: Def) => (def.checks ?? []).map((check) => check._zod.def);
const BOUND = 1e9;
const clamp = (value: number | null | undefined, fallback: number) => (Number.isFinite(value) ? Math.max(-BOUND, Math.min(BOUND, value as number)) : fallback);

/** Real ids for a field or path parameter by its name, so requests reach existing rows. */
export type IdsFor = (field: string) => readonly string[];

/**
 * A fast-check arbitrary for a zod schema's inputs, mostly valid so requests get past validation
 * and reach the handler, with a hostile value swapped in at any node (one in eight) and hostile
 * characters slipped into otherwise valid strings.
 */
export function arbitraryFor(schema: z.ZodType, ids: IdsFor = () => [], field = ''): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 7, arbitrary: validFor(schema, ids, field) }, { weight: 1, arbitrary: hostileValue });
}

function validFor(schema: z.ZodType, ids: IdsFor, field: string): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  const inner = (key: string) => arbitraryFor(def[key] as z.ZodType, ids, field);
  switch (def.type) {
    case 'string': {
      const text = stringFor(schema as z.ZodString, def, ids(field));
      return fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.tuple(text, fc.constantFrom(...HOSTILE_CHARACTERS)).map(([s, c]) => s + c) });
    }
    case 'number': {
      const number = schema as z.ZodNumber;
      const min = clamp(number.minValue, -BOUND);
      const max = clamp(number.maxValue, BOUND);
      return number.isInt ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...(schema as z.ZodEnum).options);
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'object': {
      const shape = (schema as z.ZodObject).shape;
      const model = Object.fromEntries(Object.entries(shape).map(([key, value]) => [key, arbitraryFor(value as z.ZodType, ids, key)]));
      const required = Object.entries(shape).filter(([, field]) => !['optional', 'default'].includes(defOf(field).type));
      return fc.record(model, { requiredKeys: required.map(([key]) => key) });
    }
    case 'array': {
      const lengths = checksOf(def);
      const minLength = lengths.find((c) => c.check === 'min_length')?.minimum ?? 0;
      const maxLength = Math.min(lengths.find((c) => c.check === 'max_length')?.maximum ?? 20, Math.max(minLength, 20));
      return fc.array(inner('element'), { minLength, maxLength });
    }
    case 'tuple':
      return fc.tuple(...(def.items as z.ZodType[]).map((item) => arbitraryFor(item, ids, field)));
    case 'record':
      return fc.dictionary(fc.string({ maxLength: 20 }), inner('valueType'), { maxKeys: 10 });
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map((option) => arbitraryFor(option, ids, field)));
    case 'optional':
    case 'default':
    case 'readonly':
    case 'catch':
      return inner('innerType');
    case 'nullable':
      return fc.option(inner('innerType'), { nil: null });
    case 'pipe':
      // A transform's output says nothing of its input; otherwise the output side is the stricter one.
      return defOf(def.out).type === 'transform' ? inner('in') : inner('out');
    default:
      return fc.jsonValue();
  }
}

function stringFor(schema: z.ZodString, def: Def, ids: readonly string[]): fc.Arbitrary<string> {
  const uuids = ids.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: fc.uuid() }) : fc.uuid();
  switch (schema.format) {
    case 'uuid':
    case 'guid':
      return uuids;
    case 'email':
      return fc.emailAddress();
    case 'url':
      return fc.webUrl();
    case 'datetime':
      return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString());
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 64, Math.max(minLength, 64));
  const pattern = checksOf(def).find((check) => check.format === 'regex')?.pattern;
  const text = fc.string({ minLength, maxLength, unit: 'grapheme' });
  return pattern ? fc.oneof(fc.stringMatching(pattern).filter((s) => s.length >= minLength && s.length <= maxLength), text) : fc.oneof(text, uuids);
}
