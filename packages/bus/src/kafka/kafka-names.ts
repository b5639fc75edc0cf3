/**
 * Names on the broker. Topics, groups and nodes are validated to [A-Za-z0-9_-], so `.` is a safe separator.
 *
 * - work topic `sb.work.<topic>`, consumed by group `sb.<group>.<topic>`
 * - dead letters `sb.dlq.<topic>.<group>`, read by group `sb.dlq-reader.<group>.<topic>`
 * - deliveries `sb.deliveries` (one partition), read by node group `sb.node.<node>`
 */
import { BusHeaders } from '@switchboard/protocol';
import { assertName } from '../routes.js';

export const DELIVERIES_TOPIC = 'sb.deliveries';

// Header names are defined once for every side in @switchboard/protocol.
export const HEADER_KEY = BusHeaders.key;
export const HEADER_ROUTE = BusHeaders.route;
export const HEADER_ATTEMPTS = BusHeaders.attempts;
export const HEADER_ERROR = BusHeaders.error;
export const HEADER_TOPIC = BusHeaders.topic;
export const HEADER_GROUP = BusHeaders.group;

export function workTopic(topic: string): string {
  assertName('topic', topic);
  return `sb.work.${topic}`;
}

export function workGroup(topic: string, group: string): string {
  assertName('topic', topic);
  assertName('group', group);
  return `sb.${group}.${topic}`;
}

export function deadLetterTopic(topic: string, group: string): string {
  assertName('topic', topic);
  assertName('group', group);
  return `sb.dlq.${topic}.${group}`;
}

export function deadLetterGroup(topic: string, group: string): string {
  assertName('topic', topic);
  assertName('group', group);
  return `sb.dlq-reader.${group}.${topic}`;
}

export function nodeGroup(node: string): string {
  assertName('node', node);
  return `sb.node.${node}`;
}
