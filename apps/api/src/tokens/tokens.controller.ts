import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ForbiddenError } from '@switchboard/core';
import { Authenticated } from '@switchboard/access';
import { type CreateTokenInput, createTokenSchema, toTokenView, TokenService, type TokenView, UserRepository } from '@switchboard/identity';
import { NotFoundError } from '@switchboard/core';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { ApiZodBody } from '../http/api-zod-body.decorator';

@ApiTags('identity')
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: TokenService, private readonly users: UserRepository) {}

  /** Creates a token; its secret is in this response only. */
  @Post()
  @Authenticated()
  @ApiZodBody(createTokenSchema)
  async create(@Caller() caller: RequestCaller, @Body(new ZodPipe(createTokenSchema)) body: CreateTokenInput): Promise<TokenView & { token: string }> {
    let ownerId = caller.auth!.user.id;
    if (body.userId && body.userId !== ownerId) {
      // Only admins mint tokens for service accounts; nobody mints tokens for another person.
      const owner = await this.users.findById(body.userId);
      if (!owner) throw new NotFoundError('user');
      if (!caller.ability!.isAdmin || !owner.isServiceAccount) throw new ForbiddenError('tokens for other users can only be created by admins, for service accounts');
      ownerId = owner.id;
    }
    if (caller.auth!.via === 'token' && caller.auth!.tokenScopes) throw new ForbiddenError('a narrowed token cannot create tokens');
    const { token, secret } = await this.tokens.create(caller.actor, ownerId, body);
    return { ...toTokenView(token), token: secret };
  }

  @Get()
  @Authenticated()
  async list(@Caller() caller: RequestCaller): Promise<{ items: TokenView[]; nextCursor: null }> {
    const tokens = await this.tokens.listForUser(caller.auth!.user.id);
    return { items: tokens.map(toTokenView), nextCursor: null };
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  async revoke(@Caller() caller: RequestCaller, @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) id: string): Promise<void> {
    await this.tokens.revoke(caller.actor, id, caller.ability!.isAdmin);
  }
}
