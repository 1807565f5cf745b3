// Resource policies of a client's queues and buckets (CT's entitlements, docs/client-resources.md), and a small
// evaluator that answers "does this policy let principal P do action A on resource R" for adopted
// resources, so a missing grant can be reported precisely.

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS?: string | string[] };
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  Condition?: unknown;
}

export interface PolicyDocument {
  Version: string;
  Id?: string;
  Statement: PolicyStatement[];
}

/** What the client does with its input queue. */
export const CLIENT_INPUT_QUEUE_ACTIONS = ['sqs:SendMessage'];
/** What the client does with its output queue. */
export const CLIENT_OUTPUT_QUEUE_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
/** What the stack does with a client's input queue. */
export const STACK_INPUT_QUEUE_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ChangeMessageVisibility',
];
/** What the stack does with a client's output queue. */
export const STACK_OUTPUT_QUEUE_ACTIONS = ['sqs:SendMessage'];

function principalOf(p: string): '*' | { AWS: string } {
  return p === '*' ? '*' : { AWS: p };
}

/** One grant of a resource policy: its statement id and actions. */
type Grant = readonly [sid: string, actions: readonly string[]];

/** Each resource of a client: what the client may do on it, then what the stack may do. */
const GRANTS = {
  inputQueue: [
    ['ClientSendsCommands', CLIENT_INPUT_QUEUE_ACTIONS],
    ['StackReadsCommands', STACK_INPUT_QUEUE_ACTIONS],
  ],
  outputQueue: [
    ['ClientReadsResults', CLIENT_OUTPUT_QUEUE_ACTIONS],
    ['StackSendsResults', STACK_OUTPUT_QUEUE_ACTIONS],
  ],
  inputBucket: [
    ['ClientUploadsSources', ['s3:PutObject']],
    ['StackReadsSources', ['s3:GetObject']],
  ],
  outputBucket: [
    ['ClientReadsResults', ['s3:GetObject']],
    ['StackWritesResults', ['s3:PutObject']],
  ],
} as const satisfies Record<string, readonly [client: Grant, stack: Grant]>;

function allow(Sid: string, principal: string, actions: readonly string[], Resource: string): PolicyStatement {
  return { Sid, Effect: 'Allow', Principal: principalOf(principal), Action: [...actions], Resource };
}

/** The two Allow statements of a resource: the client's grant, then the stack's. */
function allowBoth(grants: readonly [Grant, Grant], resource: string, clientPrincipal: string, stackPrincipal: string): PolicyStatement[] {
  const [[clientSid, clientActions], [stackSid, stackActions]] = grants;
  return [allow(clientSid, clientPrincipal, clientActions, resource), allow(stackSid, stackPrincipal, stackActions, resource)];
}

function queuePolicy(grants: readonly [Grant, Grant], queueArn: string, clientPrincipal: string, stackPrincipal: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Id: `${queueArn}/cloudtranscode`,
    Statement: allowBoth(grants, queueArn, clientPrincipal, stackPrincipal),
  };
}

export function inputQueuePolicy(queueArn: string, clientPrincipal: string, stackPrincipal: string): PolicyDocument {
  return queuePolicy(GRANTS.inputQueue, queueArn, clientPrincipal, stackPrincipal);
}

export function outputQueuePolicy(queueArn: string, clientPrincipal: string, stackPrincipal: string): PolicyDocument {
  return queuePolicy(GRANTS.outputQueue, queueArn, clientPrincipal, stackPrincipal);
}

/** Objects under `prefix` in `bucket` (every object when prefix is empty). */
export function objectsArn(bucket: string, prefix = ''): string {
  return `arn:aws:s3:::${bucket}/${prefix}*`;
}

/** Input bucket: the client uploads sources, the stack reads them. */
export function inputBucketPolicy(bucket: string, prefix: string, clientPrincipal: string, stackPrincipal: string): PolicyDocument {
  return { Version: '2012-10-17', Statement: allowBoth(GRANTS.inputBucket, objectsArn(bucket, prefix), clientPrincipal, stackPrincipal) };
}

/** Output bucket: the stack writes results, the client reads them. */
export function outputBucketPolicy(bucket: string, prefix: string, clientPrincipal: string, stackPrincipal: string): PolicyDocument {
  return { Version: '2012-10-17', Statement: allowBoth(GRANTS.outputBucket, objectsArn(bucket, prefix), clientPrincipal, stackPrincipal) };
}

/** The 12-digit account of a principal (account id or IAM/STS ARN), undefined for "*". */
export function accountOf(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  return /^arn:aws[a-z-]*:(?:iam|sts|sqs:[a-z0-9-]+)::?(\d{12}):/.exec(principal)?.[1];
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    caseInsensitive ? 'i' : '',
  );
  return re.test(value);
}

function principalMatches(stmt: PolicyStatement, principal: string): boolean {
  if (stmt.Principal === undefined) return false;
  if (stmt.Principal === '*') return true;
  const account = accountOf(principal);
  for (const p of asList(stmt.Principal.AWS)) {
    if (p === '*' || p === principal) return true;
    // Granting an account (id or :root) delegates to every principal of that account.
    const grantedAccount = /^\d{12}$/.test(p) ? p : /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(p)?.[1];
    if (grantedAccount && grantedAccount === account) return true;
  }
  return false;
}

function statementMatches(stmt: PolicyStatement, principal: string, action: string, resource: string): boolean {
  if (stmt.NotPrincipal !== undefined || stmt.NotAction !== undefined) return false; // not evaluated: treated as not granting
  if (!principalMatches(stmt, principal)) return false;
  if (!asList(stmt.Action).some((a) => wildcard(a, action, true))) return false;
  const resources = asList(stmt.Resource);
  return resources.length === 0 || resources.some((r) => wildcard(r, resource, false));
}

/** Whether `policy` (JSON text or parsed) allows principal to do action on resource (explicit Deny wins). */
export function policyAllows(policy: string | PolicyDocument | undefined, principal: string, action: string, resource: string): boolean {
  if (!policy) return false;
  let doc: PolicyDocument;
  try {
    doc = typeof policy === 'string' ? (JSON.parse(policy) as PolicyDocument) : policy;
  } catch {
    return false;
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement as PolicyStatement] : [];
  let allowed = false;
  for (const s of statements) {
    if (!statementMatches(s, principal, action, resource)) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

/** The actions of `actions` that the policy does not allow. */
export function missingActions(policy: string | undefined, principal: string, actions: readonly string[], resource: string): string[] {
  return actions.filter((a) => !policyAllows(policy, principal, a, resource));
}
