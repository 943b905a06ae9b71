/** Procedures: projects, procedure definitions, parameter schemas, immutable versions and review. */
export * from './definition';
export * from './project.entity';
export * from './procedure.entity';
export * from './procedure-version.entity';
export * from './project.schema';
export * from './project.service';
export * from './procedure.repository';
export * from './procedure.service';
export * from './procedure-review.service';
