import { Injectable } from '@nestjs/common';
import { type Actor, ConflictError, NotFoundError, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { AccessInvalidation } from '@switchboard/access';
import { hashPassword } from './password-hasher';
import { UserRepository } from './user.repository';
import type { UserEntity } from './user.entity';
import type { CreateUserInput, UpdateUserInput } from './identity.schema';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  serviceAccount: boolean;
  disabled: boolean;
  createdAt: string;
}

export function toUserView(user: UserEntity): UserView {
  return {
    id: user.id, username: user.username, displayName: user.displayName, email: user.email,
    serviceAccount: user.isServiceAccount, disabled: user.disabled, createdAt: user.createdAt.toISOString(),
  };
}

/** Creating, changing and disabling users; every change audited in its own transaction. */
@Injectable()
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly invalidation: AccessInvalidation,
  ) {}

  async create(actor: Actor, input: CreateUserInput): Promise<UserEntity> {
    if (await this.users.findByUsername(input.username)) throw new ConflictError(`username ${input.username} is taken`);
    const passwordHash = input.password && !input.serviceAccount ? await hashPassword(input.password) : null;
    return this.tx.run(async (manager) => {
      const user = await this.users.insert(manager, {
        username: input.username, displayName: input.displayName ?? input.username, email: input.email ?? null,
        passwordHash, isServiceAccount: input.serviceAccount ?? false,
      });
      await this.audit.record(manager, actor, {
        action: 'user.created', outcome: 'succeeded', resourceType: 'user', resourceId: user.id,
        details: { after: toUserView(user) },
      });
      return user;
    });
  }

  async update(actor: Actor, id: string, input: UpdateUserInput): Promise<UserEntity> {
    const passwordHash = input.password ? await hashPassword(input.password) : undefined;
    const updated = await this.tx.run(async (manager) => {
      const user = await this.users.findById(id, manager);
      if (!user) throw new NotFoundError('user');
      const before = toUserView(user);
      if (input.displayName !== undefined) user.displayName = input.displayName;
      if (input.email !== undefined) user.email = input.email;
      if (input.disabled !== undefined) user.disabled = input.disabled;
      if (passwordHash) user.passwordHash = passwordHash;
      const saved = await this.users.save(manager, user);
      // A disabled user's sessions end at once; their tokens with the invalidation below.
      if (input.disabled) await manager.query('DELETE FROM sessions WHERE user_id = $1', [id]);
      await this.audit.record(manager, actor, {
        action: input.disabled ? 'user.disabled' : 'user.updated', outcome: 'succeeded', resourceType: 'user', resourceId: id,
        details: { before, after: toUserView(saved), changed: Object.keys(input).filter((key) => input[key as keyof UpdateUserInput] !== undefined) },
      });
      return saved;
    });
    // After the commit: every api process drops what it holds of this user (resolved tokens carry
    // the user, and refuse a disabled one only when read again).
    await this.invalidation.invalidate(id);
    return updated;
  }
}
