import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuthService } from '../identity/auth.service.js';
import type { RequestContext } from '../identity/current-principal.decorator.js';
import { LoadersFactory } from './loaders.js';

/** The context of a GraphQL request over HTTP: who calls (from its credentials), its loaders, its address. */
@Injectable()
export class HttpContexts {
  constructor(
    private readonly auth: AuthService,
    private readonly loaders: LoadersFactory,
  ) {}

  async of(req: Request): Promise<RequestContext> {
    const authentication = await this.auth.authenticate({ authorization: req.headers.authorization, cookie: req.headers.cookie });
    return {
      principal: authentication.principal,
      authProblem: authentication.principal ? undefined : authentication.problem,
      loaders: this.loaders.create(),
      clientAddress: req.socket.remoteAddress,
    };
  }
}
