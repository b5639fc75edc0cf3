import { describe, expect, it } from 'vitest';
import { BusNameError } from '../errors.js';
import { deadLetterGroup, deadLetterTopic, nodeGroup, workGroup, workTopic } from './kafka-names.js';

describe('kafka names', () => {
  it('prefixes every topic and group so they cannot collide with one another', () => {
    expect(workTopic('chat')).toBe('sb.work.chat');
    expect(workGroup('chat', 'history')).toBe('sb.history.chat');
    expect(deadLetterTopic('chat', 'history')).toBe('sb.dlq.chat.history');
    expect(deadLetterGroup('chat', 'history')).toBe('sb.dlq-reader.history.chat');
    expect(nodeGroup('edge-1')).toBe('sb.node.edge-1');
  });

  it('keeps groups of different services on one topic apart', () => {
    expect(workGroup('orders', 'a')).not.toBe(workGroup('orders', 'b'));
    expect(deadLetterTopic('orders', 'a')).not.toBe(deadLetterTopic('orders', 'b'));
  });

  it('refuses names that are not safe on the broker', () => {
    expect(() => workTopic('a.b')).toThrow(BusNameError);
    expect(() => workGroup('t', 'x y')).toThrow(BusNameError);
    expect(() => deadLetterTopic('t', '')).toThrow(BusNameError);
    expect(() => nodeGroup('n/1')).toThrow(BusNameError);
  });
});
