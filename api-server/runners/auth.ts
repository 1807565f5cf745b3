// Runner authentication (peertube-runner-reference §1.4): the runner token in the body names the
// runner; for calls about an accepted job the job token must match the task's stored hash and the
// task must belong to that runner. Lookups come from the cache; a token the cache does not know
// yet (registered a moment ago through another replica) gets one labelled API lookup, and misses
// are remembered briefly so bad tokens cannot make us hammer the apiserver.
import type { KubeConfig } from '@kubernetes/client-node';
import { crs, type CrClient } from '../../lib/kube/crs.js';
import { GROUP } from '../../lib/kube/resources.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import type { Store, TaskRef } from '../store.js';
import { hashLabel, sameHash, sha256Hex } from '../tokens.js';
import { unknownRunnerJob, unknownRunnerToken } from '../problem.js';

export const LABEL_RUNNER_TOKEN_HASH = `${GROUP}/runner-token-hash`;
const MISS_TTL_MS = 5000;
const MAX_MISSES = 10_000;

export class RunnerAuth {
  private readonly misses = new Map<string, number>();
  private readonly runners: CrClient<TranscodeRunner>;

  constructor(
    kc: KubeConfig,
    private readonly store: Store,
    private readonly namespace: string,
  ) {
    this.runners = crs(kc).runners;
  }

  /** The runner owning `token`, or undefined. */
  async findRunner(token: string): Promise<TranscodeRunner | undefined> {
    const hash = sha256Hex(token);
    const cached = this.store.runnerByTokenHash(hash);
    if (cached) return cached;
    const missUntil = this.misses.get(hash);
    if (missUntil !== undefined && missUntil > Date.now()) return undefined;
    const found = await this.lookup(hash);
    if (found) {
      this.misses.delete(hash);
      this.store.observeRunner(found);
      return found;
    }
    if (this.misses.size >= MAX_MISSES) this.misses.clear();
    this.misses.set(hash, Date.now() + MISS_TTL_MS);
    return undefined;
  }

  /** Like findRunner, but a missing runner is the `unknown_runner_token` problem. */
  async requireRunner(token: string): Promise<TranscodeRunner> {
    const runner = await this.findRunner(token);
    if (!runner) throw unknownRunnerToken();
    return runner;
  }

  /**
   * The task `uuid` accepted by the runner with `runnerToken` under `jobToken`. Every mismatch is the
   * same 404 "Unknown runner job", as in PeerTube (the lookup joins uuid, job token and runner token).
   */
  async requireRunnerJob(uuid: string, runnerToken: string, jobToken: string): Promise<{ runner: TranscodeRunner } & TaskRef> {
    const runner = await this.findRunner(runnerToken);
    const ref = this.store.task(uuid);
    if (!runner || !ref) throw unknownRunnerJob();
    const { task } = ref;
    if (!task.jobTokenHash || !sameHash(sha256Hex(jobToken), task.jobTokenHash)) throw unknownRunnerJob();
    if (task.runner?.id !== undefined && task.runner.id !== runner.metadata.name) throw unknownRunnerJob();
    return { runner, ...ref };
  }

  private async lookup(hash: string): Promise<TranscodeRunner | undefined> {
    const list = await this.runners.list(this.namespace, { labelSelector: `${LABEL_RUNNER_TOKEN_HASH}=${hashLabel(hash)}` });
    return list.find((r) => r.status?.runnerTokenHash !== undefined && sameHash(r.status.runnerTokenHash, hash));
  }
}
