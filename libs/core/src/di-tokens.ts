/** Injection tokens for values that are not classes. */
export const APP_CONFIG = Symbol('APP_CONFIG');
/** A general-purpose ioredis connection (commands, publish). */
export const REDIS = Symbol('REDIS');
export const LOGGER = Symbol('LOGGER');
