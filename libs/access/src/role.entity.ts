import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Permission } from './permission';

@Entity({ name: 'roles' })
export class RoleEntity {
  @PrimaryColumn({ type: 'text' })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'jsonb' })
  permissions: Permission[];

  @Column({ name: 'is_built_in', type: 'boolean', default: false })
  isBuiltIn: boolean;
}
