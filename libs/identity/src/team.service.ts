import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DataSource } from 'typeorm';
import { type Actor, ConflictError, InvalidError, NotFoundError, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { GrantCache } from '@switchboard/access';
import { TeamEntity, TeamMemberEntity } from './team.entity';

export const createTeamSchema = z.object({
  name: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or dashes'),
  description: z.string().max(500).default(''),
}).strict();
export type CreateTeamInput = z.infer<typeof createTeamSchema>;

export interface TeamView {
  id: string;
  name: string;
  description: string;
  members: Array<{ id: string; username: string }>;
}

/** Teams and membership. A membership change takes effect on the member's very next request. */
@Injectable()
export class TeamService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly grants: GrantCache,
  ) {}

  async list(): Promise<TeamView[]> {
    const rows: Array<{ id: string; name: string; description: string; members: Array<{ id: string; username: string }> | null }> = await this.dataSource.query(
      `SELECT t.id, t.name, t.description,
              (SELECT json_agg(json_build_object('id', u.id, 'username', u.username) ORDER BY u.username)
                 FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = t.id) AS members
         FROM teams t ORDER BY t.name LIMIT 5000`,
    );
    return rows.map((row) => ({ ...row, members: row.members ?? [] }));
  }

  async create(actor: Actor, input: CreateTeamInput): Promise<TeamView> {
    return this.tx.run(async (manager) => {
      const repo = manager.getRepository(TeamEntity);
      if (await repo.findOneBy({ name: input.name })) throw new ConflictError(`team ${input.name} exists`);
      const team = await repo.save(repo.create(input));
      await this.audit.record(manager, actor, { action: 'team.created', outcome: 'succeeded', resourceType: 'team', resourceId: team.id, details: { after: input } });
      return { id: team.id, name: team.name, description: team.description, members: [] };
    });
  }

  async addMember(actor: Actor, teamId: string, userId: string): Promise<void> {
    await this.tx.run(async (manager) => {
      if (!(await manager.getRepository(TeamEntity).findOneBy({ id: teamId }))) throw new NotFoundError('team');
      const users = (await manager.query('SELECT 1 FROM users WHERE id = $1', [userId])) as unknown[];
      if (users.length === 0) throw new InvalidError('invalid member', [{ field: 'userId', message: 'is not a known user' }]);
      await manager.query('INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [teamId, userId]);
      await this.audit.record(manager, actor, { action: 'team.member_added', outcome: 'succeeded', resourceType: 'team', resourceId: teamId, details: { userId } });
    });
    await this.grants.invalidate(userId);
  }

  async removeMember(actor: Actor, teamId: string, userId: string): Promise<void> {
    await this.tx.run(async (manager) => {
      const removed = await manager.delete(TeamMemberEntity, { teamId, userId });
      if (!removed.affected) throw new NotFoundError('team membership');
      await this.audit.record(manager, actor, { action: 'team.member_removed', outcome: 'succeeded', resourceType: 'team', resourceId: teamId, details: { userId } });
    });
    await this.grants.invalidate(userId);
  }
}
