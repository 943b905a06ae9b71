import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { UserEntity } from './user.entity';

/** Named queries over users. */
@Injectable()
export class UserRepository {
  constructor(private readonly dataSource: DataSource) {}

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).createQueryBuilder('u').where('lower(u.username) = lower(:username)', { username }).getOne();
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<UserEntity | null> {
    return manager.getRepository(UserEntity).findOneBy({ id });
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  insert(manager: EntityManager, user: Partial<UserEntity>): Promise<UserEntity> {
    return manager.getRepository(UserEntity).save(manager.getRepository(UserEntity).create(user));
  }

  save(manager: EntityManager, user: UserEntity): Promise<UserEntity> {
    return manager.getRepository(UserEntity).save(user);
  }

  /** Keyset page ordered by username, so deep pages cost the same as the first. */
  page(limit: number, afterUsername: string | null, q: string | null): Promise<UserEntity[]> {
    const query = this.dataSource.getRepository(UserEntity).createQueryBuilder('u').orderBy('lower(u.username)', 'ASC').limit(limit);
    if (afterUsername) query.andWhere('lower(u.username) > lower(:after)', { after: afterUsername });
    if (q) query.andWhere("(u.username ILIKE :q ESCAPE '\\' OR u.display_name ILIKE :q ESCAPE '\\')", { q: `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` });
    return query.getMany();
  }
}
