import { describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory, Reflector } from '@nestjs/core';
import { Query, Resolver } from '@nestjs/graphql';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { DomainError } from '../../common/errors.js';
import { permits } from '../access-policy.js';
import { IdentityErrorCode } from '../identity.errors.js';
import type { RequestContext } from '../current-principal.decorator.js';
import type { Principal } from '../principal.js';
import { OperationCatalog, problemsOf } from './operation-catalog.js';
import { Allow, Permission, Scope } from './permission.js';
import { PermissionGuard } from './permission.guard.js';
import { ScopeLookups } from './scope-lookups.js';

const PROJECT = { id: 'p-1', institution: 'Edinburgh' };
const researcher: Principal = { id: 'sa:r', kind: 'service-account', name: 'r', grants: [{ role: 'RESEARCHER', projectId: PROJECT.id }] };
const stranger: Principal = { id: 'sa:s', kind: 'service-account', name: 's', grants: [{ role: 'RESEARCHER', projectId: 'p-2' }] };

/** Handlers as a resolver would declare them. */
class Handlers {
  @Allow(Permission.ActInProject, { scope: Scope.project('input.projectId') })
  submit(): void {}

  @Allow(Permission.ActInProject, { scope: Scope.request('id', { missing: 'service' }) })
  find(): void {}

  @Allow(Permission.ActInProject, { scope: Scope.project('projectId', { absent: 'list' }) })
  list(): void {}

  @Allow(Permission.ReadFederation, { scope: Scope.anonymous() })
  open(): void {}

  undeclared(): void {}
}

function guard(): PermissionGuard {
  const lookups = new ScopeLookups();
  lookups.provide('project', (id) => Promise.resolve(id === PROJECT.id ? { project: PROJECT, institution: PROJECT.institution } : null));
  lookups.provide('request', () => Promise.resolve(null));
  return new PermissionGuard(new Reflector(), lookups);
}

/** Runs the guard on a handler as a GraphQL field would, and says how it ended: the refusal's code. */
async function outcome(handler: keyof Handlers, principal: Principal | null, args: Record<string, unknown> = {}): Promise<string> {
  const context: RequestContext = { principal, loaders: {} as RequestContext['loaders'] };
  const host = new ExecutionContextHost([{}, args, context, { fieldName: handler }], Handlers, Handlers.prototype[handler]);
  host.setType('graphql');
  try {
    return (await guard().canActivate(host)) ? 'allowed' : 'refused';
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
}

describe('PermissionGuard', () => {
  it('checks the declared permission on the scope found from the arguments', async () => {
    expect(await outcome('submit', researcher, { input: { projectId: PROJECT.id } })).toBe('allowed');
    expect(await outcome('submit', stranger, { input: { projectId: PROJECT.id } })).toBe(IdentityErrorCode.NotProjectMember);
    expect(await outcome('submit', researcher, { input: { projectId: 'p-unknown' } })).toBe('NOT_FOUND');
  });

  it('asks for credentials unless the operation is anonymous', async () => {
    expect(await outcome('submit', null, { input: { projectId: PROJECT.id } })).toBe('UNAUTHENTICATED');
    expect(await outcome('open', null)).toBe('allowed');
  });

  it('fails closed: an operation that declares nothing is refused to everyone', async () => {
    expect(await outcome('undeclared', researcher)).toBe('FORBIDDEN');
    expect(await outcome('undeclared', null)).toBe('UNAUTHENTICATED');
  });

  it('leaves a missing record to the service, and a list without a project to its scoping, only where declared', async () => {
    expect(await outcome('find', stranger, { id: 'r-unknown' })).toBe('allowed');
    expect(await outcome('list', stranger, {})).toBe('allowed');
    expect(await outcome('list', stranger, { projectId: PROJECT.id })).toBe(IdentityErrorCode.NotProjectMember);
  });
});

describe('a field that leaves out what the caller may not read', () => {
  it('asks the same rules, as yes or no', () => {
    const siteAdmin: Principal = { id: 'sa:a', kind: 'service-account', name: 'a', grants: [{ role: 'SITE_ADMIN', institution: 'Edinburgh' }] };
    expect(permits(Permission.ReadSiteErrorText, siteAdmin, { institution: 'Edinburgh' })).toBe(true);
    expect(permits(Permission.ReadSiteErrorText, siteAdmin, { institution: 'TACC' })).toBe(false);
    expect(permits(Permission.ReadSiteErrorText, researcher, { institution: 'Edinburgh' })).toBe(false);
    expect(permits(Permission.ReadSiteErrorText, null, { institution: 'Edinburgh' })).toBe(false);
  });
});

describe('operation declarations, as checked at start', () => {
  const hasLookup = () => true;

  it('names an operation without @Allow', () => {
    expect(problemsOf({ type: 'Mutation', name: 'launchRockets' }, hasLookup)).toEqual(['Mutation.launchRockets: no @Allow(Permission.X, { scope }) declaration']);
  });

  it('names a scope the permission cannot be checked on, and a lookup no domain registered', () => {
    expect(problemsOf({ type: 'Query', name: 'x', allow: { permission: Permission.CancelRequest, scope: Scope.project('id') } }, hasLookup)).toEqual([
      'Query.x: CancelRequest is checked on a request scope, not project',
    ]);
    expect(problemsOf({ type: 'Query', name: 'x', allow: { permission: Permission.RevokeToken, scope: Scope.token('id') } }, () => false)).toEqual([
      'Query.x: no domain registered a token lookup',
    ]);
  });

  it('refuses to start the broker while an operation is undeclared', async () => {
    @Resolver()
    class Undeclared {
      @Query(() => Boolean)
      launchRockets(): boolean {
        return true;
      }
    }
    @Module({ imports: [DiscoveryModule], providers: [ScopeLookups, OperationCatalog, Undeclared] })
    class Broker {}
    await expect(NestFactory.createApplicationContext(Broker, { logger: false, abortOnError: false })).rejects.toThrow('Query.launchRockets: no @Allow(Permission.X, { scope }) declaration');
  });
});
