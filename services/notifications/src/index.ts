export { type NotificationsConfig, notificationsConfigSpec, readNotificationsConfig } from './config.js';
export type { ConnectionRef, ConnectionRegistry, NodeRecord } from './connection-registry.js';
export type { AddResult, InboxStore, InboxStoreOptions, Notification } from './inbox-store.js';
export { MemoryConnectionRegistry } from './memory-connection-registry.js';
export { MemoryInboxStore } from './memory-inbox-store.js';
export {
  createNotificationsService,
  DEFAULT_LEASE_MS,
  DEFAULT_NODE_SWEEP_INTERVAL_MS,
  type ExpiredNode,
  INBOX_ACK_TYPE,
  NOTIFICATIONS_SERVICE,
  type NotificationsService,
  type NotificationsServiceOptions,
  ORDERS_TOPIC,
} from './notifications-service.js';
export {
  BadOrderEventError,
  type OrderNotificationPayload,
  type OrderNotificationType,
  orderNotification,
} from './order-notifications.js';
export { RECEIPTS_TOPIC, ReceiptPublisher, type ReceiptStatusName } from './receipts.js';
export {
  DEFAULT_CONNECTION_PREFIX,
  RedisConnectionRegistry,
  type RedisConnectionRegistryOptions,
} from './redis-connection-registry.js';
export { DEFAULT_INBOX_PREFIX, RedisInboxStore, type RedisInboxStoreOptions } from './redis-inbox-store.js';
