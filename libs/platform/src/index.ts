/** Platform: assembles every entity and migration into one DataSource and wires shared infrastructure for the apps. */
export * from './entities';
export * from './migrations';
export * from './data-source';
export * from './platform.module';
export * from './bootstrap';
