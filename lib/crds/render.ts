// Renders our TypeBox schemas into CustomResourceDefinition objects. The schemas stay the single
// source; this only translates JSON Schema (draft 7, as ajv reads it) into the structural OpenAPI
// v3 subset the apiserver accepts, and adds the CRD envelope (status subresource, printer columns).
import type { TSchema } from '@sinclair/typebox';

import { GROUP, VERSION, KINDS, type KindName } from '../kube/resources.js';
import { TranscodeClientSpec, TranscodeClientStatus } from '../schema/transcode-client.js';
import { TranscodeJobSpec, TranscodeJobStatus } from '../schema/transcode-job.js';
import { TranscodeRunnerSpec, TranscodeRunnerStatus } from '../schema/transcode-runner.js';
import { cel } from '../schema/common.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** ajv-only keywords with no OpenAPI/structural equivalent (their rules live in CEL instead). */
const DROP = new Set(['allOf', 'if', 'then', 'else', 'not', '$id', '$schema', 'examples']);

export function toStructural(schema: unknown): JsonObject {
  const s = JSON.parse(JSON.stringify(schema)) as JsonObject; // drops TypeBox's symbol keys
  return convert(s);
}

function convert(s: JsonObject): JsonObject {
  const out: JsonObject = {};
  // Unions of constants (TypeBox literal unions) become a string enum.
  const anyOf = s['anyOf'];
  if (Array.isArray(anyOf) && anyOf.every((a) => a && typeof a === 'object' && !Array.isArray(a) && 'const' in a)) {
    const values = anyOf.map((a) => (a as JsonObject)['const'] as Json);
    return { type: typeof values[0] === 'number' ? 'integer' : 'string', enum: values, ...pick(s, ['description', 'default']) };
  }
  for (const [k, v] of Object.entries(s)) {
    if (DROP.has(k)) continue;
    if (k === 'const') {
      out['enum'] = [v];
      continue;
    }
    if (k === 'exclusiveMinimum' || k === 'exclusiveMaximum') {
      out[k === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = v;
      out[k] = true;
      continue;
    }
    if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      const props: JsonObject = {};
      for (const [pk, pv] of Object.entries(v)) props[pk] = convert(pv as JsonObject);
      out[k] = props;
      continue;
    }
    if (k === 'items' && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = convert(v as JsonObject);
      continue;
    }
    if (k === 'patternProperties' && v && typeof v === 'object') {
      // Type.Record: a typed map becomes additionalProperties; a free-form one is preserved as is.
      if (s['x-kubernetes-preserve-unknown-fields'] === true) continue;
      const first = Object.values(v)[0] as JsonObject | undefined;
      if (first && Object.keys(first).length > 0) out['additionalProperties'] = convert(first);
      continue;
    }
    if (k === 'additionalProperties') {
      // Structural schemas forbid additionalProperties next to properties; unknown fields are pruned anyway.
      if (typeof v === 'boolean') continue;
      out[k] = convert(v as JsonObject);
      continue;
    }
    if (k === 'required' && Array.isArray(v) && v.length === 0) continue;
    if (k === 'uniqueItems') {
      // The apiserver refuses uniqueItems (quadratic); a set-typed list says the same for scalars.
      if (v === true) out['x-kubernetes-list-type'] = 'set';
      continue;
    }
    out[k] = v;
  }
  if (out['x-kubernetes-preserve-unknown-fields'] === true && !out['type']) out['type'] = 'object';
  return out;
}

function pick(s: JsonObject, keys: string[]): JsonObject {
  const o: JsonObject = {};
  for (const k of keys) if (k in s) o[k] = s[k] as Json;
  return o;
}

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

interface CrdInput {
  kind: KindName;
  spec: TSchema;
  status: TSchema;
  specRules?: ReturnType<typeof cel>;
  columns: PrinterColumn[];
  description: string;
}

function crd(input: CrdInput): JsonObject {
  const info = KINDS[input.kind];
  const spec = toStructural(input.spec);
  if (input.specRules) spec['x-kubernetes-validations'] = input.specRules['x-kubernetes-validations'] as unknown as Json;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: info.kind, listKind: info.listKind, plural: info.plural, singular: info.singular, shortNames: [...info.shortNames], categories: ['cloudtranscode'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...input.columns, { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }] as unknown as Json,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: input.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: spec,
                status: toStructural(input.status),
              },
            },
          },
        },
      ],
    },
  };
}

export function renderCrds(): JsonObject[] {
  return [
    crd({
      kind: 'TranscodeClient',
      description: 'A client of the transcoding stack: its SQS queues, S3 buckets, AWS principal and limits.',
      spec: TranscodeClientSpec,
      status: TranscodeClientStatus,
      columns: [
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
        { name: 'Active', type: 'integer', jsonPath: '.status.jobs.active' },
        { name: 'Input Queue', type: 'string', jsonPath: '.status.queues.inputUrl', priority: 1 },
        { name: 'Output Queue', type: 'string', jsonPath: '.status.queues.outputUrl', priority: 1 },
      ],
    }),
    crd({
      kind: 'TranscodeJob',
      description: 'One transcoding job: a CT job description, its runner tasks and their results.',
      spec: TranscodeJobSpec,
      status: TranscodeJobStatus,
      specRules: cel(
        { rule: 'self.job == oldSelf.job', message: 'spec.job is immutable; create a new job instead', fieldPath: '.job' },
        { rule: 'self.clientRef == oldSelf.clientRef && self.jobId == oldSelf.jobId', message: 'clientRef and jobId are immutable', fieldPath: '.clientRef' },
        { rule: '!has(oldSelf.cancel) || !oldSelf.cancel || (has(self.cancel) && self.cancel)', message: 'a canceled job cannot be un-canceled', fieldPath: '.cancel' },
      ),
      columns: [
        { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        { name: 'Progress', type: 'integer', jsonPath: '.status.progress', description: 'Percent done over all tasks' },
        { name: 'Client', type: 'string', jsonPath: '.spec.clientRef.name' },
        { name: 'Job ID', type: 'string', jsonPath: '.spec.jobId', priority: 1 },
        { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
      ],
    }),
    crd({
      kind: 'TranscodeRunner',
      description: 'A registered PeerTube-protocol runner. Its token is stored only as a hash.',
      spec: TranscodeRunnerSpec,
      status: TranscodeRunnerStatus,
      columns: [
        { name: 'Runner', type: 'string', jsonPath: '.spec.runnerName' },
        { name: 'Last Contact', type: 'date', jsonPath: '.status.lastContact' },
        { name: 'Version', type: 'string', jsonPath: '.status.version', priority: 1 },
      ],
    }),
  ];
}
