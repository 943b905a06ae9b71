import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Authenticated } from '@switchboard/access';
import { ExecutionApprovalService, type PendingRunApproval } from '@switchboard/executions';
import { type PendingVersionReview, ProcedureReviewService } from '@switchboard/procedures';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';

const inboxQuery = z.object({
  state: z.enum(['pending']).default('pending'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The approver's inbox: runs and versions waiting for the caller's decision. */
@ApiTags('approvals')
@Controller('approvals')
export class ApprovalsController {
  constructor(private readonly runs: ExecutionApprovalService, private readonly versions: ProcedureReviewService) {}

  @Get()
  @Authenticated()
  async inbox(@Caller() caller: RequestCaller, @Query(new ZodPipe(inboxQuery, 'query')) query: z.infer<typeof inboxQuery>): Promise<{ items: Array<PendingRunApproval | PendingVersionReview>; nextCursor: null }> {
    const [runs, versions] = await Promise.all([this.runs.pendingFor(caller.ability!, query.limit), this.versions.pendingFor(caller.ability!, query.limit)]);
    return { items: [...runs, ...versions], nextCursor: null };
  }
}
