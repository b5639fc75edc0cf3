/** The one TimerSet of the bus lives in ../timer-set.ts; this name stays for the AMQP modules that import it. */
export { TimerSet } from '../timer-set.js';
