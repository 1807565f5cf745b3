// Route paths of the PeerTube remote-runner API, once (docs/peertube-runner-protocol.md §2): the
// server mounts these patterns, the OpenAPI document lists them, the runner and the planner build
// concrete paths from them with `runnerPath`, whose parameters the compiler checks — in the spirit
// of PeerTube's runner-urls.ts. Patterns are relative to RUNNER_API and use express's `:name` syntax.

/** Mount point of every runner and runner-admin route. */
export const RUNNER_API = '/api/v1/runners';

/** Runner-facing routes (tokens in the body, never in headers). */
export const RUNNER_ROUTES = {
  register: '/register',
  unregister: '/unregister',
  request: '/jobs/request',
  accept: '/jobs/:jobUUID/accept',
  abort: '/jobs/:jobUUID/abort',
  error: '/jobs/:jobUUID/error',
  update: '/jobs/:jobUUID/update',
  success: '/jobs/:jobUUID/success',
  videoFile: '/jobs/:jobUUID/files/videos/:videoId/max-quality',
  audioFile: '/jobs/:jobUUID/files/videos/:videoId/max-quality/audio',
  previewFile: '/jobs/:jobUUID/files/videos/:videoId/previews/max-quality',
  /** Newest PeerTube's alias of previewFile. */
  thumbnailFile: '/jobs/:jobUUID/files/videos/:videoId/thumbnails/max-quality',
  studioTaskFile: '/jobs/:jobUUID/files/videos/:videoId/studio/task-files/:filename',
} as const;

/** Admin routes (PeerTube's shape; bearer CT_ADMIN_TOKEN here). */
export const ADMIN_ROUTES = {
  generateRegistrationToken: '/registration-tokens/generate',
  registrationTokens: '/registration-tokens',
  registrationToken: '/registration-tokens/:id',
  runners: '/',
  runner: '/:runnerId',
  jobs: '/jobs',
  cancelJob: '/jobs/:jobUUID/cancel',
} as const;

/** The input kinds a task payload can point at, by the path that serves them. */
export type InputFileRoute = 'videoFile' | 'audioFile' | 'previewFile';

/** The `:name` parameters of a route pattern, as a union of names. */
export type RouteParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | RouteParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** A concrete path below RUNNER_API: every parameter of `pattern` filled in, URI-encoded. */
export function runnerPath<P extends string>(pattern: P, params: Record<RouteParams<P>, string>): string {
  const values = params as Record<string, string>;
  return (
    RUNNER_API +
    pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      const v = values[name];
      if (v === undefined) throw new Error(`route ${pattern}: missing parameter ${name}`);
      return encodeURIComponent(v);
    })
  );
}

/** The same pattern in OpenAPI's `{name}` syntax, with the RUNNER_API prefix (for the document). */
export function openApiPath(pattern: string): string {
  const full = RUNNER_API + (pattern === '/' ? '' : pattern);
  return full.replace(/:([A-Za-z]+)/g, '{$1}');
}

/** The stored (relative) path of a task input, as the planner writes it into a payload. */
export function inputFilePath(jobUUID: string, videoId: string, route: InputFileRoute): string {
  return runnerPath(RUNNER_ROUTES[route], { jobUUID, videoId });
}

/** The stored path of a studio task file (intro, outro, watermark image). */
export function studioTaskFilePath(jobUUID: string, videoId: string, filename: string): string {
  return runnerPath(RUNNER_ROUTES.studioTaskFile, { jobUUID, videoId, filename });
}

const INPUT_PREFIX = `${RUNNER_API}/jobs/`;

/** Is `s` a stored input path (one the server must make absolute before a runner sees it)? */
export function isInputFilePath(s: string): boolean {
  return s.startsWith(INPUT_PREFIX);
}

/** Socket.IO channel (docs/peertube-runner-protocol.md §10). */
export const SOCKET = {
  path: '/socket.io',
  namespace: '/runners',
  /** The only event: no payload; "ask jobs/request again". */
  availableJobs: 'available-jobs',
} as const;
