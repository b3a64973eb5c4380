import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/accounting/notifications/webhook-signature.js';

export interface ReceivedDelivery {
  eventId: string;
  kind: string;
  attempt: number;
  /** whether Skypool-Signature verified with the secret the test gave */
  signed: boolean;
  /** the status the receiver answered */
  status: number;
  body: { id: string; kind: string; subject: string; projectId: string | null; institution: string | null; details: Record<string, unknown> };
}

/**
 * A webhook receiver on 127.0.0.1, as a project's service would run one: it checks each delivery's
 * signature with the secret it was given, records it, and answers what the test tells it to
 * (204 unless `answer` says otherwise).
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** the status of the next answers, one each; then 204 */
  readonly answers: number[] = [];
  /** while set, every delivery is answered 503 (a receiver that is down) */
  refusing = false;
  secret = '';
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const header = (name: string) => String(req.headers[name] ?? '');
        const status = this.refusing ? 503 : (this.answers.shift() ?? 204);
        this.received.push({
          eventId: header('skypool-event-id'),
          kind: header('skypool-event-kind'),
          attempt: Number(header('skypool-delivery-attempt')),
          signed: verifySignature(this.secret, header('skypool-timestamp'), body, header('skypool-signature')),
          status,
          body: JSON.parse(body),
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/skypool`;
  }

  /** Deliveries it accepted (2xx), by kind. */
  accepted(kind?: string): ReceivedDelivery[] {
    return this.received.filter((d) => d.status < 300 && (kind === undefined || d.kind === kind));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
