// Names of our API group and kinds, in one place.
export const GROUP = 'cloudtranscode.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface KindInfo {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  listKind: string;
}

export const KINDS = {
  TranscodeClient: {
    kind: 'TranscodeClient',
    plural: 'transcodeclients',
    singular: 'transcodeclient',
    shortNames: ['tc', 'tclient'],
    listKind: 'TranscodeClientList',
  },
  TranscodeJob: {
    kind: 'TranscodeJob',
    plural: 'transcodejobs',
    singular: 'transcodejob',
    shortNames: ['tj', 'tjob'],
    listKind: 'TranscodeJobList',
  },
  TranscodeRunner: {
    kind: 'TranscodeRunner',
    plural: 'transcoderunners',
    singular: 'transcoderunner',
    shortNames: ['tr', 'trunner'],
    listKind: 'TranscodeRunnerList',
  },
} as const satisfies Record<string, KindInfo>;

export type KindName = keyof typeof KINDS;

/** Where a resource type is served (what a list/watch path is built from). */
export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
}

export function resourceOf(kind: KindName): ResourceType {
  return { group: GROUP, version: VERSION, plural: KINDS[kind].plural, kind };
}

/** Finalizer the operator puts on TranscodeClients (cleanup of queues/buckets). */
export const CLIENT_FINALIZER = `${GROUP}/client-cleanup`;
/** Labels used to find jobs of a client and registration-token Secrets. */
export const LABEL_CLIENT = `${GROUP}/client`;
export const LABEL_JOB_ID = `${GROUP}/job-id`;
export const LABEL_REGISTRATION_TOKEN = `${GROUP}/registration-token`;
