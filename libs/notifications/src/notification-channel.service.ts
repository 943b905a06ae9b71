import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Actor, APP_CONFIG, type AppConfig, ConflictError, ForbiddenError, InvalidError, NotFoundError, SecretBox, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import type { CallerAbility } from '@switchboard/access';
import { NotificationChannelEntity } from './notification-channel.entity';
import { NotificationDeliveryEntity } from './notification-delivery.entity';
import type { CreateChannelInput, UpdateChannelInput } from './notification-channel.schema';
import { checkOutgoingTarget, TargetDeniedError } from './target-policy';
import { NotificationSubscriptions } from './notification-subscriptions';

export interface ChannelView {
  id: string;
  projectId: string;
  name: string;
  type: string;
  config: Record<string, unknown>;
  events: string[];
  createdAt: string;
}

export function toChannelView(channel: NotificationChannelEntity): ChannelView {
  // The Slack URL is a credential: never shown back. Webhook header values are sealed; names are shown.
  const config = channel.type === 'slack' ? { url: '***' } : channel.config;
  return { id: channel.id, projectId: channel.projectId, name: channel.name, type: channel.type, config, events: channel.events, createdAt: channel.createdAt.toISOString() };
}

/** Notification channels of a project: saved only when their targets pass the outgoing policy. */
@Injectable()
export class NotificationChannelService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly secrets: SecretBox,
    private readonly subscriptions: NotificationSubscriptions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private check(ability: CallerAbility, action: 'read' | 'create' | 'update' | 'delete', projectId: string): void {
    if (!ability.can(action, 'Channel', { projectId, procedureId: null })) {
      if (action === 'read') throw new NotFoundError('project');
      throw new ForbiddenError(`you may not ${action} channels in this project`);
    }
  }

  async list(ability: CallerAbility, projectId: string): Promise<NotificationChannelEntity[]> {
    this.check(ability, 'read', projectId);
    return this.dataSource.getRepository(NotificationChannelEntity).find({ where: { projectId }, order: { name: 'ASC' } });
  }

  async create(actor: Actor, ability: CallerAbility, projectId: string, input: CreateChannelInput): Promise<{ channel: NotificationChannelEntity; secret: string | null }> {
    this.check(ability, 'create', projectId);
    const exists = (await this.dataSource.query('SELECT 1 FROM projects WHERE id = $1', [projectId])) as unknown[];
    if (exists.length === 0) throw new NotFoundError('project');
    let config: NotificationChannelEntity['config'];
    let sealed: Record<string, unknown> | null = null;
    let secret: string | null = null;
    if (input.type === 'email') {
      config = { to: input.config.to };
    } else {
      try {
        await checkOutgoingTarget(input.config.url, this.config.SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE);
      } catch (error) {
        if (error instanceof TargetDeniedError) throw new InvalidError('invalid channel', [{ field: 'config.url', message: error.message }]);
        throw error;
      }
      if (input.type === 'webhook') {
        secret = `whsec_${randomBytes(24).toString('base64url')}`;
        config = { url: input.config.url, headerNames: Object.keys(input.config.headers ?? {}) };
        sealed = { signingSecret: secret, headers: input.config.headers ?? {} };
      } else {
        config = {};
        sealed = { url: input.config.url };
      }
    }
    const channel = await this.tx.run(async (manager) => {
      const repo = manager.getRepository(NotificationChannelEntity);
      if (await repo.findOneBy({ projectId, name: input.name })) throw new ConflictError(`channel ${input.name} exists in this project`);
      const saved = await repo.save(repo.create({
        projectId, name: input.name, type: input.type, config, events: input.events, sealedSecrets: sealed ? this.secrets.seal(JSON.stringify(sealed)) : null,
      }));
      await this.audit.record(manager, actor, {
        action: 'channel.created', outcome: 'succeeded', resourceType: 'channel', resourceId: saved.id, projectId, details: { after: toChannelView(saved) },
      });
      return saved;
    });
    await this.subscriptions.channelsChanged(projectId);
    return { channel, secret };
  }

  async update(actor: Actor, ability: CallerAbility, projectId: string, id: string, input: UpdateChannelInput): Promise<NotificationChannelEntity> {
    this.check(ability, 'update', projectId);
    const updated = await this.tx.run(async (manager) => {
      const repo = manager.getRepository(NotificationChannelEntity);
      const channel = await repo.findOneBy({ id, projectId });
      if (!channel) throw new NotFoundError('channel');
      const before = toChannelView(channel);
      if (input.events) channel.events = input.events;
      if (input.config) {
        if (channel.type !== 'email') throw new InvalidError('invalid channel', [{ field: 'config', message: 'only email recipients can be changed; create a new channel for another URL' }]);
        channel.config = { to: input.config.to };
      }
      const saved = await repo.save(channel);
      await this.audit.record(manager, actor, {
        action: 'channel.updated', outcome: 'succeeded', resourceType: 'channel', resourceId: id, projectId, details: { before, after: toChannelView(saved) },
      });
      return saved;
    });
    await this.subscriptions.channelsChanged(projectId);
    return updated;
  }

  async remove(actor: Actor, ability: CallerAbility, projectId: string, id: string): Promise<void> {
    this.check(ability, 'delete', projectId);
    await this.tx.run(async (manager) => {
      const channel = await manager.getRepository(NotificationChannelEntity).findOneBy({ id, projectId });
      if (!channel) throw new NotFoundError('channel');
      await manager.delete(NotificationChannelEntity, { id });
      await this.audit.record(manager, actor, { action: 'channel.deleted', outcome: 'succeeded', resourceType: 'channel', resourceId: id, projectId, details: { before: toChannelView(channel) } });
    });
    await this.subscriptions.channelsChanged(projectId);
  }

  /** Deliveries the caller may see: of runs they may read, or of projects whose channels they may read. */
  async deliveries(ability: CallerAbility, filter: { executionId?: string; projectId?: string }, limit: number): Promise<NotificationDeliveryEntity[]> {
    const query = this.dataSource.getRepository(NotificationDeliveryEntity).createQueryBuilder('d').orderBy('d.created_at', 'DESC').limit(limit);
    if (filter.executionId) query.andWhere('d.execution_id = :executionId', { executionId: filter.executionId });
    if (filter.projectId) query.andWhere('d.project_id = :projectId', { projectId: filter.projectId });
    const scope = ability.scopeFor('read', 'Execution');
    if (!scope.everywhere) {
      query.andWhere('(d.project_id = ANY(:projects) OR d.procedure_id = ANY(:procedures))', { projects: scope.projectIds, procedures: scope.procedureIds });
    }
    return query.getMany();
  }
}
