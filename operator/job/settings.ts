// Job controller settings are read once, by operator/config.ts (jobSettingsFromEnv, with the shared
// readers of lib/config/env.ts), and passed down by operator/job/index.ts.
import type { Env } from '../../lib/config/env.js';
import { jobSettingsFromEnv } from '../config.js';

/**
 * The fallback of operator/job/controller.ts when it is built without `stallMs` (index.ts always
 * passes it): the operator's one reader, not a parser of its own. Goes once controller.ts requires it.
 */
export function stallMsFromEnv(env: Env = process.env): number {
  return jobSettingsFromEnv(env).stallMs;
}
