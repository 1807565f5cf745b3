// metav1.Condition helpers: lastTransitionTime changes only when the status flips, and every
// condition records the generation it was computed for.
import type { Static } from '@sinclair/typebox';
import type { Condition as ConditionSchema } from '../../lib/schema/common.js';

export type Condition = Static<typeof ConditionSchema>;
export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Returns a new conditions array with `c` set (other types untouched, order kept). */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  c: ConditionInput,
  generation?: number,
  now = new Date(),
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: c.type,
    status: c.status,
    // The CRD requires a non-empty reason; CamelCase by convention.
    reason: c.reason || 'Unknown',
    message: c.message.slice(0, 32768),
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}
