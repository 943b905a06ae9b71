/** Identity: users, teams, password hashing, sessions, API tokens and authentication. */
export * from './user.entity';
export * from './team.entity';
export * from './session.entity';
export * from './api-token.entity';
export * from './password-hasher';
export * from './secret-token';
export * from './identity.schema';
export * from './user.repository';
export * from './user.service';
export * from './token.service';
export * from './authenticated-caller';
export * from './authentication.service';
export * from './login-throttle';
export * from './team.service';
