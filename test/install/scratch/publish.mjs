// Runs in the scratch project: publishes one payload to a channel with the installed publisher.
//   node publish.mjs <bus url> <channel> <payload>
import { connectBus, Publisher } from '@switchboard/publisher';

const [busUrl, channel, payload] = process.argv.slice(2);
const transport = await connectBus(busUrl);
await new Publisher({ transport }).toChannel(channel, 'install.check', payload);
await transport.close();
