#!/usr/bin/env python3
"""Unit tests of the continuity rule (continuity.py) on hand-made frames: python3 test_continuity.py"""

import unittest

from continuity import DurableStream
from switchboard_proto import client_pb2


def pub(offset: int, epoch: str = "e1"):
    return client_pb2.Publication(channel="chat:x", offset=offset, epoch=epoch, type="t")


def subscribed(top: int, epoch: str = "e1", recovered: bool = False, publications=()):
    return client_pb2.Subscribed(
        channel="chat:x", durable=True, position=client_pb2.StreamPosition(offset=top, epoch=epoch),
        recovered=recovered, was_recovering=recovered, publications=list(publications))


def offsets(outcome):
    return [p.offset for p in outcome.emit]


class ContinuityTest(unittest.TestCase):
    def setUp(self):
        self.stream = DurableStream()
        self.stream.on_subscribed(subscribed(3), with_since=False)

    def test_consecutive_publications_pass_and_move_the_position(self):
        self.assertEqual(offsets(self.stream.on_publication(pub(4))), [4])
        self.assertEqual(offsets(self.stream.on_publication(pub(5))), [5])
        self.assertEqual(self.stream.since(), {"offset": 5, "epoch": "e1"})

    def test_duplicates_are_dropped(self):
        self.assertEqual(offsets(self.stream.on_publication(pub(3))), [])
        self.assertEqual(offsets(self.stream.on_publication(pub(4))), [4])
        self.assertEqual(offsets(self.stream.on_publication(pub(4))), [])

    def test_ephemeral_publications_pass(self):
        self.assertEqual(offsets(self.stream.on_publication(pub(0, ""))), [0])

    def test_a_gap_holds_everything_until_the_resync_answer(self):
        outcome = self.stream.on_publication(pub(6))
        self.assertTrue(outcome.resubscribe)
        self.assertEqual(offsets(outcome), [])
        self.assertEqual(self.stream.since(), {"offset": 3, "epoch": "e1"})
        self.stream.start_resync()
        self.assertEqual(offsets(self.stream.on_publication(pub(7))), [])
        answer = subscribed(6, recovered=True, publications=[pub(5), pub(4), pub(6)])
        outcome = self.stream.on_subscribed(answer, with_since=True)
        self.assertFalse(outcome.lost)
        self.assertEqual(offsets(outcome), [4, 5, 6, 7])  # recovered in order, then the buffered 7 (6 dropped)
        self.assertEqual(self.stream.since(), {"offset": 7, "epoch": "e1"})

    def test_another_epoch_is_a_gap(self):
        self.assertTrue(self.stream.on_publication(pub(4, "e2")).resubscribe)

    def test_an_unrecovered_gap_is_reported_and_the_stream_goes_on_from_the_top(self):
        # The channel's history was reset: a new epoch starts at offset 1.
        self.assertTrue(self.stream.on_publication(pub(1, "e2")).resubscribe)
        self.stream.start_resync()
        outcome = self.stream.on_subscribed(subscribed(1, "e2"), with_since=True)
        self.assertTrue(outcome.lost)
        self.assertEqual(offsets(outcome), [])  # the buffered 1 is at the new position: part of the loss
        self.assertEqual(offsets(self.stream.on_publication(pub(2, "e2"))), [2])

    def test_a_recovery_with_a_hole_counts_as_lost(self):
        self.stream.start_resync()
        outcome = self.stream.on_subscribed(subscribed(6, recovered=True, publications=[pub(4), pub(6)]), True)
        self.assertTrue(outcome.lost)
        self.assertEqual(offsets(outcome), [])
        self.assertEqual(self.stream.since(), {"offset": 6, "epoch": "e1"})

    def test_an_empty_stream_starts_at_offset_one_in_any_epoch(self):
        stream = DurableStream()
        stream.on_subscribed(subscribed(0, "e1"), with_since=False)
        self.assertEqual(offsets(stream.on_publication(pub(1, "e9"))), [1])
        self.assertEqual(stream.since(), {"offset": 1, "epoch": "e9"})

    def test_a_fresh_subscribe_drops_buffered_publications_at_or_below_its_position(self):
        stream = DurableStream()
        stream.start_resync()
        stream.on_publication(pub(2))
        stream.on_publication(pub(3))
        self.assertEqual(offsets(stream.on_subscribed(subscribed(2), with_since=False)), [3])

    def test_unsubscribed_2500_asks_for_a_resync(self):
        self.assertTrue(self.stream.on_unsubscribed(2500).resubscribe)
        self.assertTrue(self.stream.on_unsubscribed(2999).resubscribe)
        self.assertFalse(self.stream.on_unsubscribed(2000).resubscribe)


if __name__ == "__main__":
    unittest.main()
