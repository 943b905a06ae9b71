import type { DataSource } from 'typeorm';
import type { AppConfig } from '@switchboard/core';

/** Seeds the demo project once (filled in with the procedures engine). */
export async function seedDemo(_dataSource: DataSource, _config: AppConfig, _say: (line: string) => void): Promise<void> {
  return Promise.resolve();
}
