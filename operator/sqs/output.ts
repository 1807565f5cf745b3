// Sends CT messages to a client's output queue (one JSON document per SQS message, no attributes, as
// CT clients expect).
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CtMessage } from '../../lib/ct/messages.js';

export type SendToClient = (outputUrl: string, message: CtMessage) => Promise<void>;

export function outputSender(sqs: SQSClient): SendToClient {
  return async (outputUrl, message) => {
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: outputUrl, MessageBody: JSON.stringify(message) }));
    } catch (err) {
      throw new Error(
        `sending ${message.type}${message.job_id ? ` of job ${message.job_id}` : ''} to ${outputUrl} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  };
}
