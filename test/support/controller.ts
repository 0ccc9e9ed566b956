/**
 * An in-process controller replica for integration tests, stopped when the file's tests end.
 */
import { after } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  type ControllerConfig,
  controllerSchema,
  type ResourcesConfig,
  resolve,
  resourcesSchema,
} from "../../src/config.js";
import { Controller } from "../../src/controller.js";
import { silentLogger } from "../../src/log.js";
import { ScalerRegistry } from "../../src/scalers/index.js";
import { stopWithin } from "./wait.js";

export async function startController(
  nc: NatsConnection,
  config: Partial<ControllerConfig> = {},
  registry = new ScalerRegistry(),
  resources: Partial<ResourcesConfig> = {},
): Promise<Controller> {
  const controller = new Controller({
    nc,
    resources: resolve(resourcesSchema, resources),
    controller: resolve(controllerSchema, config),
    registry,
    log: silentLogger(),
  });
  await controller.start();
  after(() => stopWithin("an in-process controller", controller.stop()));
  return controller;
}
