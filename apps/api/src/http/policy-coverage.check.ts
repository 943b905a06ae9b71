import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { POLICY_KEY } from '@switchboard/access';

const ROUTE_PATH = 'path';
const ROUTE_METHOD = 'method';

/** Refuses to boot when any route declares no policy: deny by default is checked, not hoped for. */
@Injectable()
export class PolicyCoverageCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const missing = listRoutes(this.discovery, this.scanner, this.reflector).filter((route) => !route.policy);
    if (missing.length > 0) {
      throw new Error(`routes without a policy decorator: ${missing.map((r) => `${r.controller}.${r.handler}`).join(', ')}`);
    }
  }
}

export interface RouteInfo {
  controller: string;
  handler: string;
  path: string;
  method: number;
  policy: unknown;
}

export function listRoutes(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance) continue;
    const prototype = Object.getPrototypeOf(instance) as object;
    const controllerPath = String(Reflect.getMetadata(ROUTE_PATH, wrapper.metatype as object) ?? '');
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, unknown>)[name] as object;
      const method = Reflect.getMetadata(ROUTE_METHOD, handler) as number | undefined;
      if (method === undefined) continue;
      routes.push({
        controller: wrapper.name,
        handler: name,
        path: `${controllerPath}/${String(Reflect.getMetadata(ROUTE_PATH, handler) ?? '')}`,
        method,
        policy: reflector.getAllAndOverride(POLICY_KEY, [handler as () => void, wrapper.metatype as () => void]),
      });
    }
  }
  return routes;
}
