import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '@switchboard/core';
import { PlatformModule } from '@switchboard/platform';
import { ExecutionEngine, ExecutionQueue, ExecutionReconciler, WorkerPresence } from '@switchboard/executions';
import { ExecutionsProcessor } from './executions.processor';
import { NotificationsProcessor } from './notifications.processor';
import { NotificationDispatcher, NotificationEmitter, NotificationSubscriptions } from '@switchboard/notifications';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [PlatformModule.forRoot(config, 'worker')],
      providers: [
        ExecutionEngine, ExecutionQueue, ExecutionReconciler, WorkerPresence, ExecutionsProcessor, NotificationSubscriptions, NotificationEmitter, NotificationDispatcher, NotificationsProcessor,
      ],
    };
  }
}
