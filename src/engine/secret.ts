// Secrets travel wrapped: printing, logging or serialising one shows a mask, never the value.

const MASK = '********';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The real value; only for stdin or a protocol field, never for argv, logs or errors. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return MASK;
  }
}

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}

/** The value of a string-or-Secret argument. */
export function reveal(v: string | Secret | undefined): string | undefined {
  return v instanceof Secret ? v.reveal() : v;
}

/** Replace every occurrence of the given secret values in a text by the mask. */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join(MASK);
  return out;
}

export { MASK };
