// Typed readers of configuration from the environment, shared by every component so that a bad
// value is reported one way everywhere: a ConfigError naming the variable, what it must be and what
// it got, and the process exits with CONFIG_EXIT_CODE (see exitOnConfigError). An unset or empty
// variable means "use the default".

/** Exit code of every component for bad configuration (64 + would clash with signals; 2 = usage error). */
export const CONFIG_EXIT_CODE = 2;

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** The variable (or flag) at fault, when one is. */
  readonly variable: string | undefined;
  /** `new ConfigError(variable, problem)`, or `new ConfigError(message)` when no single variable is at fault. */
  constructor(variableOrMessage: string, problem?: string) {
    super(problem === undefined ? variableOrMessage : `${variableOrMessage} ${problem}`);
    this.variable = problem === undefined ? undefined : variableOrMessage;
  }
}

export type Env = NodeJS.ProcessEnv;

function raw(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

const got = (v: string): string => `got ${JSON.stringify(v)}`;

/** An integer in [min, max]. */
export function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = raw(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `must be an integer between ${min} and ${max}, ${got(v)}`);
  return n;
}

/**
 * A duration given in `unit` (seconds or milliseconds) within [min, max] of that unit, returned in
 * milliseconds; fractions are allowed for seconds. `min` is exclusive when `exclusiveMin` (e.g. "> 0").
 */
export function duration(
  env: Env,
  name: string,
  def: number,
  o: { unit: 's' | 'ms'; min: number; max: number; exclusiveMin?: boolean },
): number {
  const factor = o.unit === 's' ? 1000 : 1;
  const v = raw(env, name);
  if (v === undefined) return Math.round(def * factor);
  const n = Number(v);
  const low = o.exclusiveMin ? n > o.min : n >= o.min;
  const whole = o.unit === 'ms' ? Number.isInteger(n) : Number.isFinite(n);
  if (!whole || !low || n > o.max) {
    const range = o.exclusiveMin ? `greater than ${o.min} and at most ${o.max}` : `between ${o.min} and ${o.max}`;
    throw new ConfigError(name, `must be a number of ${o.unit === 's' ? 'seconds' : 'milliseconds'} ${range}, ${got(v)}`);
  }
  return Math.round(n * factor);
}

/** true/1 or false/0. */
export function bool(env: Env, name: string, def: boolean): boolean {
  const v = raw(env, name);
  if (v === undefined) return def;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(name, `must be true or false, ${got(v)}`);
}

/** One of a fixed list of values. */
export function oneOf<T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const v = raw(env, name);
  if (v === undefined) return def;
  if (!(values as readonly string[]).includes(v)) throw new ConfigError(name, `must be one of ${values.join(', ')}, ${got(v)}`);
  return v as T;
}

/**
 * A string matching `check.pattern` (described as `check.what`). Unset → def; the empty string is a
 * value of its own (e.g. an empty prefix) unless `emptyIsDefault`.
 */
export function str(env: Env, name: string, def: string, check?: { pattern: RegExp; what: string; emptyIsDefault?: boolean }): string {
  const v = (check?.emptyIsDefault ? raw(env, name) : env[name]) ?? def;
  if (check && !check.pattern.test(v)) throw new ConfigError(name, `must be ${check.what}, ${got(v)}`);
  return v;
}

/** An absolute http(s) URL without query or fragment, returned without a trailing slash. */
export function httpUrl(env: Env, name: string, def: string): string {
  const v = raw(env, name) ?? def;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, ${got(v)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(name, `must start with http:// or https://, ${got(v)}`);
  if (u.search || u.hash) throw new ConfigError(name, `must not have a query string or fragment, ${got(v)}`);
  return u.toString().replace(/\/+$/, '');
}

/** A comma-separated list (blank items dropped). */
export function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Runs a component's config loader; on a ConfigError reports it (through `report`) and exits with
 * CONFIG_EXIT_CODE. Anything else is a bug and is rethrown.
 */
export function loadOrExit<T>(load: () => T, report: (err: ConfigError) => void): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    report(err);
    return process.exit(CONFIG_EXIT_CODE);
  }
}
