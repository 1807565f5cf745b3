// The error handlers throw: a status, a detail safe to show, and the problem code runners react to.
// Its own module so the upstream-error mapping (upstream.ts) and the middleware (problem.ts) both
// build on it without importing each other.
import type { RunnerProblemCode } from '../lib/peertube/problems.js';

export type ProblemCode = RunnerProblemCode | 'invalid-params' | 'unauthorized' | 'payload-too-large';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly code?: ProblemCode,
    /** Extra fields, e.g. the list of invalid parameters. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}
