import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ACTIONS, Authenticated, SUBJECTS } from '@switchboard/access';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';

@ApiTags('identity')
@Controller('me')
export class MeController {
  @Get()
  @Authenticated()
  me(@Caller() caller: RequestCaller): Record<string, unknown> {
    const user = caller.auth!.user;
    const grants = caller.ability?.grants ?? [];
    return {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      email: user.email,
      serviceAccount: user.isServiceAccount,
      roles: grants.map((g) => ({ role: g.roleName, scope: { type: g.scopeType, id: g.scopeId }, via: g.via })),
      teams: [...new Map(grants.filter((g) => g.via.type === 'team').map((g) => [g.via.id, { id: g.via.id }])).values()],
      authenticatedWith: caller.auth!.via,
    };
  }

  /** What the caller may do, for the UI to hide what would be refused (the server still decides). */
  @Get('permissions')
  @Authenticated()
  permissions(@Caller() caller: RequestCaller): Record<string, unknown> {
    const ability = caller.ability!;
    const allowed: Array<{ action: string; subject: string; scope: unknown }> = [];
    for (const subject of SUBJECTS.filter((s) => s !== 'all')) {
      for (const action of ACTIONS.filter((a) => a !== 'manage')) {
        if (!ability.canSomewhere(action, subject)) continue;
        const scope = ability.scopeFor(action, subject);
        allowed.push({ action, subject, scope });
      }
    }
    return { isAdmin: ability.isAdmin, permissions: allowed };
  }
}
