import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import type { AppConfig } from '@switchboard/core';
import { PlatformModule } from '@switchboard/platform';
import { AuthenticationService, TokenService, UserRepository, UserService } from '@switchboard/identity';
import { AccessGuard } from './http/access.guard';
import { PolicyCoverageCheck } from './http/policy-coverage.check';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { AuthController } from './auth/auth.controller';
import { MeController } from './me/me.controller';
import { TokensController } from './tokens/tokens.controller';
import { UsersController } from './users/users.controller';
import { HealthController } from './health/health.controller';
import { ProjectsController } from './projects/projects.controller';
import { ProceduresController } from './procedures/procedures.controller';
import { ExecutionsController } from './executions/executions.controller';
import { ProcedureRepository, ProcedureService, ProjectService } from '@switchboard/procedures';
import { ExecutionLiveHub, ExecutionQueue, ExecutionService } from '@switchboard/executions';
import { AccessAdminService, AccessInvalidation, GrantCache } from '@switchboard/access';
import { TeamService } from '@switchboard/identity';
import { TeamsController } from './teams/teams.controller';
import { AccessController } from './access/access.controller';
import { AuditEventsController } from './audit/audit-events.controller';
import { AuditQueryService } from '@switchboard/audit';
import { ApprovalsController } from './approvals/approvals.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { NotificationsController } from './notifications/notifications.controller';
import { NotificationChannelService, NotificationEmitter, NotificationSubscriptions } from '@switchboard/notifications';
import { ExecutionApprovalService } from '@switchboard/executions';
import { ProcedureReviewService } from '@switchboard/procedures';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [PlatformModule.forRoot(config, 'api'), DiscoveryModule],
      controllers: [AuthController, MeController, TokensController, UsersController, HealthController, ProjectsController, ProceduresController, ExecutionsController, TeamsController, AccessController, AuditEventsController, ApprovalsController, NotificationsController, MetricsController],
      providers: [
        UserRepository, UserService, TokenService, AuthenticationService,
        ProjectService, ProcedureRepository, ProcedureService, ExecutionQueue, ExecutionService, ExecutionLiveHub,
        AccessInvalidation, GrantCache, AccessAdminService, TeamService, AuditQueryService, ExecutionApprovalService, ProcedureReviewService,
        NotificationSubscriptions, NotificationEmitter, NotificationChannelService, MetricsService,
        PolicyCoverageCheck,
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
