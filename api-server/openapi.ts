// OpenAPI 3 document of the api-server, generated from the same TypeBox schemas ajv validates
// requests with (served at /api/v1/openapi.json; `node dist/api-server/openapi.js` prints it).
// Runner paths come from the protocol's route table (lib/peertube/routes.ts).
import type { TSchema } from '@sinclair/typebox';
import { Problem } from '../lib/peertube/problems.js';
import { ADMIN_ROUTES as A, RUNNER_ROUTES as R, openApiPath as path } from '../lib/peertube/routes.js';
import {
  AbortBody,
  AcceptResult,
  ErrorBody,
  JobTokensBody,
  RegisterBody,
  RegisterResult,
  RequestBody,
  RequestResult,
  RunnerTokenBody,
  UpdateFields,
} from '../lib/peertube/wire.js';
import { RegistrationTokenCreated, TranscodeBody, VideoCreated } from './schemas.js';
import {
  AbortUploadBody,
  CreateUploadBody,
  CreateUploadResult,
  PART_UPLOAD_ROUTES as PU,
  PartFields,
  PartResult,
} from '../lib/peertube/part-upload.js';

const plain = (s: TSchema): unknown => JSON.parse(JSON.stringify(s)) as unknown;
const json = (s: TSchema) => ({ 'application/json': { schema: plain(s) } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const noContent = { '204': { description: 'Done' } };

function runnerPost(summary: string, body: TSchema, ok: Record<string, unknown>, multipart = false) {
  return {
    post: {
      tags: ['runners'],
      summary,
      requestBody: { required: true, content: multipart ? { 'multipart/form-data': { schema: plain(body) } } : json(body) },
      responses: {
        ...ok,
        '400': problem('Invalid parameters or wrong job state (code runner_job_not_in_processing_state)'),
        '404': problem('Unknown runner token (code unknown_runner_token) or unknown runner job'),
      },
    },
  };
}

const download = (summary: string) => ({
  post: {
    tags: ['runners'],
    summary,
    requestBody: { required: true, content: json(JobTokensBody) },
    responses: {
      '200': { description: 'The file', content: { 'application/octet-stream': {} } },
      '302': { description: 'Redirect to a presigned storage URL (CT_DOWNLOAD_MODE=redirect)' },
      '403': problem('Job is not associated to this video'),
      '404': problem('Unknown runner job or file'),
    },
  },
});

const apiKey = [{ apiKey: [] }, { bearerApiKey: [] }];

/** An admin endpoint (CT_ADMIN_TOKEN). */
const adminOp = (method: 'get' | 'post' | 'delete', summary: string, responses: Record<string, unknown>) => ({
  [method]: { tags: ['admin'], security: [{ adminToken: [] }], summary, responses },
});
const listed = { '200': { description: '{total, data}' } };

export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'cloudtranscode api-server',
      version: '1.0.0',
      description:
        'PeerTube remote-runner API (register, jobs, files; Socket.IO namespace /runners emits `available-jobs`), admin endpoints, and the per-client video API.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        bearerApiKey: { type: 'http', scheme: 'bearer', description: 'Client API key (video API) ' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'CT_ADMIN_TOKEN (admin endpoints)' },
      },
      schemas: { Problem: plain(Problem) },
    },
    paths: {
      [path(R.register)]: runnerPost('Register a runner with a registration token', RegisterBody, {
        '200': { description: 'Registered', content: json(RegisterResult) },
      }),
      [path(R.unregister)]: runnerPost('Unregister a runner', RunnerTokenBody, noContent),
      [path(R.request)]: runnerPost('List up to 10 pending jobs (lowest priority first)', RequestBody, {
        '200': { description: 'Available jobs', content: json(RequestResult) },
      }),
      [path(R.accept)]: {
        post: {
          ...runnerPost('Accept a pending job', RunnerTokenBody, { '200': { description: 'Accepted', content: json(AcceptResult) } }).post,
          responses: {
            '200': { description: 'Accepted', content: json(AcceptResult) },
            '404': problem('Unknown runner token or job'),
            '409': problem('Job is not pending anymore (code runner_job_not_in_pending_state)'),
          },
        },
      },
      [path(R.abort)]: runnerPost('Give a processing job back (pending again)', AbortBody, noContent),
      [path(R.error)]: runnerPost('Report a failure (retried up to 5 times)', ErrorBody, noContent),
      [path(R.update)]: runnerPost('Progress / heartbeat', UpdateFields, noContent, true),
      [path(R.success)]: {
        post: {
          ...runnerPost(
            'Post the result files (payload[videoFile], payload[resolutionPlaylistFile], payload[imageFiles])',
            JobTokensBody,
            noContent,
            true,
          ).post,
          responses: {
            '204': { description: 'Result stored' },
            '400': problem('Missing required files / broken multipart'),
            '404': problem('Unknown runner job'),
            '409': problem('Job is not processing anymore (code runner_job_not_in_processing_state)'),
            '413': problem('File too large'),
          },
        },
      },
      [path(PU.create)]: runnerPost('Ours (ct-*): start a part upload of a result file (docs/streaming-io.md)', CreateUploadBody, {
        '200': { description: 'Upload created', content: json(CreateUploadResult) },
      }),
      [path(PU.part)]: runnerPost(
        'Ours: one part (fields, then the file part `part`), checked by size and SHA-256',
        PartFields,
        {
          '200': { description: 'Part stored', content: json(PartResult) },
        },
        true,
      ),
      [path(PU.abort)]: runnerPost('Ours: abort a part upload', AbortUploadBody, noContent),
      [path(R.videoFile)]: download('Download the input video'),
      [path(R.audioFile)]: download('Download the input audio'),
      [path(R.previewFile)]: download('Download the preview image'),
      [path(R.studioTaskFile)]: download('Download a studio task file'),
      [path(A.generateRegistrationToken)]: adminOp('post', 'Create a registration token (returned once)', {
        '200': { description: 'Created', content: json(RegistrationTokenCreated) },
      }),
      [path(A.registrationTokens)]: adminOp('get', 'List registration tokens', listed),
      [path(A.registrationToken)]: adminOp('delete', 'Revoke a token (and unregister its runners)', {
        ...noContent,
        '404': problem('Not found'),
      }),
      [path(A.runners)]: adminOp('get', 'List runners', listed),
      [path(A.runner)]: adminOp('delete', 'Remove a runner', { ...noContent, '404': problem('Not found') }),
      [path(A.jobs)]: adminOp('get', 'List runner jobs (filters stateOneOf, typeOneOf, search; paging start, count)', listed),
      [path(A.cancelJob)]: adminOp('post', 'Cancel a job (children follow)', { ...noContent, '400': problem('Not cancellable') }),
      '/api/v1/videos/upload': {
        post: {
          tags: ['videos'],
          security: apiKey,
          summary: 'Upload a video (multipart videoFile + name) and transcode it',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['videoFile', 'name'],
                  properties: { videoFile: { type: 'string', format: 'binary' }, name: { type: 'string' } },
                },
              },
            },
          },
          responses: {
            '200': { description: 'Created', content: json(VideoCreated) },
            '401': problem('Bad API key'),
            '413': problem('Too large'),
          },
        },
      },
      '/api/v1/videos/transcode': {
        post: {
          tags: ['videos'],
          security: apiKey,
          summary: 'Transcode an object already in the client input bucket',
          requestBody: { required: true, content: json(TranscodeBody) },
          responses: {
            '200': { description: 'Created', content: json(VideoCreated) },
            '400': problem('Path outside the storage'),
            '401': problem('Bad API key'),
            '404': problem('No such object'),
          },
        },
      },
      '/api/v1/videos/{uuid}': {
        get: {
          tags: ['videos'],
          security: apiKey,
          summary: 'State (phase, progress) and outputs of a video',
          responses: { '200': { description: 'The video' }, '404': problem('Not found') },
        },
      },
    },
  };
}
