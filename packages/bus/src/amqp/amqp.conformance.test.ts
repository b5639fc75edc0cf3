import { startRabbit } from '../../../../test/support/rabbitmq.js';
import { runTransportConformance } from '../conformance/index.js';
import { AmqpTransport } from './index.js';

runTransportConformance('amqp', async () => {
  const rabbit = await startRabbit();
  return {
    // Short backoff cap so the restart case reconnects promptly; the default is for production.
    connect: () => AmqpTransport.connect({ url: rabbit.url, reconnectMaxMs: 1_000 }),
    restart: () => rabbit.restart(),
    dispose: () => rabbit.stop(),
  };
});
