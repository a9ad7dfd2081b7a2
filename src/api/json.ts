// SRS's JSON dialect (srs_protocol_json.cpp dumps): compact, keys in insertion order, integers plain,
// floats ("number" values) always with exactly two decimals (`"alive":13.04`, `"mem_percent":0.00`).
// JavaScript numbers cannot say which they are, so float fields are wrapped with `f2()`.

/** A value printed as a float with two decimals. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

/** Mark a number as an SRS float (`%.2f`). */
export function f2(value: number): JsonFloat {
  return new JsonFloat(value);
}

export type JsonValue = null | boolean | number | bigint | string | JsonFloat | JsonValue[] | { [key: string]: JsonValue | undefined };

function num(n: number, float: boolean): string {
  if (!Number.isFinite(n)) return float ? '0.00' : '0';
  // An unmarked non-integer is still a float to SRS.
  if (float || !Number.isInteger(n)) return n.toFixed(2);
  return String(n);
}

/** Serialize like SRS; `undefined` object members are left out. */
export function srsJson(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return num(value, false);
    case 'bigint':
      return value.toString();
    case 'string':
      return JSON.stringify(value);
  }
  if (value instanceof JsonFloat) return num(value.value, true);
  if (Array.isArray(value)) return `[${value.map(srsJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${srsJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
