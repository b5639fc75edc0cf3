/** Publisher of the Switchboard peer on a broker bus: @switchboard/publisher toChannel, its own process. */
import { connectBus } from '@switchboard/bus';
import { Publisher } from '@switchboard/publisher';
import { payloadString } from '../lib/payload.mjs';
import { args, drivePublisher } from '../lib/pub-driver.mjs';

const opts = args() as Record<string, string | undefined>;
const transport = await connectBus(opts.bus ?? 'memory', { clientName: `bench-publisher-${process.pid}` });
const publisher = new Publisher(transport);
const channel = opts.channel ?? 'bench';
drivePublisher((seq) => publisher.toChannel(channel, 'bench', Buffer.from(payloadString(seq), 'latin1')), {
  maxInFlight: Number(opts['max-in-flight'] ?? 2000),
});
process.send?.({ type: 'ready', pid: process.pid });
process.on('disconnect', () => void transport.close().finally(() => process.exit(0)));
