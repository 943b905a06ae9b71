import { Body, Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, type AppConfig } from '@switchboard/core';
import { Authenticated, Public } from '@switchboard/access';
import { AuthenticationService, loginSchema, SESSION_COOKIE, toUserView, type UserView } from '@switchboard/identity';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { ApiZodBody } from '../http/api-zod-body.decorator';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly authentication: AuthenticationService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('login')
  @HttpCode(200)
  @Public()
  @ApiZodBody(loginSchema)
  async login(
    @Body(new ZodPipe(loginSchema)) body: { username: string; password: string },
    @Caller() caller: RequestCaller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ user: UserView }> {
    const { user, sessionToken, expiresAt } = await this.authentication.login(body.username, body.password, caller.actor);
    void reply.setCookie(SESSION_COOKIE, sessionToken, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.SWITCHBOARD_COOKIE_SECURE ?? this.config.SWITCHBOARD_PUBLIC_URL?.startsWith('https://') ?? false,
      path: '/',
      expires: expiresAt,
    });
    return { user: toUserView(user) };
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  async logout(@Caller() caller: RequestCaller, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    if (caller.auth) await this.authentication.logout(caller.auth, caller.actor);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }
}
