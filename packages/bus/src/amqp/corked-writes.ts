/**
 * One socket write per burst of AMQP frames instead of one per frame.
 *
 * amqplib queues each channel's frames in a stream and a multiplexer (its `Mux`) moves them to the socket
 * on the next turn, calling `socket.write` once per queued buffer: a connect storm's route bindings (a method frame
 * each) and publishes (a small message's frames are one buffer) became one `write` system call each. In the
 * issue-17 profile of 10,000 JWT connects those writes were ~75 µs of edge CPU per connect, and each
 * small TCP segment also costs the broker a read. Corking the socket for the multiplexer's pass turns the
 * pass into one `writev`: same bytes, same order, one call. Back-pressure is unchanged — a corked socket
 * still answers `false` past its high-water mark, which stops the pass as before, and 'drain' resumes it.
 *
 * amqplib has no option for this: it reaches into the connection's `muxer` (amqplib 0.10, pinned). If that
 * shape is not there, nothing is changed and frames go out one write each, as amqplib does by default.
 */
import type { ChannelModel } from 'amqplib';

interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

interface RawMux {
  out: CorkableSocket;
  _readIncoming(): void;
}

interface RawConnection {
  muxer?: Partial<RawMux>;
}

function rawMux(model: ChannelModel): RawMux | undefined {
  const mux = (model as unknown as { connection?: RawConnection }).connection?.muxer;
  if (!mux || typeof mux._readIncoming !== 'function') return undefined;
  const out = mux.out;
  if (!out || typeof out.cork !== 'function' || typeof out.uncork !== 'function') return undefined;
  return mux as RawMux;
}

/** Makes each multiplexer pass of `model`'s connection one socket write. Returns false if it could not. */
export function corkFrameWrites(model: ChannelModel): boolean {
  const mux = rawMux(model);
  if (!mux) return false;
  const pass = mux._readIncoming.bind(mux);
  mux._readIncoming = () => {
    const socket = mux.out;
    socket.cork();
    try {
      pass();
    } finally {
      socket.uncork();
    }
  };
  return true;
}
