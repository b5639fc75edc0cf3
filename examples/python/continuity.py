"""The continuity rule of durable channels (docs/protocol.md, "Continuity of durable channels").

One DurableStream per subscription to a durable channel. Feed it every Subscribed answer and every
Publication of the channel; it returns what to hand to the application, in order, without duplicates, and
says when to subscribe again with `since` (a gap, or Unsubscribed 2500-2999). It does no I/O, so the rule
can be tested on its own (test_continuity.py).
"""

from dataclasses import dataclass, field
from typing import List


@dataclass
class Outcome:
    """What one frame means for the application."""

    emit: list = field(default_factory=list)  # publications to hand on, in order
    resubscribe: bool = False  # send Subscribe{channel, since=stream.since()} now, on this connection
    lost: bool = False  # a gap could not be recovered: the application must reload


class DurableStream:
    def __init__(self) -> None:
        self.offset = 0  # P: offset of the last publication handed on (or the stream top when subscribed)
        self.epoch = ""  # E
        self.known = False  # a position was learnt: after a reconnect, subscribe with `since`
        self.resyncing = False  # a Subscribe with `since` is on its way; publications wait in `buffer`
        self.buffer: List = []

    def since(self) -> dict:
        """The `since` of a re-sync: the position (P, E). {0, ""} asks for the start of the current epoch."""
        return {"offset": self.offset, "epoch": self.epoch}

    def start_resync(self) -> None:
        """Call when sending a Subscribe with `since`: publications are buffered until its answer."""
        self.resyncing = True

    def on_publication(self, pub) -> Outcome:
        if self.resyncing:
            self.buffer.append(pub)
            return Outcome()
        return self._apply([pub])

    def on_unsubscribed(self, code: int) -> Outcome:
        """Unsubscribed 2500-2999: the edge may have missed publications; re-sync like after a gap."""
        if 2500 <= code <= 2999 and not self.resyncing:
            return Outcome(resubscribe=True)
        return Outcome()

    def on_subscribed(self, subscribed, with_since: bool) -> Outcome:
        """The answer of a Subscribe; `with_since` says whether that Subscribe carried `since`."""
        buffered, self.buffer = self.buffer, []
        self.resyncing = False
        has_position = subscribed.HasField("position")
        top, epoch = subscribed.position.offset, subscribed.position.epoch
        outcome = Outcome()
        if with_since and subscribed.recovered and self._runs_to_top(subscribed.publications, top, epoch):
            missed = sorted(subscribed.publications, key=lambda p: p.offset)
            outcome.emit.extend(p for p in missed if p.offset > self.offset)  # duplicates dropped
        elif with_since:
            # Not recovered (too old, another epoch) or the list has a hole: the application must reload.
            outcome.lost = True
        if has_position:
            self.offset, self.epoch, self.known = top, epoch, True
        # Buffered publications by the same rules: those at or below the new position are dropped.
        later = self._apply(buffered)
        outcome.emit.extend(later.emit)
        outcome.resubscribe = later.resubscribe
        return outcome

    def _runs_to_top(self, publications, top: int, epoch: str) -> bool:
        """The recovered list runs from P+1 to `top` without a hole, in one epoch."""
        offsets = sorted(p.offset for p in publications if p.offset > self.offset)
        if any(p.epoch != epoch for p in publications):
            return False
        if self.offset > 0 and epoch != self.epoch:
            return False
        return offsets == list(range(self.offset + 1, top + 1))

    def _apply(self, publications) -> Outcome:
        outcome = Outcome()
        for index, pub in enumerate(publications):
            if pub.offset == 0:  # ephemeral: pass it on
                outcome.emit.append(pub)
            elif pub.epoch == self.epoch and pub.offset == self.offset + 1:
                self.offset += 1
                outcome.emit.append(pub)
            elif pub.epoch == self.epoch and pub.offset <= self.offset:
                continue  # a duplicate
            elif self.offset == 0 and pub.offset == 1:  # an empty stream starts, in any epoch
                self.offset, self.epoch, self.known = 1, pub.epoch, True
                outcome.emit.append(pub)
            else:
                # A gap: hand on nothing from here, keep the rest for the answer of the re-sync.
                self.resyncing = True
                self.buffer.extend(publications[index:])
                outcome.resubscribe = True
                break
        return outcome
