// Errors on the runner API (docs/peertube-runner-protocol.md §4): RFC 7807 problem documents shaped
// like PeerTube's, and the `code` values runners react to. The server throws them, the runner
// branches on them: both import the codes from here.
import { Type, type Static } from '@sinclair/typebox';
import type { ValueOf } from '../schema/common.js';

/** Problem codes of the runner protocol (PeerTube's ServerErrorCode values). */
export const CODES = {
  UNKNOWN_RUNNER_TOKEN: 'unknown_runner_token',
  NOT_PENDING: 'runner_job_not_in_pending_state',
  NOT_PROCESSING: 'runner_job_not_in_processing_state',
} as const;
export type RunnerProblemCode = ValueOf<typeof CODES>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** PeerTube's REST reference: `docs` of every problem, and the base of `type` for coded ones. */
export const PROBLEM_DOCS = 'https://docs.joinpeertube.org/api-rest-reference.html';

/** The `type` URL of a problem: the docs anchor of its code, or about:blank. */
export function problemType(code: string | undefined): string {
  return code ? `${PROBLEM_DOCS}#section/Errors/${code}` : 'about:blank';
}

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.String(),
  code: Type.Optional(Type.String()),
});
export type Problem = Static<typeof Problem>;
