import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Installation-wide values, e.g. the generated encryption key when none is configured. */
@Entity({ name: 'system_settings' })
export class SystemSettingEntity {
  @PrimaryColumn({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  value: string;
}
