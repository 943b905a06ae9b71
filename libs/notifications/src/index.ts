/** Notifications: channels, subscriptions, message templates, the outgoing-target policy and reliable delivery. */
export * from './notification-event';
export * from './notification-channel.entity';
export * from './notification-delivery.entity';
export * from './notification-message';
export * from './notification-channel.schema';
export * from './notification-channel.service';
export * from './notification-subscriptions';
export * from './notification-emitter';
export * from './notification-dispatcher';
export * from './target-policy';
