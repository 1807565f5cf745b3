// TranscodeRunner: a registered runner. The runner token is stored only as a hash.
import { Type, type Static } from '@sinclair/typebox';
import { CustomResource } from './common.js';

export const TranscodeRunnerSpec = Type.Object({
  runnerName: Type.String({ minLength: 1, maxLength: 100, description: 'Name the runner registered with (unique).' }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  registrationToken: Type.String({ description: 'Name of the registration-token Secret the runner registered with.' }),
  jobTypes: Type.Optional(Type.Array(Type.String())),
});

export const TranscodeRunnerStatus = Type.Object({
  runnerTokenHash: Type.Optional(Type.String({ description: 'sha256 of the runner token (hex).' })),
  runnerId: Type.Optional(Type.Integer({ description: 'Numeric id returned at registration.' })),
  lastContact: Type.Optional(Type.String()),
  ip: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  jobTypes: Type.Optional(
    Type.Array(Type.String({ maxLength: 100 }), {
      maxItems: 100,
      description: 'Job types the runner asked for in its last jobs/request (an official runner names none: the standard PeerTube types).',
    }),
  ),
});

export const TranscodeRunner = CustomResource(TranscodeRunnerSpec, TranscodeRunnerStatus);

export type TranscodeRunner = Static<typeof TranscodeRunner>;
