/**
 * The queues one process produces to, created on first use over one shared
 * Redis connection, with the job options from config applied by `add`.
 */
import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunwardenConfig } from './config/schema.js';
import { closeAll, onceClose } from './closeable.js';
import { ledgerJobId, type LedgerEntry } from './ledger.js';
import { jobOptionsFor, QUEUES, type QueueName } from './queues.js';
import { waitForReplicas, type ReplicaAck } from './redis.js';

export interface DeadLetter {
  queue: QueueName | string;
  jobId: string;
  name: string;
  data: unknown;
  failedReason: string;
  attemptsMade: number;
  unrecoverable: boolean;
  failedAt: string;
  stacktrace?: string[];
}

export interface QueueSetOptions {
  connection: Redis;
  prefix: string;
  config: RunwardenConfig;
}

export class QueueSet {
  readonly prefix: string;
  private readonly queues = new Map<string, Queue>();
  private flow: FlowProducer | undefined;
  readonly close: () => Promise<void>;

  constructor(private readonly options: QueueSetOptions) {
    this.prefix = options.prefix;
    this.close = onceClose(() =>
      closeAll(
        [...[...this.queues.values()].map((q) => () => q.close()), () => this.flow?.close()],
        'queue set close',
      ),
    );
  }

  get(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.options.connection,
        prefix: this.prefix,
        defaultJobOptions: jobOptionsFor(name, this.options.config),
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  flowProducer(): FlowProducer {
    this.flow ??= new FlowProducer({ connection: this.options.connection, prefix: this.prefix });
    return this.flow;
  }

  jobOptions(name: QueueName, extra: JobsOptions = {}): JobsOptions {
    return { ...jobOptionsFor(name, this.options.config), ...extra };
  }

  /**
   * Waits, at most `timeoutMs`, until what this set added has reached a
   * replica of runwarden's master (every queue shares the connection, and in a
   * Cluster the prefix's hash tag puts every key on one master).
   */
  waitForReplicas(timeoutMs = 1_000): Promise<ReplicaAck> {
    return waitForReplicas(this.options.connection, `${this.prefix}:${QUEUES.alert}:id`, timeoutMs);
  }

  /** Records a worker's result for the scanner to write to runwarden_* tables. */
  async recordLedger(entry: LedgerEntry): Promise<void> {
    await this.get(QUEUES.ledger).add(entry.kind, entry, { jobId: ledgerJobId(entry) });
  }

  async addDeadLetter(letter: DeadLetter): Promise<void> {
    await this.get(QUEUES.deadLetter).add(letter.queue, letter, {
      jobId: `${letter.queue}.${letter.jobId}`,
    });
  }
}
